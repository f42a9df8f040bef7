"""Booking, moving, status changes and recurring series of appointments.

No double booking: every booking and move re-checks the time with the availability engine
inside its transaction (SQLite serialises these transactions with BEGIN IMMEDIATE), and on
PostgreSQL the exclusion constraint on reservations refuses an overlap that slipped between
check and insert; both surface as a 409 naming the conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from medspa.core import live
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound
from medspa.core.outbox import outbox_enqueue
from medspa.patients.choices import ProfileType
from medspa.scheduling.availability.loader import Search, epoch_minute, location_with_policy
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
    BookingSource,
    HoldStatus,
)
from medspa.scheduling.hooks import AFTER_VISIT_BOOKED
from medspa.scheduling.models import (
    Appointment,
    AppointmentAddon,
    AppointmentChange,
    AppointmentSeries,
    Reservation,
    SlotHold,
    Visit,
)
from medspa.scheduling.services.common import (
    RELEASED,
    BookingRequest,
    as_uuid,
    bookable_patient,
    default_location,
    require_booking,
)


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
    patient = bookable_patient(actor, request.patient_id)
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
    with booking_transaction():
        release_lapsed_holds(actor)
        patient, provider_id, search, room_id = _validated(actor, request)
        placement = place(actor, search, provider_id, request.start, room_id=room_id, double_book=request.double_book)
        if placement.double_booked:
            for planned in placement.appointments:
                planned.provider_unit = free_provider_unit(
                    actor, provider_id, (planned.start - planned.before, planned.end + planned.after)
                )
        addons = {pk: placement.context.catalog.services[pk].duration for pk in dict.fromkeys(search.addon_ids)}
        return create_visit(
            actor,
            patient=patient,
            location=placement.context.location,
            provider_id=provider_id,
            planned=placement.appointments,
            addons=addons,
            source=request.source,
            status=request.status,
            notes=request.notes or "",
            series=series,
        )


def create_visit(
    actor: Actor,
    *,
    patient,
    location,
    provider_id: str,
    planned: list,
    addons: dict[str, int],
    source: str,
    status: str,
    notes: str = "",
    series: AppointmentSeries | None = None,
) -> Visit:
    """Write a placed visit (inside the caller's booking transaction): the visit, one
    appointment per planned service with its reservations, add-ons on the first, an audit
    event per appointment, and the live calendar update."""
    visit = Visit.objects.create(
        clinic=actor.clinic, patient=patient, location=location, source=source, created_by=actor.user
    )
    appointments = []
    for index, step in enumerate(planned):
        appointment = Appointment.objects.create(
            clinic=actor.clinic,
            visit=visit,
            series=series,
            patient=patient,
            provider_id=provider_id,
            service_id=step.service_id,
            location=location,
            room_id=step.room[0] if step.room else None,
            start_at=as_datetime(step.start),
            end_at=as_datetime(step.end),
            buffer_before=step.before,
            buffer_after=step.after,
            status=status,
            source=source,
            notes=notes,
            double_booked=step.provider_unit > 0,
            created_by=actor.user,
        )
        if index == 0 and addons:
            AppointmentAddon.objects.bulk_create(
                AppointmentAddon(clinic=actor.clinic, appointment=appointment, service_id=pk, duration_minutes=minutes)
                for pk, minutes in addons.items()
            )
        _reserve(actor, appointment, step, provider_id)
        appointments.append(appointment)
        audit_record(
            action="appointment.booked" if step.provider_unit == 0 else "appointment.double_booked",
            actor=actor,
            obj=appointment,
            patient_id=patient.pk,
            changes={"start": appointment.start_at.isoformat(), "provider": provider_id, "source": source},
        )
    _announce(actor, "appointment.created", appointments)
    for hook in AFTER_VISIT_BOOKED:
        hook(actor=actor, visit=visit, appointments=appointments)
    visit.booked = appointments
    return visit


def release_lapsed_holds(actor: Actor) -> int:
    """Let go of the clinic's holds whose time ran out (before a booking writes, so the
    database's overlap constraint never meets a lapsed hold). Returns how many were let go."""
    now = timezone.now()
    Reservation.objects.filter(
        clinic=actor.clinic, active=True, expires_minute__isnull=False, expires_minute__lte=epoch_minute(now)
    ).update(active=False)
    return SlotHold.objects.filter(clinic=actor.clinic, status=HoldStatus.HELD, expires_at__lte=now).update(
        status=HoldStatus.EXPIRED, updated_at=now
    )


def _reserve(actor: Actor, appointment: Appointment, planned, provider_id: str) -> None:
    reserve_rows(reservation_rows(actor, appointment, planned, provider_id))


def reserve_rows(rows: list[Reservation]) -> None:
    """Insert reservations; an overlap the database refuses becomes a 409."""
    try:
        with transaction.atomic():
            Reservation.objects.bulk_create(rows)
    except IntegrityError as error:
        raise Conflict("That time was just taken. Pick another time.", code="slot_unavailable") from error


class booking_transaction:  # noqa: N801 - used as a context manager like transaction.atomic
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
    require_booking(actor, appointment.provider_id, patient_id=appointment.patient_id)
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
    with booking_transaction():
        release_lapsed_holds(actor)
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
        require_booking(actor, new_provider, patient_id=appointment.patient_id)
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
        _record_move(actor, appointment, before, reason)
        _opening(actor, appointment, before[0], before[1], str(before[2]))
        _announce(actor, "appointment.updated", [appointment])
        return appointment


def _record_move(actor: Actor, appointment: Appointment, before: tuple, reason: str) -> None:
    """Keep where the appointment was (start, end, provider, room) and where it went, and audit it."""
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
        to_provider_id=appointment.provider_id,
        to_room_id=appointment.room_id,
        reason=(reason or "")[:300],
    )
    audit_record(
        action="appointment.moved",
        actor=actor,
        obj=appointment,
        patient_id=appointment.patient_id,
        changes={
            "start": [before[0].isoformat(), appointment.start_at.isoformat()],
            "provider": str(appointment.provider_id),
        },
    )


def appointment_set_status(
    actor: Actor, appointment_id, status: str, *, reason: str = "", late_cancellation: bool = False
) -> Appointment:
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
            appointment.late_cancellation = late_cancellation
            fields += ["cancellation_reason", "cancelled_at", "cancelled_by", "late_cancellation"]
        appointment.version = F("version") + 1
        appointment.save(update_fields=fields)
        appointment.refresh_from_db(fields=["version"])
        if status in RELEASED:
            Reservation.objects.filter(appointment=appointment, active=True).update(active=False)
            _opening(actor, appointment, appointment.start_at, appointment.end_at, str(appointment.provider_id))
        if old == AppointmentStatus.REQUESTED:
            outbox_enqueue(
                clinic=actor.clinic,
                topic="scheduling.request_decided",
                payload={
                    "visit_id": str(appointment.visit_id),
                    "appointment_id": str(appointment.pk),
                    "status": status,
                },
                key=f"{appointment.pk}:decided",
            )
        audit_record(
            action=f"appointment.{status}",
            actor=actor,
            obj=appointment,
            patient_id=appointment.patient_id,
            changes={
                "status": [old, status],
                **({"reason": reason.strip()} if reason else {}),
                **({"late_cancellation": True} if appointment.late_cancellation else {}),
            },
        )
        _announce(actor, "appointment.updated", [appointment])
        return appointment


def appointment_cancel(actor: Actor, appointment_id, *, reason: str, late_cancellation: bool = False) -> Appointment:
    """Cancel with a reason; `late_cancellation` marks it as inside the clinic's notice window."""
    return appointment_set_status(
        actor, appointment_id, AppointmentStatus.CANCELLED, reason=reason, late_cancellation=late_cancellation
    )


def visit_move(actor: Actor, visit_id, *, start: datetime, online: bool = False, reason: str = "") -> list[Appointment]:
    """Move a whole visit — its open appointments, back to back with the same practitioner — to
    a new start. The time is checked like a new booking of the same services (with the online
    rules when `online`: notice, window, online services, never double-booked), ignoring the
    visit's own time."""
    if not isinstance(start, datetime) or start.tzinfo is None:
        raise InvalidInput("Give the start with a UTC offset.", fields={"start": ["Include a UTC offset."]})
    with booking_transaction():
        release_lapsed_holds(actor)
        appointments = list(
            Appointment.objects.select_for_update()
            .filter(clinic=actor.clinic, visit_id=as_uuid(visit_id, "visit_id"))
            .exclude(status__in=RELEASED)
            .order_by("start_at")
        )
        if not appointments:
            raise NotFound("Appointment not found.")
        for appointment in appointments:
            require_booking(actor, appointment.provider_id, patient_id=appointment.patient_id)
            if appointment.status not in MOVABLE_STATUSES:
                raise InvalidInput(
                    f"A {appointment.get_status_display().lower()} appointment cannot be moved.",
                    fields={"status": ["Not movable."]},
                )
        first = appointments[0]
        provider_id = str(first.provider_id)
        addons = AppointmentAddon.objects.filter(appointment=first).values_list("service_id", flat=True)
        search = Search(
            service_ids=tuple(str(a.service_id) for a in appointments),
            location_id=first.location_id,
            start=start,
            end=start + ONE_MINUTE,
            online=online,
            addon_ids=tuple(str(a) for a in addons),
            exclude_appointment_ids=frozenset(str(a.pk) for a in appointments),
            now=timezone.now(),
        )
        placement = place(actor, search, provider_id, start)
        Reservation.objects.filter(appointment__in=appointments, active=True).update(active=False)
        was = (first.start_at, appointments[-1].end_at)
        for appointment, planned in zip(appointments, placement.appointments, strict=True):
            before = (appointment.start_at, appointment.end_at, appointment.provider_id, appointment.room_id)
            appointment.start_at, appointment.end_at = as_datetime(planned.start), as_datetime(planned.end)
            appointment.room_id = planned.room[0] if planned.room else None
            appointment.version = F("version") + 1
            appointment.save(update_fields=["start_at", "end_at", "room", "version", "updated_at"])
            appointment.refresh_from_db(fields=["version"])
            _reserve(actor, appointment, planned, provider_id)
            _record_move(actor, appointment, before, reason)
        _opening(actor, first, was[0], was[1], provider_id)
        _announce(actor, "appointment.updated", appointments)
        return appointments


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
