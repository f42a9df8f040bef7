"""Placing a visit: checking a requested time against the availability engine and choosing
the resource units it will reserve. Used by the booking, moving and dry-run services, so a
time the engine offers is exactly a time a booking accepts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from medspa.core.actors import Actor
from medspa.core.errors import Conflict, InvalidInput
from medspa.scheduling.availability import intervals as iv
from medspa.scheduling.availability.engine import Problem, Slot, find_slots, offsets
from medspa.scheduling.availability.loader import Context, Search, epoch_minute, from_minute, load
from medspa.scheduling.choices import ResourceKind
from medspa.scheduling.models import Reservation

Unit = tuple[str, int]


@dataclass
class PlannedAppointment:
    service_id: str
    start: int  # epoch minutes
    end: int
    before: int
    after: int
    room: Unit | None
    equipment: tuple[Unit, ...]
    provider_unit: int = 0


@dataclass
class Placement:
    """Where a visit goes: its appointments in order, and the context the check used."""

    provider_id: str
    appointments: list[PlannedAppointment]
    context: Context
    double_booked: bool = False
    reasons: list[str] = field(default_factory=list)


def place(
    actor: Actor,
    search: Search,
    provider_id: str,
    start: datetime,
    *,
    room_id: str | None = None,
    duration: int | None = None,
    double_book: bool = False,
) -> Placement:
    """Check that the visit can start at `start` with this provider, or raise with why:
    422 for a rule (working hours, a service the provider does not perform, notice), 409 with
    the conflicting appointment for taken time. `duration` overrides the first service's
    length (resizing); `double_book` ignores the provider's own busy time (staff only)."""
    minute = epoch_minute(start)
    problem, context = load(actor, dataclasses.replace(search, provider_ids=frozenset({provider_id})))
    return _check(actor, problem, context, provider_id, start, minute, room_id, duration, double_book)


def place_anyone(actor: Actor, search: Search, start: datetime) -> Placement:
    """`place` for "any practitioner": the first practitioner (in the engine's order) who
    performs the services here and is free at `start`; 409 when nobody is."""
    minute = epoch_minute(start)
    problem, context = load(actor, search)
    if not context.providers:
        raise InvalidInput(
            "Nobody performs this service here.",
            code="provider_does_not_perform",
            fields={"practitioner_id": ["Nobody performs this service here."]},
        )
    if start.second or start.microsecond:
        raise InvalidInput("Times are whole minutes.", fields={"start": ["Use whole minutes."]})
    narrowed = _narrow(problem, minute, None, None, False, "")
    slots = [s for s in find_slots(narrowed) if s.start == minute]
    if not slots:
        raise Conflict("That time is no longer available.", code="slot_unavailable", fields={"start": ["Taken."]})
    return _placement(narrowed, context, slots[0], False)


def _check(actor, problem, context, provider_id, start, minute, room_id, duration, double_book) -> Placement:
    if provider_id not in context.providers:
        raise InvalidInput(
            "This practitioner does not perform the chosen service here.",
            code="provider_does_not_perform",
            fields={"practitioner_id": ["Does not perform this service."]},
        )
    if start.second or start.microsecond:
        raise InvalidInput("Times are whole minutes.", fields={"start": ["Use whole minutes."]})
    problem = _narrow(problem, minute, room_id, duration, double_book, provider_id)
    slots = [s for s in find_slots(problem) if s.start == minute and s.provider_id == provider_id]
    if not slots:
        _explain(actor, problem, context, provider_id, minute)
    return _placement(problem, context, slots[0], double_book)


def _narrow(problem: Problem, minute: int, room_id, duration, double_book: bool, provider_id: str) -> Problem:
    steps = list(problem.steps)
    if duration is not None:
        if duration <= 0 or duration > 12 * 60:
            raise InvalidInput(
                "Duration must be between 1 minute and 12 hours.", fields={"duration": ["Out of range."]}
            )
        steps[0] = dataclasses.replace(steps[0], duration=duration)
    if room_id:
        room = str(room_id)
        wanted = tuple(unit for unit in steps[0].rooms if unit[0] == room)
        if not wanted:
            raise InvalidInput(
                "That room is not one this service can use at this location.",
                fields={"room_id": ["Not a suitable room here."]},
            )
        steps[0] = dataclasses.replace(steps[0], rooms=wanted)
    busy = dict(problem.busy)
    if double_book:
        busy.pop((provider_id, 0), None)
    low, high = problem.window
    if not low <= minute < high:
        raise InvalidInput(
            "That time is outside the booking window (minimum notice or how far ahead bookings open).",
            code="outside_booking_window",
            fields={"start": ["Outside the booking window."]},
        )
    # One candidate minute, off-grid allowed, no "best" scoring: the check only needs yes or no.
    return dataclasses.replace(
        problem, steps=tuple(steps), busy=busy, window=(minute, minute + 1), granularity=1, common_lengths=()
    )


def _explain(actor: Actor, problem: Problem, context: Context, provider_id: str, minute: int) -> None:
    windows = problem.providers.get(provider_id, [])
    for step, offset in zip(problem.steps, offsets(problem.steps), strict=True):
        begin = minute + offset
        if iv.covering(windows, begin, begin + step.duration) is None:
            raise InvalidInput(
                "The practitioner is not working then.",
                code="outside_working_hours",
                fields={"start": ["Outside the practitioner's working hours."]},
            )
    for step, offset in zip(problem.steps, offsets(problem.steps), strict=True):
        begin = minute + offset
        block = (begin - step.before, begin + step.duration + step.after)
        pools = [("provider", ((provider_id, 0),))]
        pools += [("room", step.rooms)] if step.rooms else []
        pools += [("equipment", pool) for pool in step.equipment]
        for kind, pool in pools:
            if not pool:
                raise InvalidInput(" ".join(context.reasons) or f"No {kind} available for this service here.")
            if all(not iv.is_clear(problem.busy.get(unit, []), *block) for unit in pool):
                raise _conflict(actor, kind, [u[0] for u in pool], block)
    raise Conflict("That time is not available.", code="slot_unavailable")


def _conflict(actor: Actor, kind: str, resources: list[str], block: tuple[int, int]) -> Conflict:
    clash = (
        Reservation.objects.filter(
            clinic=actor.clinic,
            active=True,
            resource_id__in=resources,
            start_minute__lt=block[1],
            end_minute__gt=block[0],
        )
        .select_related("appointment")
        .order_by("start_minute")
        .first()
    )
    what = {"provider": "The practitioner", "room": "The room", "equipment": "The equipment"}[kind]
    detail = f"{what} is already booked then."
    fields: dict = {"start": [detail]}
    if clash is not None and clash.appointment is not None:
        appointment = clash.appointment
        fields["conflict"] = {
            "appointment_id": str(appointment.pk),
            "resource": kind,
            "start": appointment.start_at.isoformat(),
            "end": appointment.end_at.isoformat(),
        }
    return Conflict(detail, code="slot_unavailable", fields=fields)


def _placement(problem: Problem, context: Context, slot: Slot, double_book: bool) -> Placement:
    planned = []
    for step, offset, (room, gear) in zip(problem.steps, offsets(problem.steps), slot.units, strict=True):
        begin = slot.start + offset
        planned.append(
            PlannedAppointment(step.service_id, begin, begin + step.duration, step.before, step.after, room, gear)
        )
    return Placement(slot.provider_id, planned, context, double_booked=double_book)


def reservation_rows(
    actor: Actor, appointment, planned: PlannedAppointment, provider_id: str, *, hold=None, expires_minute=None
) -> list[Reservation]:
    """The reservations an appointment (or a hold, until `expires_minute`) takes: its provider
    (unit 0, or the next free unit when deliberately double-booked), its room unit and its
    equipment units."""
    block = (planned.start - planned.before, planned.end + planned.after)
    rows = [(ResourceKind.PROVIDER, (provider_id, planned.provider_unit))]
    if planned.room:
        rows.append((ResourceKind.ROOM, planned.room))
    rows += [(ResourceKind.EQUIPMENT, unit) for unit in planned.equipment]
    return [
        Reservation(
            clinic=actor.clinic,
            appointment=appointment,
            hold=hold,
            expires_minute=expires_minute,
            kind=kind,
            resource_id=resource,
            unit=unit,
            start_minute=block[0],
            end_minute=block[1],
        )
        for kind, (resource, unit) in rows
    ]


def free_provider_unit(actor: Actor, provider_id: str, block: tuple[int, int]) -> int:
    """The lowest provider unit with nothing booked over `block` (0 unless double-booking)."""
    taken = set(
        Reservation.objects.filter(
            clinic=actor.clinic,
            active=True,
            resource_id=provider_id,
            start_minute__lt=block[1],
            end_minute__gt=block[0],
        ).values_list("unit", flat=True)
    )
    unit = 0
    while unit in taken:
        unit += 1
    return unit


def plan_json(planned: list[PlannedAppointment]) -> list[dict]:
    """A placement's appointments as JSON (stored on a hold until it is booked)."""
    return [dataclasses.asdict(p) for p in planned]


def plan_from_json(rows: list[dict]) -> list[PlannedAppointment]:
    def unit(value):
        return (str(value[0]), int(value[1]))

    return [
        PlannedAppointment(
            service_id=str(row["service_id"]),
            start=int(row["start"]),
            end=int(row["end"]),
            before=int(row["before"]),
            after=int(row["after"]),
            room=unit(row["room"]) if row.get("room") else None,
            equipment=tuple(unit(u) for u in row.get("equipment", ())),
            provider_unit=int(row.get("provider_unit", 0)),
        )
        for row in rows
    ]


def as_datetime(minute: int) -> datetime:
    return from_minute(minute)


ONE_MINUTE = timedelta(minutes=1)
