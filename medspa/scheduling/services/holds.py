"""Holds: a time kept for someone who is still booking — a patient on the booking portal
filling in details or paying a deposit, or a patient finishing a booking staff started.

A hold is placed exactly like an online booking (the engine in online context: minimum
notice, rolling window, online-bookable services, never double-booked) and reserves the
same provider, room and equipment units an appointment would, so the engine and (on
PostgreSQL) the overlap constraint treat it as taken. It lapses at `expires_at` by itself
(busy-time reads ignore it from then on); `holds_expire` tidies lapsed holds in the
background and booking writes release them first. Booking a hold turns its reservations
into the visit's in the same transaction, so nobody can take the time in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from medspa.catalog.models import Service
from medspa.core import live
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, Gone, InvalidInput, NotFound
from medspa.scheduling.availability.loader import Search, epoch_minute
from medspa.scheduling.booking import (
    ONE_MINUTE,
    as_datetime,
    place,
    place_anyone,
    plan_from_json,
    plan_json,
    reservation_rows,
)
from medspa.scheduling.choices import AppointmentStatus, BookingSource, HoldStatus
from medspa.scheduling.models import Reservation, SlotHold, Visit
from medspa.scheduling.services.appointments import (
    booking_transaction,
    create_visit,
    release_lapsed_holds,
    reserve_rows,
)
from medspa.scheduling.services.common import PORTAL, as_uuid, default_location, require_booking

MIN_HOLD_MINUTES, MAX_HOLD_MINUTES = 1, 7 * 24 * 60


@dataclass
class HoldRequest:
    service_ids: list
    start: datetime
    minutes: int
    provider_id: object = None  # None: any practitioner free then
    location_id: object = None
    addon_ids: list = field(default_factory=list)
    source: str = BookingSource.ONLINE


def _require_hold(actor: Actor, provider_id) -> None:
    """The portal places holds for anyone free; staff need the right to book that provider."""
    if actor.can(PORTAL):
        return
    require_booking(actor, provider_id)


def hold_place(actor: Actor, request: HoldRequest) -> SlotHold:
    """Keep a time for `request.minutes`, checked with the online rules; 409 when taken."""
    if not isinstance(request.start, datetime) or request.start.tzinfo is None:
        raise InvalidInput("Give the start with a UTC offset.", fields={"start": ["Include a UTC offset."]})
    if not request.service_ids or len(request.service_ids) > 5:
        raise InvalidInput("Choose one to five services.", fields={"service_ids": ["One to five services."]})
    if not MIN_HOLD_MINUTES <= int(request.minutes) <= MAX_HOLD_MINUTES:
        raise InvalidInput("A hold lasts between a minute and a week.", fields={"minutes": ["Out of range."]})
    if request.source not in BookingSource.values:
        raise InvalidInput("Unknown booking source.", fields={"source": ["Unknown."]})
    service_ids = tuple(str(as_uuid(s, "service_ids")) for s in request.service_ids)
    addon_ids = tuple(str(as_uuid(a, "addon_ids")) for a in request.addon_ids)
    provider_id = str(as_uuid(request.provider_id, "practitioner_id")) if request.provider_id else None
    _require_hold(actor, provider_id)
    location_id = default_location(actor, request.location_id)
    now = timezone.now()
    search = Search(
        service_ids=service_ids,
        location_id=location_id,
        start=request.start,
        end=request.start + ONE_MINUTE,
        online=True,
        addon_ids=addon_ids,
        now=now,
    )
    with booking_transaction():
        release_lapsed_holds(actor)
        if provider_id:
            placement = place(actor, search, provider_id, request.start)
        else:
            placement = place_anyone(actor, search, request.start)
        # On a whole minute: busy-time reads compare minutes, so the time is blocked exactly
        # until `expires_at` (never freed in the hold's last seconds).
        expires = now + timedelta(minutes=int(request.minutes))
        if expires.second or expires.microsecond:
            expires = expires.replace(second=0, microsecond=0) + timedelta(minutes=1)
        hold = SlotHold.objects.create(
            clinic=actor.clinic,
            location=placement.context.location,
            provider_id=placement.provider_id,
            service_ids=list(service_ids),
            addon_ids=list(dict.fromkeys(addon_ids)),
            start_at=as_datetime(placement.appointments[0].start),
            end_at=as_datetime(placement.appointments[-1].end),
            expires_at=expires,
            plan=plan_json(placement.appointments),
            source=request.source,
            created_by=actor.user,
        )
        rows = []
        for planned in placement.appointments:
            rows += reservation_rows(
                actor, None, planned, placement.provider_id, hold=hold, expires_minute=epoch_minute(expires)
            )
        reserve_rows(rows)
        audit_record(
            action="hold.placed",
            actor=actor,
            obj=hold,
            changes={"start": hold.start_at.isoformat(), "expires": expires.isoformat(), "source": request.source},
        )
        _announce(actor, "hold.created", hold)
        return hold


def _hold_for_update(actor: Actor, hold_id) -> SlotHold:
    hold = SlotHold.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(hold_id, "hold_id")).first()
    if hold is None:
        raise NotFound("Hold not found.")
    _require_hold(actor, hold.provider_id)
    return hold


def hold_release(actor: Actor, hold_id) -> SlotHold:
    """Let a held time go (the patient picked another time or gave up); releasing twice is fine."""
    with booking_transaction():
        hold = _hold_for_update(actor, hold_id)
        if hold.status != HoldStatus.HELD:
            return hold
        _end(hold, HoldStatus.RELEASED)
        audit_record(action="hold.released", actor=actor, obj=hold)
        _announce(actor, "hold.released", hold)
        return hold


def hold_book(
    actor: Actor,
    hold_id,
    *,
    patient,
    status: str = AppointmentStatus.SCHEDULED,
    notes: str = "",
) -> Visit:
    """Turn a live hold into the visit it was keeping, for `patient`: the same practitioner,
    times, rooms and equipment. A hold that lapsed is 410 (its time may be someone else's);
    one already booked is 409."""
    if status not in (AppointmentStatus.SCHEDULED, AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED):
        raise InvalidInput("A booking starts as requested, scheduled or confirmed.", fields={"status": ["Invalid."]})
    with booking_transaction():
        hold = _hold_for_update(actor, hold_id)
        if hold.status == HoldStatus.BOOKED:
            raise Conflict("This time has already been booked.", code="already_booked")
        if hold.status != HoldStatus.HELD or hold.expires_at <= timezone.now():
            raise Gone("The time was held for you but the hold has expired. Pick a time again.", code="hold_expired")
        planned = plan_from_json(hold.plan)
        Reservation.objects.filter(hold=hold).delete()
        durations = dict(
            Service.objects.filter(clinic=actor.clinic, pk__in=hold.addon_ids).values_list("pk", "duration_minutes")
        )
        visit = create_visit(
            actor,
            patient=patient,
            location=hold.location,
            provider_id=str(hold.provider_id),
            planned=planned,
            addons={pk: durations[as_uuid(pk, "addon_ids")] for pk in hold.addon_ids},
            source=hold.source,
            status=status,
            notes=notes,
        )
        hold.status, hold.visit = HoldStatus.BOOKED, visit
        hold.save(update_fields=["status", "visit", "updated_at"])
        return visit


def holds_expire(now: datetime | None = None) -> int:
    """System sweep: mark every clinic's lapsed holds expired and free their reservations."""
    now = now or timezone.now()
    lapsed = SlotHold.objects.filter(status=HoldStatus.HELD, expires_at__lte=now)
    count = 0
    for hold in lapsed.select_related("clinic")[:5000]:
        _end(hold, HoldStatus.EXPIRED)
        live.publish(clinic_id=hold.clinic_id, event="hold.released", payload={"ids": [str(hold.pk)]})
        count += 1
    return count


def active_holds(actor: Actor, start: datetime, end: datetime):
    """The clinic's live holds meeting [start, end) (for the staff calendar)."""
    live = SlotHold.objects.filter(clinic=actor.clinic, status=HoldStatus.HELD, expires_at__gt=timezone.now())
    return live.filter(start_at__lt=end, end_at__gt=start)


def _end(hold: SlotHold, status: str) -> None:
    Reservation.objects.filter(hold=hold, active=True).update(active=False)
    hold.status = status
    hold.save(update_fields=["status", "updated_at"])


def _announce(actor: Actor, event: str, hold: SlotHold) -> None:
    live.publish(clinic_id=actor.clinic_id, event=event, payload={"ids": [str(hold.pk)]})
