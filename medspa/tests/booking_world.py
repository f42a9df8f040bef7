"""Public booking data for the generated matrices: the clinic's portal turned on over the
scheduling world, and the secrets an anonymous caller of /api/public/... would hold — a held
time, a held time awaiting its deposit, and a booked visit's manage link."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import cache

from medspa.booking import selectors
from medspa.booking import services as booking_services
from medspa.booking.tokens import manage_token
from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.tests.scheduling_world import NEW_YORK

DETAILS = {"first_name": "Pub", "last_name": "Matrix", "phone": "(212) 555-0177", "email": "pub@matrix.example"}


def _hold(portal, service_id, start):
    return booking_services.portal_hold(portal, service_ids=[service_id], start=start, ip="198.51.100.7")


def _submit(portal, token, **details):
    return booking_services.portal_submit(
        portal, token, details={**DETAILS, **details}, accept_policy=True, ip="198.51.100.7"
    )


def build(clinic, owner, scheduling: dict) -> dict:
    """Turn the clinic's portal on (a clinic-wide deposit only for the deposit hold) and return
    the path values and body values of the public routes. `scheduling` is the built world."""
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    booking_services.settings_update(actor, values={"enabled": True})
    portal = selectors.portal_for(clinic.slug)
    service_id = scheduling["service_id"]
    day = datetime.now(tz=NEW_YORK).date() + timedelta(days=11)

    def start(hour: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, tzinfo=NEW_YORK)

    held = _hold(portal, service_id, start(9))
    booked = _submit(portal, _hold(portal, service_id, start(13)).token)
    booking_services.settings_update(actor, values={"deposit_kind": "fixed", "deposit_value": "25.00"})
    deposit = _hold(selectors.portal_for(clinic.slug), service_id, start(15))
    _submit(selectors.portal_for(clinic.slug), deposit.token, first_name="Pubb")
    booking_services.settings_update(actor, values={"deposit_kind": "none", "deposit_value": "0"})
    cache.clear()  # the setup's own requests do not count against the matrix's rate limits
    return {
        "clinic_slug": clinic.slug,
        "hold_token": held.token,
        "deposit_token": deposit.token,
        "manage_token": manage_token(booked.pk),
        "hold_start": start(10).isoformat(),
        "reschedule_start": start(16).isoformat(),
        "waitlist_from": day.isoformat(),
        "waitlist_to": (day + timedelta(days=7)).isoformat(),
    }
