"""Reads of scheduling, scoped to the actor's clinic: available times, the calendar, one
appointment, the booking rules, schedules, the waitlist, a patient's appointments and
timeline entries, and the providers' calendar feeds."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from medspa.catalog.selectors import provider_candidates
from medspa.core.actors import Actor
from medspa.core.errors import InvalidInput, NotFound, PermissionDenied
from medspa.core.models import AuditEvent
from medspa.patients.selectors import patient_get
from medspa.patients.timeline import TimelineEntry
from medspa.scheduling.availability.engine import find_slots
from medspa.scheduling.availability.loader import Context, Search, from_minute, load, location_with_policy
from medspa.scheduling.choices import MAX_BLOCK_MINUTES, AppointmentStatus, WaitlistStatus
from medspa.scheduling.hooks import appointment_flags
from medspa.scheduling.models import (
    Appointment,
    CalendarFeed,
    ScheduleException,
    WaitlistEntry,
    WaitlistOffer,
    WorkingHours,
)
from medspa.scheduling.services import BOOK, BOOK_OWN, MANAGE, PORTAL, as_uuid
from medspa.scheduling.services.feeds import token_hash

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


def online_slots(actor: Actor, search: Search) -> tuple[list[tuple[int, int, str]], Context]:
    """Times the public portal may offer — the engine in online context (minimum notice,
    rolling window, online-bookable services, never double-booked) — as (start, end,
    practitioner) in epoch minutes. Nothing about who booked what leaves this function."""
    if not (actor.can(PORTAL) or actor.can(BOOK)):
        raise PermissionDenied(permission=PORTAL)
    problem, context = load(actor, dataclasses.replace(search, online=True))
    return [(slot.start, slot.end, slot.provider_id) for slot in find_slots(problem)], context


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
    return rows.select_related("patient", "service", "room", "provider", "location").order_by("start_at", "id")


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
    """Openings offered to waitlist entries that are still in the future and not booked —
    neither through this offer nor through another offer of the same time — to entries still
    on the list."""
    actor.require(VIEW)
    taken = WaitlistOffer.objects.filter(
        clinic=actor.clinic, booked=True, provider_id=OuterRef("provider_id"), start_at=OuterRef("start_at")
    )
    return (
        WaitlistOffer.objects.filter(clinic=actor.clinic, start_at__gte=since, booked=False)
        .filter(~Q(entry__status__in=[WaitlistStatus.BOOKED, WaitlistStatus.REMOVED]))
        .exclude(Exists(taken))
        .select_related("entry__patient", "entry__service", "provider", "location")
        .order_by("start_at", "entry__created_at")
    )


# The patient profile: its Appointments tab and its timeline entries -------------------

PATIENT_APPOINTMENTS_LIMIT = 50


@dataclass(frozen=True)
class PatientAppointment:
    appointment: Appointment
    local_start: datetime
    local_end: datetime
    day_url: str


@dataclass(frozen=True)
class PatientAppointments:
    upcoming: list[PatientAppointment]
    past: list[PatientAppointment]
    more_upcoming: bool
    more_past: bool


def calendar_day_url(day: date) -> str:
    """The staff calendar opened on `day` (the calendar page's name, or its section while
    the page is not built)."""
    for name in ("scheduling_calendar", "section_calendar"):
        try:
            return f"{reverse(name)}?date={day.isoformat()}"
        except NoReverseMatch:
            continue
    return ""


def _on_profile(appointment: Appointment) -> PatientAppointment:
    zone = ZoneInfo(appointment.location.timezone)
    start = appointment.start_at.astimezone(zone)
    return PatientAppointment(appointment, start, appointment.end_at.astimezone(zone), calendar_day_url(start.date()))


def patient_appointments(actor: Actor, patient_id, *, limit: int = PATIENT_APPOINTMENTS_LIMIT) -> PatientAppointments:
    """A patient's upcoming appointments (soonest first) and past ones (latest first), with
    their time in the location's zone; a provider limited to their own calendar sees theirs."""
    own = own_only(actor)
    patient = patient_get(actor=actor, patient_id=as_uuid(patient_id, "patient_id"))
    rows = Appointment.objects.filter(clinic=actor.clinic, patient=patient).select_related(
        "service", "provider", "location", "room"
    )
    if own is not None:
        rows = rows.filter(provider_id=own)
    now = timezone.now()
    upcoming = list(rows.filter(start_at__gte=now).order_by("start_at", "id")[: limit + 1])
    past = list(rows.filter(start_at__lt=now).order_by("-start_at", "-id")[: limit + 1])
    return PatientAppointments(
        upcoming=[_on_profile(a) for a in upcoming[:limit]],
        past=[_on_profile(a) for a in past[:limit]],
        more_upcoming=len(upcoming) > limit,
        more_past=len(past) > limit,
    )


# What each audited appointment action says on the patient's timeline.
TIMELINE_ACTIONS = {
    "appointment.booked": "Appointment booked",
    "appointment.double_booked": "Appointment booked (double-booked)",
    "appointment.moved": "Appointment moved",
    "appointment.cancelled": "Appointment cancelled",
    "appointment.no_show": "Did not attend",
    "appointment.arrived": "Checked in",
    "appointment.completed": "Appointment completed",
}


def patient_timeline_entries(*, actor: Actor, patient_id, limit: int) -> list[TimelineEntry]:
    """The patient's appointment history for the profile timeline, newest first, at most
    `limit` entries: booked, moved, cancelled, no-show, checked in, completed. Roles without a
    calendar permission get none; a provider limited to their own calendar gets only theirs."""
    try:
        own = own_only(actor)
    except PermissionDenied:
        return []
    events = AuditEvent.objects.filter(
        clinic=actor.clinic, patient_id=str(patient_id), action__in=list(TIMELINE_ACTIONS)
    )
    if own is not None:
        mine = Appointment.objects.filter(clinic=actor.clinic, patient_id=patient_id, provider_id=own)
        events = events.filter(object_id__in=[str(pk) for pk in mine.values_list("pk", flat=True)])
    events = list(events.order_by("-created_at", "-seq")[:limit])
    appointments = {
        str(a.pk): a
        for a in Appointment.objects.filter(
            clinic=actor.clinic, patient_id=patient_id, pk__in=[e.object_id for e in events]
        ).select_related("service", "provider", "location")
    }
    entries = []
    for event in events:
        appointment = appointments.get(event.object_id)
        if appointment is None:
            continue
        shown = _on_profile(appointment)
        summary = (
            f"{appointment.service.name} with {appointment.provider.full_name} · {shown.local_start:%b %-d, %Y %H:%M}"
        )
        changes = event.changes or {}
        if event.action == "appointment.moved" and len(changes.get("start") or []) == 2:
            zone = shown.local_start.tzinfo
            old, new = (datetime.fromisoformat(value).astimezone(zone) for value in changes["start"])
            summary = f"{appointment.service.name} · from {old:%b %-d, %Y %H:%M} to {new:%b %-d, %Y %H:%M}"
        if event.action == "appointment.cancelled" and changes.get("reason"):
            summary += f" — {changes['reason']}"
        title = TIMELINE_ACTIONS[event.action]
        entries.append(TimelineEntry("appointment", event.created_at, title, summary, shown.day_url, event.actor_label))
    return entries


# Calendar feeds -----------------------------------------------------------------------

FEED_PAST_DAYS, FEED_AHEAD_DAYS = 30, 90
MAX_FEED_TOKEN = 128


def calendar_feeds(actor: Actor) -> QuerySet[CalendarFeed]:
    """Active feeds the actor may manage: everyone's with scheduling.manage, else their own."""
    if not (actor.can(MANAGE) or actor.can(VIEW) or actor.can(VIEW_OWN)):
        raise PermissionDenied(permission=VIEW_OWN)
    rows = CalendarFeed.objects.filter(clinic=actor.clinic, revoked_at__isnull=True)
    if not actor.can(MANAGE):
        rows = rows.filter(provider_id=actor.user.pk if actor.user else None)
    return rows.select_related("provider").order_by("created_at")


def feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed a raw token opens, found by the token's SHA-256 (an indexed equality,
    so an unknown or revoked token costs the same lookup). None when it opens nothing, or
    when its provider no longer works at the clinic."""
    if not token or len(token) > MAX_FEED_TOKEN:
        return None
    feed = (
        CalendarFeed.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .select_related("clinic", "provider")
        .first()
    )
    if feed is None:
        return None
    if not provider_candidates(actor=Actor.system(clinic=feed.clinic)).filter(pk=feed.provider_id).exists():
        return None
    return feed


def feed_appointments(feed: CalendarFeed, *, now: datetime | None = None) -> QuerySet[Appointment]:
    """The feed provider's appointments from 30 days ago to 90 days ahead, cancelled left out."""
    now = now or timezone.now()
    start, end = now - timedelta(days=FEED_PAST_DAYS), now + timedelta(days=FEED_AHEAD_DAYS)
    return (
        Appointment.objects.filter(
            clinic_id=feed.clinic_id,
            provider_id=feed.provider_id,
            start_at__gte=start - timedelta(minutes=MAX_BLOCK_MINUTES),
            start_at__lt=end,
            end_at__gt=start,
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient", "service", "location")
        .order_by("start_at", "id")
    )


FEED_COLUMNS = (
    "id", "visit_id", "status", "start_at", "end_at", "provider_id", "patient_id", "service_id", "location_id",
    "room_id", "source", "notes", "version", "double_booked",
    "patient__first_name", "patient__preferred_name", "patient__last_name", "service__name", "service__color",
    "room__name", "provider__first_name", "provider__last_name", "provider__email",
)  # fmt: skip


def calendar_feed(actor: Actor, **window) -> list[dict]:
    """The calendar as plain rows with their display labels, in one statement (no model
    objects: a week of a busy clinic is thousands of rows). Same scoping as `calendar`."""
    rows = []
    values = list(calendar(actor, **window).values(*FEED_COLUMNS))
    flags = appointment_flags(actor, values)
    for row in values:
        patient = f"{row['patient__preferred_name'] or row['patient__first_name']} {row['patient__last_name']}"
        provider = f"{row['provider__first_name']} {row['provider__last_name']}".strip() or row["provider__email"]
        rows.append(
            {
                "id": str(row["id"]),
                "visit_id": str(row["visit_id"]),
                "status": row["status"],
                "start": row["start_at"].isoformat(),
                "end": row["end_at"].isoformat(),
                "practitioner_id": str(row["provider_id"]),
                "patient_id": str(row["patient_id"]),
                "service_id": str(row["service_id"]),
                "location_id": str(row["location_id"]),
                "room_id": str(row["room_id"]) if row["room_id"] else None,
                "source": row["source"],
                "notes": row["notes"],
                "version": row["version"],
                "double_booked": row["double_booked"],
                "patient_name": patient.strip(),
                "service_name": row["service__name"],
                "color": row["service__color"],
                "room_name": row["room__name"],
                "practitioner_name": provider,
                "flags": flags.get(str(row["id"]), []),
            }
        )
    return rows


def had_service_since(actor: Actor, patient_id, service_id, since: datetime) -> bool:
    """Whether the patient was seen for the service (arrived, in progress or completed)
    between `since` and now — e.g. the consultation a treatment requires."""
    return Appointment.objects.filter(
        clinic=actor.clinic,
        patient_id=as_uuid(patient_id, "patient_id"),
        service_id=as_uuid(service_id, "service_id"),
        status__in=[AppointmentStatus.ARRIVED, AppointmentStatus.IN_PROGRESS, AppointmentStatus.COMPLETED],
        start_at__gte=since,
        start_at__lte=timezone.now(),
    ).exists()


def upcoming_visit_count(actor: Actor, patient_id) -> int:
    """How many of the patient's visits are still ahead (requested, scheduled or confirmed)."""
    return (
        Appointment.objects.filter(
            clinic=actor.clinic,
            patient_id=as_uuid(patient_id, "patient_id"),
            status__in=[AppointmentStatus.REQUESTED, AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED],
            start_at__gt=timezone.now(),
        )
        .values("visit_id")
        .distinct()
        .count()
    )


def visit_appointments(actor: Actor, visit_id) -> list[Appointment]:
    """A visit's appointments in order, with service, practitioner and location loaded."""
    return list(
        Appointment.objects.filter(clinic=actor.clinic, visit_id=as_uuid(visit_id, "visit_id"))
        .select_related("service", "provider", "location")
        .order_by("start_at")
    )
