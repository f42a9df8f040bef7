"""Reads of scheduling, scoped to the actor's clinic: available times, the calendar, one
appointment, the booking rules, schedules and the waitlist."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from medspa.core.actors import Actor
from medspa.core.errors import InvalidInput, NotFound, PermissionDenied
from medspa.scheduling.availability.engine import find_slots
from medspa.scheduling.availability.loader import Context, Search, from_minute, load, location_with_policy
from medspa.scheduling.choices import MAX_BLOCK_MINUTES, AppointmentStatus, WaitlistStatus
from medspa.scheduling.models import (
    Appointment,
    ScheduleException,
    WaitlistEntry,
    WaitlistOffer,
    WorkingHours,
)
from medspa.scheduling.services import BOOK, BOOK_OWN, as_uuid

VIEW, VIEW_OWN = "scheduling.view", "scheduling.view_own"
MAX_CALENDAR_DAYS = 42


def own_only(actor: Actor, *, book: bool = False) -> str | None:
    """The provider id an actor is limited to (their own calendar), or None for the whole clinic."""
    whole, own = (BOOK, BOOK_OWN) if book else (VIEW, VIEW_OWN)
    if actor.can(whole):
        return None
    if actor.can(own) and actor.user is not None:
        return str(actor.user.pk)
    raise PermissionDenied(permission=whole)


def available_slots(actor: Actor, search: Search) -> tuple[list[dict], Context]:
    """Bookable visit starts for the search, as dicts in the location's time zone, with the
    practitioner, the room (if any), the equipment and whether the time keeps the day tight."""
    own = own_only(actor, book=True)
    if own is not None:
        search = dataclasses.replace(search, provider_ids=frozenset({own}))
    problem, context = load(actor, search)
    zone = context.zone
    slots = [
        {
            "start": from_minute(slot.start).astimezone(zone).isoformat(),
            "end": from_minute(slot.end).astimezone(zone).isoformat(),
            "practitioner_id": slot.provider_id,
            "room_id": slot.room_id,
            "equipment_ids": list(slot.equipment_ids),
            "best": slot.best,
        }
        for slot in find_slots(problem)
    ]
    return slots, context


def booking_rules(actor: Actor, location_id) -> dict:
    _, policy = location_with_policy(actor, as_uuid(location_id, "location_id"))
    return policy


def calendar(
    actor: Actor,
    *,
    start: datetime,
    end: datetime,
    provider_id=None,
    room_id=None,
    location_id=None,
    include_cancelled: bool = False,
) -> QuerySet[Appointment]:
    """Appointments meeting [start, end), with patient, service, room and provider loaded in the
    same statement. `start_at` is bounded on both sides (no appointment is longer than
    MAX_BLOCK_MINUTES), so history costs nothing. Providers limited to their own calendar see
    only theirs."""
    own = own_only(actor)
    if end <= start or end - start > timedelta(days=MAX_CALENDAR_DAYS):
        raise InvalidInput(
            f"Choose an end after the start, at most {MAX_CALENDAR_DAYS} days later.", fields={"end": ["Out of range."]}
        )
    rows = Appointment.objects.filter(
        clinic=actor.clinic,
        start_at__gte=start - timedelta(minutes=MAX_BLOCK_MINUTES),
        start_at__lt=end,
        end_at__gt=start,
    )
    if own is not None:
        rows = rows.filter(provider_id=own)
    if provider_id:
        rows = rows.filter(provider_id=as_uuid(provider_id, "provider_id"))
    if room_id:
        rows = rows.filter(room_id=as_uuid(room_id, "room_id"))
    if location_id:
        rows = rows.filter(location_id=as_uuid(location_id, "location_id"))
    if not include_cancelled:
        rows = rows.exclude(status=AppointmentStatus.CANCELLED)
    return rows.select_related("patient", "service", "room", "provider").order_by("start_at", "id")


def appointment_get(actor: Actor, appointment_id) -> Appointment:
    own = own_only(actor)
    rows = Appointment.objects.filter(clinic=actor.clinic, pk=as_uuid(appointment_id, "id"))
    if own is not None:
        rows = rows.filter(provider_id=own)
    appointment = rows.select_related("patient", "service", "room", "provider", "location").first()
    if appointment is None:
        raise NotFound("Appointment not found.")
    return appointment


def working_hours(actor: Actor, *, location_id, provider_id=None) -> QuerySet[WorkingHours]:
    own_only(actor)
    rows = WorkingHours.objects.filter(clinic=actor.clinic, location_id=as_uuid(location_id, "location_id"))
    if provider_id:
        rows = rows.filter(provider_id=as_uuid(provider_id, "provider_id"))
    return rows.order_by("provider_id", "weekday", "start_minute")


def schedule_exceptions(actor: Actor, *, start, end, provider_id=None) -> QuerySet[ScheduleException]:
    own_only(actor)
    rows = ScheduleException.objects.filter(clinic=actor.clinic, date__gte=start, date__lte=end)
    if provider_id:
        rows = rows.filter(provider_id=as_uuid(provider_id, "provider_id"))
    return rows.order_by("date", "start_minute")


def waitlist(actor: Actor, *, status: str = WaitlistStatus.WAITING) -> QuerySet[WaitlistEntry]:
    actor.require(VIEW)
    rows = WaitlistEntry.objects.filter(clinic=actor.clinic)
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("patient", "service", "provider", "location").order_by("created_at", "id")


def waitlist_offers(actor: Actor, *, since: datetime) -> QuerySet[WaitlistOffer]:
    """Openings offered to waitlist entries that are still in the future and not booked."""
    actor.require(VIEW)
    return (
        WaitlistOffer.objects.filter(clinic=actor.clinic, start_at__gte=since, booked=False)
        .filter(~Q(entry__status=WaitlistStatus.BOOKED))
        .select_related("entry__patient", "entry__service", "provider", "location")
        .order_by("start_at", "entry__created_at")
    )
