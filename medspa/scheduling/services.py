"""Writes of scheduling: booking, moving, cancelling, status changes, recurring series,
provider schedules and the clinic's booking rules. Each function is one transaction, checks
the actor's permission, scopes by clinic and records an audit event.

No double booking: every booking and move re-checks the time with the availability engine
inside its transaction (SQLite serialises these transactions with BEGIN IMMEDIATE), and on
PostgreSQL the exclusion constraint on reservations refuses an overlap that slipped between
check and insert; both surface as a 409 naming the conflict.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from medspa.catalog.selectors import booking_catalog
from medspa.core import live
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from medspa.core.models import Location
from medspa.core.outbox import outbox_enqueue
from medspa.patients.choices import ProfileType
from medspa.patients.selectors import patient_get
from medspa.scheduling.availability.loader import Search, location_with_policy
from medspa.scheduling.booking import (
    ONE_MINUTE,
    Placement,
    as_datetime,
    free_provider_unit,
    place,
    reservation_rows,
)
from medspa.scheduling.choices import (
    MOVABLE_STATUSES,
    TRANSITIONS,
    AppointmentStatus,
    BlockKind,
    BookingSource,
    ExceptionKind,
    TimeOfDay,
    WaitlistStatus,
)
from medspa.scheduling.models import (
    Appointment,
    AppointmentAddon,
    AppointmentChange,
    AppointmentSeries,
    Reservation,
    ScheduleException,
    SchedulePolicy,
    Visit,
    WaitlistEntry,
    WaitlistOffer,
    WorkingHours,
)

BOOK, BOOK_OWN, MANAGE = "scheduling.book", "scheduling.book_own", "scheduling.manage"
RELEASED = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW})


def as_uuid(value, field_name: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise InvalidInput("Not a valid id.", fields={field_name: ["Not a valid id."]}) from None


def require_booking(actor: Actor, provider_id) -> None:
    """Booking for anyone needs scheduling.book; a provider with book_own only for themself."""
    if actor.can(BOOK):
        return
    if actor.can(BOOK_OWN) and actor.user is not None and str(actor.user.pk) == str(provider_id):
        return
    raise PermissionDenied(permission=BOOK)


@dataclass
class BookingRequest:
    patient_id: object
    service_ids: list
    provider_id: object
    start: datetime
    location_id: object = None
    room_id: object = None
    addon_ids: list = field(default_factory=list)
    notes: str = ""
    source: str = BookingSource.ADMIN
    double_book: bool = False
    online: bool = False
    status: str = AppointmentStatus.SCHEDULED


def default_location(actor: Actor, location_id=None):
    """The given location's id, or the clinic's only active location when none is given."""
    if location_id:
        return as_uuid(location_id, "location_id")
    locations = list(Location.objects.filter(clinic=actor.clinic, is_active=True).values_list("pk", flat=True)[:2])
    if len(locations) == 1:
        return locations[0]
    raise InvalidInput("Choose a location.", fields={"location_id": ["Required when the clinic has several."]})


def _validated(actor: Actor, request: BookingRequest):
    if request.source not in BookingSource.values:
        raise InvalidInput("Unknown booking source.", fields={"source": ["Unknown."]})
    if request.online and request.double_book:
        raise InvalidInput("Online bookings can never double-book.", fields={"double_book": ["Not allowed online."]})
    if not isinstance(request.start, datetime) or request.start.tzinfo is None:
        raise InvalidInput("Give the start with a UTC offset.", fields={"start": ["Include a UTC offset."]})
    if len(request.notes or "") > 2000:
        raise InvalidInput("Notes are limited to 2,000 characters.", fields={"notes": ["Too long."]})
    if not request.service_ids or len(request.service_ids) > 5:
        raise InvalidInput("Choose one to five services.", fields={"service_id": ["One to five services."]})
    provider_id = str(as_uuid(request.provider_id, "practitioner_id"))
    require_booking(actor, provider_id)
    patient = patient_get(actor=actor, patient_id=as_uuid(request.patient_id, "patient_id"))
    if patient.profile_type != ProfileType.PATIENT:
        raise InvalidInput(
            "This profile is a contact, not a patient; book for the patient instead.",
            fields={"patient_id": ["A contact profile cannot be treated."]},
        )
    location_id = default_location(actor, request.location_id)
    service_ids = tuple(str(as_uuid(s, "service_id")) for s in request.service_ids)
    addon_ids = tuple(str(as_uuid(a, "addon_ids")) for a in request.addon_ids)
    room_id = str(as_uuid(request.room_id, "room_id")) if request.room_id else None
    if request.double_book:
        _, policy = location_with_policy(actor, location_id)
        if not policy["allow_staff_double_booking"]:
            raise InvalidInput(
                "Double booking is turned off for this clinic.", fields={"double_book": ["Not allowed."]}
            )
    search = Search(
        service_ids=service_ids,
        location_id=location_id,
        start=request.start,
        end=request.start + ONE_MINUTE,
        online=request.online,
        addon_ids=addon_ids,
        now=timezone.now(),
    )
    return patient, provider_id, search, room_id


def booking_check(actor: Actor, request: BookingRequest) -> Placement:
    """Dry run: the placement a booking would get, or the error it would raise."""
    _patient, provider_id, search, room_id = _validated(actor, request)
    return place(actor, search, provider_id, request.start, room_id=room_id, double_book=request.double_book)


def book(actor: Actor, request: BookingRequest, *, series: AppointmentSeries | None = None) -> Visit:
    """Book a visit: one appointment per service, back to back with one provider."""
    with _booking_transaction():
        patient, provider_id, search, room_id = _validated(actor, request)
        placement = place(actor, search, provider_id, request.start, room_id=room_id, double_book=request.double_book)
        visit = Visit.objects.create(
            clinic=actor.clinic,
            patient=patient,
            location=placement.context.location,
            source=request.source,
            created_by=actor.user,
        )
        appointments = []
        for index, planned in enumerate(placement.appointments):
            if placement.double_booked:
                planned.provider_unit = free_provider_unit(
                    actor, provider_id, (planned.start - planned.before, planned.end + planned.after)
                )
            appointment = Appointment.objects.create(
                clinic=actor.clinic,
                visit=visit,
                series=series,
                patient=patient,
                provider_id=provider_id,
                service_id=planned.service_id,
                location=placement.context.location,
                room_id=planned.room[0] if planned.room else None,
                start_at=as_datetime(planned.start),
                end_at=as_datetime(planned.end),
                buffer_before=planned.before,
                buffer_after=planned.after,
                status=request.status,
                source=request.source,
                notes=request.notes or "",
                double_booked=planned.provider_unit > 0,
                created_by=actor.user,
            )
            if index == 0:
                _attach_addons(actor, appointment, search.addon_ids, placement)
            _reserve(actor, appointment, planned, provider_id)
            appointments.append(appointment)
            audit_record(
                action="appointment.booked" if planned.provider_unit == 0 else "appointment.double_booked",
                actor=actor,
                obj=appointment,
                patient_id=patient.pk,
                changes={"start": appointment.start_at.isoformat(), "provider": provider_id, "source": request.source},
            )
        _announce(actor, "appointment.created", appointments)
        visit.booked = appointments
        return visit


def _attach_addons(actor: Actor, appointment: Appointment, addon_ids, placement: Placement) -> None:
    services = placement.context.catalog.services
    AppointmentAddon.objects.bulk_create(
        AppointmentAddon(
            clinic=actor.clinic, appointment=appointment, service_id=pk, duration_minutes=services[pk].duration
        )
        for pk in dict.fromkeys(addon_ids)
    )


def _reserve(actor: Actor, appointment: Appointment, planned, provider_id: str) -> None:
    """Insert the reservations; an overlap the database refuses becomes a 409."""
    try:
        with transaction.atomic():
            Reservation.objects.bulk_create(reservation_rows(actor, appointment, planned, provider_id))
    except IntegrityError as error:
        raise Conflict("That time was just taken. Pick another time.", code="slot_unavailable") from error


class _booking_transaction:  # noqa: N801 - used as a context manager like transaction.atomic
    """One transaction; lock and serialisation errors under contention become a 409."""

    def __enter__(self):
        self._atomic = transaction.atomic()
        return self._atomic.__enter__()

    def __exit__(self, kind, error, tb):
        result = self._atomic.__exit__(kind, error, tb)
        if isinstance(error, OperationalError) and _is_contention(error):
            raise Conflict("The calendar is busy; try again.", code="slot_unavailable") from error
        if isinstance(error, IntegrityError) and "reservation_no_overlap" in str(error):
            raise Conflict("That time was just taken. Pick another time.", code="slot_unavailable") from error
        return result


def _is_contention(error: Exception) -> bool:
    text = str(error).lower()
    return "database is locked" in text or "deadlock" in text or "could not serialize" in text


@dataclass
class SeriesResult:
    series: AppointmentSeries
    booked: list[Visit]
    failed: list[tuple[datetime, str]]


def book_series(actor: Actor, request: BookingRequest, *, interval_weeks: int, count: int) -> SeriesResult:
    """Book every `interval_weeks` weeks, `count` times (same local wall time); occurrences that
    cannot be booked are reported, the others are booked."""
    if not 1 <= int(interval_weeks) <= 52 or not 2 <= int(count) <= 52:
        raise InvalidInput(
            "Repeat every 1–52 weeks, 2–52 times.", fields={"interval_weeks": ["1–52."], "count": ["2–52."]}
        )
    require_booking(actor, request.provider_id)
    with transaction.atomic():
        series = AppointmentSeries.objects.create(
            clinic=actor.clinic, interval_weeks=interval_weeks, count=count, created_by=actor.user
        )
        booked, failed = [], []
        local = request.start
        for n in range(int(count)):
            start = _same_wall_time(local, weeks=n * int(interval_weeks))
            occurrence = BookingRequest(**{**request.__dict__, "start": start})
            try:
                with transaction.atomic():
                    booked.append(book(actor, occurrence, series=series))
            except (Conflict, InvalidInput) as error:
                failed.append((start, error.detail))
        if not booked:
            transaction.set_rollback(True)
        audit_record(
            action="appointment.series_booked",
            actor=actor,
            obj=series,
            changes={"booked": len(booked), "failed": len(failed)},
        )
        return SeriesResult(series, booked, failed)


def _same_wall_time(start: datetime, *, weeks: int) -> datetime:
    """The same local time `weeks` weeks later (across DST the UTC offset may differ)."""
    zone = start.tzinfo
    naive = start.replace(tzinfo=None) + timedelta(weeks=weeks)
    return naive.replace(tzinfo=zone) if hasattr(zone, "key") else start + timedelta(weeks=weeks)


def _appointment_for_update(actor: Actor, appointment_id) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(appointment_id, "id")).first()
    )
    if appointment is None:
        raise NotFound("Appointment not found.")
    require_booking(actor, appointment.provider_id)
    return appointment


def appointment_move(
    actor: Actor,
    appointment_id,
    *,
    start: datetime,
    provider_id=None,
    room_id=None,
    duration: int | None = None,
    version: int | None = None,
    double_book: bool = False,
    reason: str = "",
) -> Appointment:
    """Move (new start, provider or room) or resize (new duration) an appointment. The new
    time is checked like a new booking, ignoring the appointment's own current time."""
    with _booking_transaction():
        appointment = _appointment_for_update(actor, appointment_id)
        if version is not None and int(version) != appointment.version:
            raise Conflict("This appointment was changed by someone else; reload it.", code="stale")
        if appointment.status not in MOVABLE_STATUSES:
            raise InvalidInput(
                f"A {appointment.get_status_display().lower()} appointment cannot be moved.",
                fields={"status": ["Not movable."]},
            )
        if not isinstance(start, datetime) or start.tzinfo is None:
            raise InvalidInput("Give the start with a UTC offset.", fields={"start": ["Include a UTC offset."]})
        new_provider = str(as_uuid(provider_id, "practitioner_id")) if provider_id else str(appointment.provider_id)
        require_booking(actor, new_provider)
        if double_book:
            _, policy = location_with_policy(actor, appointment.location_id)
            if not policy["allow_staff_double_booking"]:
                raise InvalidInput("Double booking is turned off for this clinic.", fields={"double_book": ["Off."]})
        addons = list(AppointmentAddon.objects.filter(appointment=appointment).values_list("service_id", flat=True))
        search = Search(
            service_ids=(str(appointment.service_id),),
            location_id=appointment.location_id,
            start=start,
            end=start + ONE_MINUTE,
            addon_ids=tuple(str(a) for a in addons),
            exclude_appointment_ids=frozenset({str(appointment.pk)}),
            now=timezone.now(),
        )
        room = (
            str(as_uuid(room_id, "room_id")) if room_id else (str(appointment.room_id) if appointment.room_id else None)
        )
        placement = place(actor, search, new_provider, start, room_id=room, duration=duration, double_book=double_book)
        planned = placement.appointments[0]
        if double_book:
            planned.provider_unit = free_provider_unit(
                actor, new_provider, (planned.start - planned.before, planned.end + planned.after)
            )
        before = (appointment.start_at, appointment.end_at, appointment.provider_id, appointment.room_id)
        Reservation.objects.filter(appointment=appointment, active=True).update(active=False)
        appointment.start_at, appointment.end_at = as_datetime(planned.start), as_datetime(planned.end)
        appointment.provider_id = new_provider
        appointment.room_id = planned.room[0] if planned.room else None
        appointment.double_booked = planned.provider_unit > 0
        appointment.version = F("version") + 1
        appointment.save(
            update_fields=["start_at", "end_at", "provider", "room", "double_booked", "version", "updated_at"]
        )
        appointment.refresh_from_db(fields=["version"])
        _reserve(actor, appointment, planned, new_provider)
        AppointmentChange.objects.create(
            clinic=actor.clinic,
            appointment=appointment,
            changed_by=actor.user,
            from_start=before[0],
            from_end=before[1],
            from_provider_id=before[2],
            from_room_id=before[3],
            to_start=appointment.start_at,
            to_end=appointment.end_at,
            to_provider_id=new_provider,
            to_room_id=appointment.room_id,
            reason=(reason or "")[:300],
        )
        audit_record(
            action="appointment.moved",
            actor=actor,
            obj=appointment,
            patient_id=appointment.patient_id,
            changes={"start": [before[0].isoformat(), appointment.start_at.isoformat()], "provider": new_provider},
        )
        _opening(actor, appointment, before[0], before[1], str(before[2]))
        _announce(actor, "appointment.updated", [appointment])
        return appointment


def appointment_set_status(actor: Actor, appointment_id, status: str, *, reason: str = "") -> Appointment:
    """Move an appointment along its lifecycle; only the transitions in TRANSITIONS are allowed.
    Cancelling and no-shows release the time (and offer it to the waitlist)."""
    if status not in AppointmentStatus.values:
        raise InvalidInput("Unknown status.", fields={"status": ["Unknown status."]})
    if status == AppointmentStatus.CANCELLED and not (reason or "").strip():
        raise InvalidInput("Give a reason for cancelling.", fields={"reason": ["Required when cancelling."]})
    if len(reason or "") > 300:
        raise InvalidInput("Reason is limited to 300 characters.", fields={"reason": ["Too long."]})
    with transaction.atomic():
        appointment = _appointment_for_update(actor, appointment_id)
        old = appointment.status
        if status not in TRANSITIONS[old]:
            raise InvalidInput(
                f"A {appointment.get_status_display().lower()} appointment cannot become "
                f"{AppointmentStatus(status).label.lower()}.",
                code="invalid_transition",
                fields={"status": [f"Not allowed from {old}."]},
            )
        now = timezone.now()
        appointment.status, appointment.status_changed_at = status, now
        fields = ["status", "status_changed_at", "version", "updated_at"]
        if status == AppointmentStatus.ARRIVED:
            appointment.checked_in_at = now
            fields.append("checked_in_at")
        if status == AppointmentStatus.CANCELLED:
            appointment.cancellation_reason, appointment.cancelled_at = reason.strip(), now
            appointment.cancelled_by = actor.user
            fields += ["cancellation_reason", "cancelled_at", "cancelled_by"]
        appointment.version = F("version") + 1
        appointment.save(update_fields=fields)
        appointment.refresh_from_db(fields=["version"])
        if status in RELEASED:
            Reservation.objects.filter(appointment=appointment, active=True).update(active=False)
            _opening(actor, appointment, appointment.start_at, appointment.end_at, str(appointment.provider_id))
        audit_record(
            action=f"appointment.{status}",
            actor=actor,
            obj=appointment,
            patient_id=appointment.patient_id,
            changes={"status": [old, status], **({"reason": reason.strip()} if reason else {})},
        )
        _announce(actor, "appointment.updated", [appointment])
        return appointment


def appointment_cancel(actor: Actor, appointment_id, *, reason: str) -> Appointment:
    return appointment_set_status(actor, appointment_id, AppointmentStatus.CANCELLED, reason=reason)


def _opening(actor: Actor, appointment: Appointment, start, end, provider_id: str) -> None:
    """Time was freed: the waitlist job offers it to matching entries after commit."""
    outbox_enqueue(
        clinic=actor.clinic,
        topic="scheduling.opening",
        payload={
            "service_id": str(appointment.service_id),
            "provider_id": provider_id,
            "location_id": str(appointment.location_id),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "appointment_id": str(appointment.pk),
        },
        key=f"{appointment.pk}:{start.isoformat()}:{appointment.version}",
    )


def _announce(actor: Actor, event: str, appointments: list[Appointment]) -> None:
    """Tell every open calendar of the clinic (after commit)."""
    live.publish(
        clinic_id=actor.clinic_id,
        event=event,
        payload={"ids": [str(a.pk) for a in appointments]},
    )


# Schedules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    weekday: int
    start_minute: int
    end_minute: int
    kind: str = BlockKind.WORK


def hours_replace(actor: Actor, *, provider_id, location_id, blocks: list[Block]) -> list[WorkingHours]:
    """Replace a provider's weekly hours at a location. Blocks of one kind may not overlap on
    a day; breaks must fall inside working blocks."""
    actor.require(MANAGE)
    provider_id = as_uuid(provider_id, "provider_id")
    location = _location(actor, location_id)
    _require_member(actor, provider_id)
    errors: dict[str, list[str]] = {}
    by_day: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for index, block in enumerate(blocks):
        if not 0 <= block.weekday <= 6 or block.kind not in BlockKind.values:
            errors[f"blocks.{index}"] = ["Unknown day or kind."]
        elif not 0 <= block.start_minute < block.end_minute <= 24 * 60:
            errors[f"blocks.{index}"] = ["The end must be after the start, within the day."]
        else:
            by_day.setdefault((block.weekday, block.kind), []).append((block.start_minute, block.end_minute))
    for (weekday, kind), spans in by_day.items():
        spans.sort()
        if any(a[1] > b[0] for a, b in itertools.pairwise(spans)):
            errors[f"day.{weekday}"] = [f"Overlapping {kind} blocks."]
        if kind == BlockKind.BREAK:
            work = by_day.get((weekday, BlockKind.WORK), [])
            if any(not any(w[0] <= s and e <= w[1] for w in work) for s, e in spans):
                errors[f"day.{weekday}"] = ["A break must fall inside working hours."]
    if errors:
        raise InvalidInput("Some blocks are not valid.", fields=errors)
    with transaction.atomic():
        WorkingHours.objects.filter(clinic=actor.clinic, provider_id=provider_id, location=location).delete()
        rows = WorkingHours.objects.bulk_create(
            WorkingHours(
                clinic=actor.clinic,
                provider_id=provider_id,
                location=location,
                weekday=b.weekday,
                kind=b.kind,
                start_minute=b.start_minute,
                end_minute=b.end_minute,
            )
            for b in blocks
        )
        audit_record(
            action="schedule.hours_replaced",
            actor=actor,
            object_type="scheduling.workinghours",
            object_id=str(provider_id),
            changes={"location": str(location.pk), "blocks": len(rows)},
        )
        return rows


def exception_add(
    actor: Actor,
    *,
    provider_id,
    day: date,
    kind: str,
    location_id=None,
    start_minute: int | None = None,
    end_minute: int | None = None,
    reason: str = "",
) -> ScheduleException:
    """Time off (whole day without minutes) or extra hours (minutes required) on a date."""
    actor.require(MANAGE)
    provider_id = as_uuid(provider_id, "provider_id")
    _require_member(actor, provider_id)
    location = _location(actor, location_id) if location_id else None
    errors: dict[str, list[str]] = {}
    if kind not in ExceptionKind.values:
        errors["kind"] = ["Unknown kind."]
    if (start_minute is None) != (end_minute is None):
        errors["end_minute"] = ["Give both times, or neither for a whole day."]
    elif start_minute is not None and not 0 <= start_minute < end_minute <= 24 * 60:
        errors["end_minute"] = ["The end must be after the start, within the day."]
    if kind == ExceptionKind.EXTRA_HOURS and start_minute is None:
        errors["start_minute"] = ["Extra hours need a start and an end."]
    if kind == ExceptionKind.EXTRA_HOURS and location is None:
        errors["location_id"] = ["Extra hours happen at a location."]
    if len(reason or "") > 200:
        errors["reason"] = ["At most 200 characters."]
    if errors:
        raise InvalidInput("Some fields are not valid.", fields=errors)
    with transaction.atomic():
        row = ScheduleException.objects.create(
            clinic=actor.clinic,
            provider_id=provider_id,
            location=location,
            date=day,
            kind=kind,
            start_minute=start_minute,
            end_minute=end_minute,
            reason=reason or "",
        )
        audit_record(action="schedule.exception_added", actor=actor, obj=row, changes={"date": day.isoformat()})
        return row


def exception_remove(actor: Actor, *, exception_id) -> None:
    actor.require(MANAGE)
    with transaction.atomic():
        row = ScheduleException.objects.filter(clinic=actor.clinic, pk=as_uuid(exception_id, "id")).first()
        if row is None:
            raise NotFound()
        audit_record(action="schedule.exception_removed", actor=actor, obj=row, changes={"date": row.date.isoformat()})
        row.delete()


def policy_update(actor: Actor, **values) -> SchedulePolicy:
    """Change the clinic's booking rules (slot size, double booking, online notice and window)."""
    actor.require("settings.manage")
    allowed = {"slot_minutes", "allow_staff_double_booking", "online_min_notice_minutes", "online_window_days"}
    unknown = set(values) - allowed
    if unknown:
        raise InvalidInput("Unknown settings.", fields={name: ["Unknown."] for name in unknown})
    with transaction.atomic():
        policy, _ = SchedulePolicy.objects.get_or_create(clinic=actor.clinic)
        for name, value in values.items():
            setattr(policy, name, value)
        try:
            policy.full_clean(exclude=["clinic"])
        except ValidationError as error:
            raise InvalidInput("Some settings are not valid.", fields=getattr(error, "message_dict", {})) from None
        policy.save()
        audit_record(action="schedule.policy_updated", actor=actor, obj=policy, changes=values)
        return policy


def _location(actor: Actor, location_id) -> Location:
    location = Location.objects.filter(clinic=actor.clinic, pk=as_uuid(location_id, "location_id")).first()
    if location is None:
        raise NotFound("Location not found.", fields={"location_id": ["Unknown location."]})
    return location


def _require_member(actor: Actor, user_id) -> None:
    from medspa.catalog.selectors import provider_candidates

    if not provider_candidates(actor=Actor.system(clinic=actor.clinic)).filter(pk=user_id).exists():
        raise InvalidInput("Not a practitioner of this clinic.", fields={"provider_id": ["Not a practitioner here."]})


# Waitlist -------------------------------------------------------------------------------------


def waitlist_join(
    actor: Actor,
    *,
    patient_id,
    service_id,
    date_from: date,
    date_to: date,
    provider_id=None,
    location_id=None,
    times_of_day: list[str] | None = None,
    notes: str = "",
) -> WaitlistEntry:
    """Put a patient on the waitlist for a service (optionally one provider) between two dates,
    at some times of day; openings are offered in the order entries joined."""
    actor.require(BOOK)
    patient = patient_get(actor=actor, patient_id=as_uuid(patient_id, "patient_id"))
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if date_to < date_from:
        errors["date_to"] = ["Must be on or after the first date."]
    if date_to < today:
        errors["date_to"] = ["Must not be in the past."]
    if (date_to - date_from).days > 366:
        errors["date_to"] = ["At most a year."]
    times = list(dict.fromkeys(times_of_day or []))
    if any(t not in TimeOfDay.values for t in times):
        errors["times_of_day"] = [f"Use {', '.join(TimeOfDay.values)}."]
    if len(notes or "") > 500:
        errors["notes"] = ["At most 500 characters."]
    if errors:
        raise InvalidInput("Some fields are not valid.", fields=errors)
    location = _location(actor, default_location(actor, location_id))
    catalog = booking_catalog(actor=actor, location_id=location.pk)
    service = catalog.services.get(str(as_uuid(service_id, "service_id")))
    if service is None or service.is_addon:
        raise InvalidInput("Unknown service.", fields={"service_id": ["Unknown or inactive service."]})
    provider = str(as_uuid(provider_id, "practitioner_id")) if provider_id else None
    if provider and provider not in catalog.providers.get(service.id, set()):
        raise InvalidInput(
            "This practitioner does not perform the service.", fields={"practitioner_id": ["Does not perform it."]}
        )
    with transaction.atomic():
        entry = WaitlistEntry.objects.create(
            clinic=actor.clinic,
            patient=patient,
            service_id=service.id,
            provider_id=provider,
            location=location,
            date_from=date_from,
            date_to=date_to,
            times_of_day=times,
            notes=notes or "",
            created_by=actor.user,
        )
        audit_record(action="waitlist.joined", actor=actor, obj=entry, patient_id=patient.pk)
        return entry


def waitlist_remove(actor: Actor, *, entry_id) -> WaitlistEntry:
    actor.require(BOOK)
    with transaction.atomic():
        entry = WaitlistEntry.objects.filter(clinic=actor.clinic, pk=as_uuid(entry_id, "id")).first()
        if entry is None:
            raise NotFound()
        entry.status = WaitlistStatus.REMOVED
        entry.save(update_fields=["status", "updated_at"])
        audit_record(action="waitlist.removed", actor=actor, obj=entry, patient_id=entry.patient_id)
        return entry


def book_offer(actor: Actor, *, offer_id) -> Visit:
    """One click from a waitlist offer to a booking (the offer's time, provider and service)."""
    offers = WaitlistOffer.objects.filter(clinic=actor.clinic, pk=as_uuid(offer_id, "id"))
    offer = offers.select_related("entry").first()
    if offer is None:
        raise NotFound()
    if offer.booked:
        raise Conflict("This opening was already booked.", code="offer_booked")
    with transaction.atomic():
        visit = book(
            actor,
            BookingRequest(
                patient_id=offer.entry.patient_id,
                service_ids=[offer.entry.service_id],
                provider_id=offer.provider_id,
                start=offer.start_at,
                location_id=offer.location_id,
                source=BookingSource.PHONE,
            ),
        )
        WaitlistOffer.objects.filter(pk=offer.pk).update(booked=True)
        WaitlistEntry.objects.filter(pk=offer.entry_id).update(
            status=WaitlistStatus.BOOKED, booked_appointment=visit.booked[0]
        )
        return visit
