"""Joining a service's waitlist from the portal when no time fits."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from medspa.booking.choices import WRITES_PER_IP_PER_MINUTE
from medspa.booking.selectors import Portal, public_service_map
from medspa.booking.services.portal import patient_for_details
from medspa.booking.validation import clean_details
from medspa.core import ratelimit
from medspa.core.actors import Actor
from medspa.core.errors import InvalidInput
from medspa.scheduling.services import waitlist_join

MAX_WAIT_DAYS = 180


def portal_waitlist_join(
    portal: Portal,
    *,
    service_id,
    details: dict,
    date_from: date,
    date_to: date,
    times_of_day: list | None = None,
    practitioner_id=None,
    ip: str = "",
):
    """Put the person on the service's waitlist (matched to their profile or a new one, as a
    booking would be); staff and the waitlist job offer openings in the order people joined."""
    ratelimit.hit("booking.write.ip", ip or "unknown", limit=WRITES_PER_IP_PER_MINUTE, seconds=60)
    if str(details.get("website") or "").strip():
        raise InvalidInput("We could not accept this request.", code="rejected")
    public_service_map(portal, [service_id])
    clean = clean_details(details, region=portal.location.country)
    if (date_to - date_from).days > MAX_WAIT_DAYS:
        raise InvalidInput(f"Wait for at most {MAX_WAIT_DAYS} days.", fields={"date_to": ["Too far ahead."]})
    with transaction.atomic():
        patient, _new = patient_for_details(portal, clean)
        return waitlist_join(
            Actor.system(clinic=portal.clinic, label="online booking"),
            patient_id=patient.pk,
            service_id=service_id,
            provider_id=practitioner_id,
            location_id=portal.location.pk,
            date_from=date_from,
            date_to=date_to,
            times_of_day=list(times_of_day or []),
            notes=clean.notes[:500],
        )
