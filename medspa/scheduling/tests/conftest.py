"""A clinic ready to book: a provider working 09:00–17:00 every day in New York, the catalog
test menu, a patient, and actors for each role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from medspa.catalog import services as catalog_services
from medspa.catalog.tests.factories import make_catalog
from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.patients.tests.factories import PatientFactory
from medspa.scheduling import services
from medspa.scheduling.services import Block, BookingRequest

NEW_YORK = ZoneInfo("America/New_York")


@dataclass
class Setup:
    clinic: object
    owner: Actor
    provider_user: object
    provider: Actor
    menu: dict
    patient: object
    location: object

    def request(self, start: datetime, service: str = "facial", **extra) -> BookingRequest:
        return BookingRequest(
            patient_id=self.patient.pk,
            service_ids=[self.menu[service].pk],
            provider_id=self.provider_user.pk,
            start=start,
            **extra,
        )


def next_weekday(weekday: int = 2) -> date:
    """A date at least a week ahead on the given weekday (0 = Monday)."""
    day = datetime.now(tz=NEW_YORK).date() + timedelta(days=8)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def at(day: date, hour: int, minute: int = 0, zone=NEW_YORK) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


@pytest.fixture
def setup(clinic, owner, make_member) -> Setup:
    owner_actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    provider_user = make_member(clinic, Role.PROVIDER, email="injector@test.example")
    menu = make_catalog(owner_actor, provider=provider_user)
    catalog_services.service_update(
        actor=owner_actor, service_id=menu["facial"].pk, data={"provider_ids": [provider_user.pk]}
    )
    location = menu["location"]
    services.hours_replace(
        owner_actor,
        provider_id=provider_user.pk,
        location_id=location.pk,
        blocks=[Block(weekday, 9 * 60, 17 * 60) for weekday in range(7)],
    )
    patient = PatientFactory(clinic=clinic)
    return Setup(
        clinic=clinic,
        owner=owner_actor,
        provider_user=provider_user,
        provider=Actor.staff(user=provider_user, clinic=clinic, role=Role.PROVIDER),
        menu=menu,
        patient=patient,
        location=location,
    )
