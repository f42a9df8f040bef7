"""Booking and calendar routes of the API: practitioners, availability, appointments
(create, move, cancel, status), dry-run validation, waitlist, policies, calendar feed."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router

from medspa.accounts.auth import needs
from medspa.catalog.selectors import booking_catalog, provider_candidates
from medspa.core.errors import DomainError, InvalidInput
from medspa.core.idempotency import replay_or_run
from medspa.scheduling import selectors, services
from medspa.scheduling.availability.loader import Search
from medspa.scheduling.models import Appointment
from medspa.scheduling.schemas import (
    AppointmentOut,
    AppointmentPage,
    AvailabilityOut,
    BookingIn,
    CancelIn,
    MoveIn,
    StatusIn,
    WaitlistIn,
)

router = Router(tags=["booking"])
BOOKING = needs("scheduling.book", "scheduling.book_own")
CALENDAR = needs("scheduling.view", "scheduling.view_own")


def appointment_json(appointment: Appointment) -> dict:
    return {
        "id": str(appointment.pk),
        "visit_id": str(appointment.visit_id),
        "status": appointment.status,
        "start": appointment.start_at.isoformat(),
        "end": appointment.end_at.isoformat(),
        "practitioner_id": str(appointment.provider_id),
        "patient_id": str(appointment.patient_id),
        "service_id": str(appointment.service_id),
        "location_id": str(appointment.location_id),
        "room_id": str(appointment.room_id) if appointment.room_id else None,
        "source": appointment.source,
        "notes": appointment.notes,
        "version": appointment.version,
        "double_booked": appointment.double_booked,
    }


@router.get("/booking/practitioners", response=AppointmentPage, **needs("catalog.view"))
def practitioners(request: HttpRequest, location_id: UUID | None = None):
    """Who performs which services (active members with a treating role)."""
    actor = request.auth
    location = location_id or services.default_location(actor)
    catalog = booking_catalog(actor=actor, location_id=location)
    performs: dict[str, list[str]] = {}
    for service_id, providers in catalog.providers.items():
        for provider in providers:
            performs.setdefault(provider, []).append(service_id)
    people = provider_candidates(actor=actor).filter(pk__in=list(performs))
    items = [{"id": str(p.pk), "name": p.full_name, "service_ids": sorted(performs[str(p.pk)])} for p in people]
    return JsonResponse({"items": items, "next": None})


@router.get("/booking/availability", response=AvailabilityOut, **BOOKING)
def availability(
    request: HttpRequest,
    start: datetime,
    end: datetime,
    service_id: list[UUID] = Query(..., max_length=5),
    location_id: UUID | None = None,
    practitioner_id: UUID | None = None,
    addon_id: list[UUID] = Query([], max_length=5),
):
    """Bookable start times for one service or several back to back."""
    actor = request.auth
    location = location_id or services.default_location(actor)
    search = Search(
        service_ids=tuple(str(s) for s in service_id),
        location_id=location,
        start=start,
        end=end,
        provider_ids=frozenset({str(practitioner_id)}) if practitioner_id else None,
        addon_ids=tuple(str(a) for a in addon_id),
    )
    slots, context = selectors.available_slots(actor, search)
    return JsonResponse({"slots": slots, "reasons": context.reasons})


def _request(payload: BookingIn) -> services.BookingRequest:
    return services.BookingRequest(
        patient_id=payload.patient_id,
        service_ids=[payload.service_id, *payload.additional_service_ids],
        provider_id=payload.practitioner_id,
        start=payload.start,
        location_id=payload.location_id,
        room_id=payload.room_id,
        addon_ids=list(payload.addon_ids),
        notes=payload.notes,
        source=payload.source,
        double_book=payload.double_book,
    )


@router.post("/booking/appointments", response={201: AppointmentOut}, **BOOKING)
def book(request: HttpRequest, payload: BookingIn):
    """Book a visit. Send an `Idempotency-Key` header to make retries safe: the same key and body
    return the first result; the same key with another body is a 422."""
    actor = request.auth
    if (payload.repeat_every_weeks is None) != (payload.repeat_count is None):
        raise InvalidInput("Give both repeat fields or neither.", fields={"repeat_count": ["Give both or neither."]})

    def run() -> tuple[int, dict]:
        if payload.repeat_every_weeks:
            result = services.book_series(
                actor, _request(payload), interval_weeks=payload.repeat_every_weeks, count=payload.repeat_count
            )
            first = result.booked[0].booked[0] if result.booked else None
            body = appointment_json(first) if first else {}
            body["series"] = {
                "id": str(result.series.pk),
                "booked": [appointment_json(v.booked[0]) for v in result.booked],
                "failed": [{"start": start.isoformat(), "reason": why} for start, why in result.failed],
            }
            return (201 if result.booked else 409), body
        visit = services.book(actor, _request(payload))
        body = appointment_json(visit.booked[0])
        body["visit"] = {"id": str(visit.pk), "appointments": [appointment_json(a) for a in visit.booked]}
        return 201, body

    key = request.headers.get("Idempotency-Key")
    status, body, replayed = replay_or_run(actor, "booking.create", key, payload.model_dump(mode="json"), run)
    response = JsonResponse(body, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.put("/booking/appointments/{appointment_id}", response=AppointmentOut, **BOOKING)
def move(request: HttpRequest, appointment_id: UUID, payload: MoveIn):
    """Move, resize or reassign an appointment (the new time is checked like a booking)."""
    appointment = services.appointment_move(
        request.auth,
        appointment_id,
        start=payload.start,
        provider_id=payload.practitioner_id,
        room_id=payload.room_id,
        duration=payload.duration_minutes,
        version=payload.version,
        double_book=payload.double_book,
        reason=payload.reason,
    )
    return JsonResponse(appointment_json(appointment))


@router.delete("/booking/appointments/{appointment_id}", response=AppointmentOut, **BOOKING)
def cancel(request: HttpRequest, appointment_id: UUID, payload: CancelIn):
    """Cancel with a reason; the time is released and offered to the waitlist."""
    appointment = services.appointment_cancel(request.auth, appointment_id, reason=payload.reason)
    return JsonResponse(appointment_json(appointment))


@router.post("/booking/validate-booking", response=dict, **BOOKING)
def validate_booking(request: HttpRequest, payload: BookingIn):
    """Dry run: whether this booking would succeed, and if not every reason why. Writes nothing."""
    try:
        placement = services.booking_check(request.auth, _request(payload))
    except DomainError as error:
        reason = {"code": error.code, "detail": error.detail, "status": error.status, "fields": error.fields}
        return JsonResponse({"ok": False, "reasons": [reason]})
    plan = [
        {
            "service_id": a.service_id,
            "start": services.as_datetime(a.start).isoformat(),
            "end": services.as_datetime(a.end).isoformat(),
            "room_id": a.room[0] if a.room else None,
        }
        for a in placement.appointments
    ]
    return JsonResponse({"ok": True, "reasons": [], "appointments": plan})


@router.post("/booking/waitlist", response={201: dict}, **needs("scheduling.book"))
def waitlist_join(request: HttpRequest, payload: WaitlistIn):
    entry = services.waitlist_join(
        request.auth,
        patient_id=payload.patient_id,
        service_id=payload.service_id,
        provider_id=payload.practitioner_id,
        location_id=payload.location_id,
        date_from=payload.date_from,
        date_to=payload.date_to,
        times_of_day=list(payload.times_of_day),
        notes=payload.notes,
    )
    body = {
        "id": str(entry.pk),
        "patient_id": str(entry.patient_id),
        "service_id": str(entry.service_id),
        "practitioner_id": str(entry.provider_id) if entry.provider_id else None,
        "location_id": str(entry.location_id),
        "date_from": entry.date_from.isoformat(),
        "date_to": entry.date_to.isoformat(),
        "times_of_day": entry.times_of_day,
        "status": entry.status,
    }
    return JsonResponse(body, status=201)


@router.get("/booking/policies", response=dict, **needs("catalog.view"))
def policies(request: HttpRequest, location_id: UUID | None = None):
    """The clinic's booking rules: slot size, online notice and window, double booking."""
    actor = request.auth
    location = location_id or services.default_location(actor)
    return JsonResponse(selectors.booking_rules(actor, location))


@router.get("/appointments", response=AppointmentPage, **CALENDAR)
def calendar(
    request: HttpRequest,
    start: datetime,
    end: datetime,
    provider_id: UUID | None = None,
    room_id: UUID | None = None,
    location_id: UUID | None = None,
    include_cancelled: bool = False,
):
    """The calendar feed: appointments meeting [start, end) with labels for display."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("Times need a UTC offset.", fields={"start": ["Include a UTC offset."]})
    items = selectors.calendar_feed(
        request.auth,
        start=start,
        end=end,
        provider_id=provider_id,
        room_id=room_id,
        location_id=location_id,
        include_cancelled=include_cancelled,
    )
    return JsonResponse({"items": items, "next": None})


@router.post("/appointments/{appointment_id}/status", response=AppointmentOut, **BOOKING)
def set_status(request: HttpRequest, appointment_id: UUID, payload: StatusIn):
    """Check in, start, complete, confirm, mark a no-show or cancel (validated transitions)."""
    appointment = services.appointment_set_status(request.auth, appointment_id, payload.status, reason=payload.reason)
    return JsonResponse(appointment_json(appointment))
