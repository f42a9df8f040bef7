"""A charting world: a clinic with a provider, a medical director, a patient, a neurotoxin
service that needs MD review and a booked appointment — and the same in another clinic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from medspa.charting import services
from medspa.charting.models import ChartTemplate
from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.patients import services as patient_services
from medspa.tests import scheduling_world
from medspa.tests.factories import PASSWORD


@dataclass
class World:
    clinic: object
    owner: object
    provider: object
    md: object
    front_desk: object
    patient: object
    appointment_id: object
    service_id: object

    def actor(self, user, role=None) -> Actor:
        role = (
            role
            or {
                self.owner: Role.OWNER,
                self.provider: Role.PROVIDER,
                self.md: Role.MEDICAL_DIRECTOR,
                self.front_desk: Role.FRONT_DESK,
            }[user]
        )
        return Actor.staff(user=user, clinic=self.clinic, role=role)

    @property
    def as_owner(self) -> Actor:
        return self.actor(self.owner)

    @property
    def as_provider(self) -> Actor:
        return self.actor(self.provider)

    @property
    def as_md(self) -> Actor:
        return self.actor(self.md)

    def template_id(self, key: str):
        return ChartTemplate.objects.get(clinic=self.clinic, key=key).pk


def build_world(clinic, owner, make_member, *, md_review: bool = True) -> World:
    owner_actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    patient = patient_services.patient_create(
        actor=owner_actor,
        data={
            "first_name": "Ava",
            "last_name": "Lopez",
            "clinical_photo_consent": True,
            "medical_alerts": ["Fainting with needles"],
        },
    )
    built = scheduling_world.build(clinic, owner, patient.pk, make_member)
    md = make_member(
        clinic, Role.MEDICAL_DIRECTOR, email=f"md@{clinic.slug}.example", first_name="Maya", last_name="Doc"
    )
    front = make_member(clinic, Role.FRONT_DESK, email=f"front@{clinic.slug}.example")
    services.template_library_install(clinic=clinic)
    services.service_settings_update(
        actor=owner_actor,
        service_id=built["service_id"],
        template_id=ChartTemplate.objects.get(clinic=clinic, key="neurotoxin").pk,
        requires_md_review=md_review,
        min_before_photos=0,
        aftercare="No lying down for 4 hours.",
    )
    return World(
        clinic=clinic,
        owner=owner,
        provider=built["practitioner"],
        md=md,
        front_desk=front,
        patient=patient,
        appointment_id=built["appointment_id"],
        service_id=built["service_id"],
    )


@pytest.fixture
def world(clinic, owner, make_member) -> World:
    return build_world(clinic, owner, make_member)


@pytest.fixture
def other_world(other_clinic, other_clinic_owner, make_member) -> World:
    return build_world(other_clinic, other_clinic_owner, make_member)


def botox_content(*, expiry: date | None = None) -> dict:
    """A complete neurotoxin chart: three zones on the face chart, one product with its lot."""
    product_id = "7b0f3c1e-2a4d-4c55-9a51-0d5f9b1e1a01"
    expiry = expiry or timezone.localdate() + timedelta(days=200)
    return {
        "fields": {
            "concerns": "Frown lines and crow's feet",
            "contraindications_reviewed": True,
            "pregnant_or_nursing": "No",
            "tolerance": "Well",
        },
        "products": [
            {
                "id": product_id,
                "name": "Botox Cosmetic",
                "brand": "Allergan",
                "product_type": "neurotoxin",
                "lot_number": "C1234A",
                "expiry_date": expiry.isoformat(),
                "unit": "units",
                "quantity": "44",
                "dilution": "2.5 mL / 100 U",
            }
        ],
        "injections": [
            {"zone": "glabella", "units": "20", "product_id": product_id, "depth": "intramuscular"},
            {"zone": "crows_feet_left", "units": "12", "product_id": product_id},
            {"zone": "crows_feet_right", "units": "12", "product_id": product_id},
        ],
        "aftercare": "No lying down for 4 hours.",
        "notes": "",
    }


def signed_chart(world: World, *, content=None):
    """A chart opened from the world's appointment, filled and signed by its provider."""
    chart = services.chart_open_for_appointment(actor=world.as_provider, appointment_id=world.appointment_id).chart
    chart = services.chart_save(
        actor=world.as_provider, chart_id=chart.pk, content=content or botox_content(), version=chart.version
    )
    return services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD)
