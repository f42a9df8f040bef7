"""A clinic with its portal open: the scheduling test clinic (a provider working 09:00–17:00
every day in New York, the catalog test menu), online booking enabled, rate limits reset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from django.core.cache import cache

from medspa.booking import selectors, services
from medspa.catalog import services as catalog_services
from medspa.scheduling.tests.conftest import Setup, at, next_weekday, setup  # noqa: F401 - fixture

__all__ = ["at", "next_weekday"]


@dataclass
class PortalWorld:
    setup: Setup

    @property
    def clinic(self):
        return self.setup.clinic

    @property
    def menu(self):
        return self.setup.menu

    def portal(self) -> selectors.Portal:
        return selectors.portal_for(self.clinic.slug)

    def hold(self, start: datetime, service: str = "facial", **extra) -> services.HeldBooking:
        return services.portal_hold(
            self.portal(), service_ids=[self.menu[service].pk], start=start, ip="203.0.113.9", **extra
        )

    def details(self, **overrides) -> dict:
        return {
            "first_name": "Ava",
            "last_name": "Reyes",
            "phone": "(212) 555-0142",
            "email": "ava.reyes@example.com",
            **overrides,
        }

    def submit(self, token: str, **overrides) -> object:
        return services.portal_submit(
            self.portal(),
            token,
            details=self.details(**overrides),
            accept_policy=True,
            ip="203.0.113.9",
            user_agent="pytest",
        )


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(setup) -> PortalWorld:  # noqa: F811 - the imported fixture
    services.settings_update(setup.owner, values={"enabled": True})
    catalog_services.service_update(
        actor=setup.owner,
        service_id=setup.menu["ipl"].pk,
        data={"provider_ids": [setup.provider_user.pk], "bookable_online": True},
    )
    return PortalWorld(setup)


@pytest.fixture
def make_consultation(world):
    """Give the test patient 'Ava Reyes' a completed consultation a month ago."""
    from datetime import timedelta

    from django.utils import timezone

    from medspa.scheduling.models import Appointment, Visit

    def make():
        patient = world.setup.patient
        patient.first_name, patient.last_name, patient.phone = "Ava", "Reyes", "+12125550142"
        patient.first_key, patient.last_key, patient.phone_digits = "ava", "reyes", "2125550142"
        patient.save()
        start = timezone.now() - timedelta(days=30)
        visit = Visit.objects.create(clinic=world.clinic, patient=patient, location=world.setup.location)
        return Appointment.objects.create(
            clinic=world.clinic,
            visit=visit,
            patient=patient,
            provider=world.setup.provider_user,
            service=world.menu["consult"],
            location=world.setup.location,
            start_at=start,
            end_at=start + timedelta(minutes=30),
            status="completed",
        )

    return make
