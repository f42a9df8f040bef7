"""Bookable data for the generated access matrices: a practitioner (who is the matrix's
provider-role member, so "own calendar" permissions are exercised), the catalog test menu,
working hours and one booked appointment — built only when a route needs them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from medspa.catalog import services as catalog_services
from medspa.catalog.tests.factories import make_catalog
from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.scheduling import services as scheduling_services

NEW_YORK = ZoneInfo("America/New_York")


def practitioner_email(clinic) -> str:
    return f"matrix-provider@{clinic.slug}.example"


def build(clinic, owner, patient_id, make_member) -> dict:
    """Ids and times for scheduling routes in `clinic`."""
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    provider = make_member(clinic, Role.PROVIDER, email=practitioner_email(clinic))
    menu = make_catalog(actor, provider=provider, suffix=f" {clinic.slug}")
    catalog_services.service_update(actor=actor, service_id=menu["facial"].pk, data={"provider_ids": [provider.pk]})
    scheduling_services.hours_replace(
        actor,
        provider_id=provider.pk,
        location_id=menu["location"].pk,
        blocks=[scheduling_services.Block(day, 9 * 60, 17 * 60) for day in range(7)],
    )
    day = datetime.now(tz=NEW_YORK).date() + timedelta(days=9)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=NEW_YORK)
    visit = scheduling_services.book(
        actor,
        scheduling_services.BookingRequest(
            patient_id=patient_id, service_ids=[menu["facial"].pk], provider_id=provider.pk, start=start
        ),
    )
    return {
        "practitioner": provider,
        "practitioner_id": provider.pk,
        "service_id": menu["facial"].pk,
        "location_id": menu["location"].pk,
        "room_id": menu["room"].pk,
        "appointment_id": visit.booked[0].pk,
        "free_start": (start + timedelta(hours=3)).isoformat(),
        "move_start": (start + timedelta(hours=5)).isoformat(),
        "day_start": datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).isoformat(),
        "day_end": datetime(day.year, day.month, day.day, 23, 59, tzinfo=NEW_YORK).isoformat(),
        "date_from": day.isoformat(),
        "date_to": (day + timedelta(days=7)).isoformat(),
    }


class Lazy(dict):
    """A mapping whose scheduling keys are built on first use (most routes never need them)."""

    def __init__(self, base: dict, builder, *, more: dict | None = None) -> None:
        super().__init__(base)
        self._builder = builder
        # Other keys built on first use, each by its own builder (e.g. a photo).
        self._more = dict(more or {})

    def __missing__(self, key):
        if key in self._more:
            self.update(self._more.pop(key)())
            if key in self:
                return self[key]
        if self._builder is not None:
            built, self._builder = self._builder(), None
            self.update(built)
            if key in self:
                return self[key]
        raise KeyError(key)
