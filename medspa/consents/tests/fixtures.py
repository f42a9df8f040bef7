"""A forms world: the charting world (clinic, provider, MD, front desk, patient, a booked
neurotoxin appointment) with the form library installed and the neurotoxin consent required
for the appointment's service — and the same in another clinic."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import pytest
from PIL import Image

from medspa.charting.tests.fixtures import World as ChartingWorld
from medspa.charting.tests.fixtures import build_world as build_charting_world
from medspa.consents import services
from medspa.consents.models import Form
from medspa.patients.models import Patient

CONSENT_ANSWERS = {
    "risks": True,
    "alternatives": True,
    "results": True,
    "questions": True,
    "initials": "AL",
    "printed_name": "Ava Lopez",
}

# A complete medical history (library form) offering medications and allergies to the profile.
HISTORY_ANSWERS = {
    "date_of_birth": "1990-04-01",
    "conditions": ["None of these"],
    "pregnant": "no",
    "smoker": "no",
    "takes_medications": "yes",
    "takes_medications_detail": "Vitamin D",
    "blood_thinners": "no",
    "isotretinoin": "no",
    "has_allergies": "yes",
    "has_allergies_detail": "Latex",
    "prior_reaction": "no",
    "accurate": True,
    "printed_name": "Ava Lopez",
}


def drawn_signature() -> str:
    """A small PNG of a scribble as a signature pad's data URL."""
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    for x in range(20, 280):
        image.putpixel((x, 50 + (x % 17) - 8), (20, 20, 60, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


TYPED = {"signature": {"method": "typed", "name": "Ava Lopez"}}


@dataclass
class FormsWorld:
    base: ChartingWorld

    def __getattr__(self, name):
        return getattr(self.base, name)

    def form(self, key: str) -> Form:
        return Form.objects.get(clinic=self.base.clinic, key=key)

    @property
    def consent(self) -> Form:
        return self.form("neurotoxin-consent")


def build(clinic, owner, make_member) -> FormsWorld:
    base = build_charting_world(clinic, owner, make_member)
    Patient.objects.filter(pk=base.patient.pk).update(email=f"ava@{clinic.slug}.example")
    base.patient.refresh_from_db()
    services.form_library_install(clinic=clinic)
    world = FormsWorld(base)
    services.requirements_set(
        actor=base.as_owner, form_id=world.consent.pk, rules=[{"service_id": str(base.service_id)}]
    )
    return world


def book_visit(world, *, days: int, hour: int = 13):
    """Book the world's patient for its service with its provider `days` from now; the visit's
    first appointment."""
    from datetime import datetime, timedelta

    from medspa.scheduling import services as scheduling_services
    from medspa.tests.scheduling_world import NEW_YORK

    day = datetime.now(tz=NEW_YORK).date() + timedelta(days=days)
    visit = scheduling_services.book(
        world.as_owner,
        scheduling_services.BookingRequest(
            patient_id=world.patient.pk,
            service_ids=[world.service_id],
            provider_id=world.provider.pk,
            start=datetime(day.year, day.month, day.day, hour, tzinfo=NEW_YORK),
        ),
    )
    return visit.booked[0]


@pytest.fixture
def forms_world(clinic, owner, make_member) -> FormsWorld:
    return build(clinic, owner, make_member)


@pytest.fixture
def other_forms_world(other_clinic, other_clinic_owner, make_member) -> FormsWorld:
    return build(other_clinic, other_clinic_owner, make_member)
