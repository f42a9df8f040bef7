"""The public booking API (no staff authentication): the menu, practitioners and free
times of a clinic's portal, holds, bookings with `Idempotency-Key`, the manage link's
view, cancel and reschedule, and the waitlist. Every route is rate limited per IP; none
returns anything about other patients or staff beyond practitioners' public profiles."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from uuid import UUID

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Query, Router

from medspa.booking import selectors, services
from medspa.booking.choices import READS_PER_IP_PER_MINUTE, BookingState
from medspa.booking.schemas import (
    NearDate,
    PublicBookingIn,
    PublicCancelIn,
    PublicDepositIn,
    PublicHoldIn,
    PublicRescheduleIn,
    PublicWaitlistIn,
)
from medspa.booking.tokens import manage_token
from medspa.core import ratelimit
from medspa.core.errors import InvalidInput
from medspa.core.idempotency import replay_or_run
from medspa.core.middleware import client_ip

router = Router(tags=["public booking"])
PUBLIC = {"auth": None, "openapi_extra": {"x-access": "public"}}


def _ip(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _read(request: HttpRequest) -> None:
    ratelimit.hit("booking.read.ip", _ip(request), limit=READS_PER_IP_PER_MINUTE, seconds=60)


def _portal(request: HttpRequest, clinic_slug: str, location_id=None) -> selectors.Portal:
    _read(request)
    return selectors.portal_for(clinic_slug, location_id)


def _money(value: str | None, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InvalidInput("Not a number.", fields={name: ["Not a number."]}) from None
    if not amount.is_finite() or amount < 0 or amount > 1_000_000:
        raise InvalidInput("Out of range.", fields={name: ["Out of range."]})
    return amount


@router.get("/public/{clinic_slug}/services", **PUBLIC)
def services_list(
    request: HttpRequest,
    clinic_slug: str,
    location_id: UUID | None = None,
    q: str = Query("", max_length=80),
    category_id: UUID | None = None,
    concern: str = Query("", max_length=40),
    treatment_type: str = Query("", max_length=20),
    min_price: str | None = Query(None, max_length=12),
    max_price: str | None = Query(None, max_length=12),
    max_minutes: int | None = Query(None, ge=1, le=720),
):
    """The services bookable online at the location, filtered."""
    portal = _portal(request, clinic_slug, location_id)
    filters = selectors.ServiceFilters(
        q=q,
        category_id=str(category_id) if category_id else "",
        concern=concern,
        treatment_type=treatment_type,
        min_price=_money(min_price, "min_price"),
        max_price=_money(max_price, "max_price"),
        max_minutes=max_minutes,
    )
    return JsonResponse({"services": selectors.public_services(portal, filters)})


@router.get("/public/{clinic_slug}/practitioners", **PUBLIC)
def practitioners_list(
    request: HttpRequest,
    clinic_slug: str,
    location_id: UUID | None = None,
    service_ids: list[UUID] = Query([], max_length=5),
):
    """Practitioners offered by name online (those performing every given service)."""
    portal = _portal(request, clinic_slug, location_id)
    return JsonResponse({"practitioners": selectors.public_practitioners(portal, service_ids)})


@router.get("/public/{clinic_slug}/availability", **PUBLIC)
def availability(
    request: HttpRequest,
    clinic_slug: str,
    service_ids: list[UUID] = Query(..., min_length=1, max_length=5),
    start_date: NearDate | None = None,
    days: int = Query(7, ge=1, le=selectors.MAX_AVAILABILITY_DAYS),
    practitioner_id: UUID | None = None,
    location_id: UUID | None = None,
    addon_ids: list[UUID] = Query([], max_length=5),
):
    """Free start times per day (the location's time zone) from `start_date` for `days` days."""
    portal = _portal(request, clinic_slug, location_id)
    start = start_date or timezone.now().astimezone(portal.zone).date()
    days_out = selectors.public_availability(
        portal, service_ids, practitioner_id=practitioner_id, start=start, days=days, addon_ids=addon_ids
    )
    return JsonResponse({"timezone": portal.location.timezone, "days": days_out})


@router.post("/public/{clinic_slug}/holds", response={201: dict}, **PUBLIC)
def hold_create(request: HttpRequest, clinic_slug: str, payload: PublicHoldIn):
    """Hold a time while the patient books. The `hold_token` is returned once: it is the only
    way to continue this booking."""
    portal = _portal(request, clinic_slug, payload.location_id)
    held = services.portal_hold(
        portal,
        service_ids=payload.service_ids,
        start=payload.start,
        practitioner_id=payload.practitioner_id,
        addon_ids=payload.addon_ids,
        ip=_ip(request),
    )
    body = {"hold_token": held.token, "booking": selectors.booking_summary(held.booking)}
    body["policy"] = {
        "text": services.policy_text(portal),
        "version": portal.settings.policy_version,
        "notice_hours": portal.settings.cancellation_notice_hours,
    }
    return JsonResponse(body, status=201)


def _booking_body(booking) -> dict:
    body = {"booking": selectors.booking_summary(booking)}
    if booking.state in (BookingState.BOOKED, BookingState.REQUESTED):
        body["manage_token"] = manage_token(booking.pk)
    if booking.state == BookingState.AWAITING_PAYMENT:
        deposit = booking.deposits.order_by("-created_at").first()
        body["payment"] = {
            "amount": str(booking.deposit_amount),
            "currency": booking.clinic.currency,
            "processor": deposit.processor if deposit else "",
            "test_mode": bool(deposit and deposit.test_mode),
        }
    return body


@router.post("/public/{clinic_slug}/bookings", response={200: dict, 201: dict}, **PUBLIC)
def booking_create(request: HttpRequest, clinic_slug: str, payload: PublicBookingIn):
    """Details and policy acceptance for a held time: 201 booked (or requested), or 200 with
    `payment` when a deposit is due first. Send an `Idempotency-Key` to retry safely."""
    portal = _portal(request, clinic_slug)

    def run():
        booking = services.portal_submit(
            portal,
            payload.hold_token,
            details=payload.model_dump(include={"first_name", "last_name", "phone", "email", "notes", "website"}),
            accept_policy=payload.accept_policy,
            policy_version=payload.policy_version,
            ip=_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        status = 200 if booking.state == BookingState.AWAITING_PAYMENT else 201
        return status, _booking_body(booking)

    key = request.headers.get("Idempotency-Key")
    status, body, replayed = replay_or_run(portal.actor, "public.booking", key, payload.model_dump(mode="json"), run)
    response = JsonResponse(body, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.post("/public/{clinic_slug}/deposits", response={201: dict, 402: dict}, **PUBLIC)
def deposit_pay(request: HttpRequest, clinic_slug: str, payload: PublicDepositIn):
    """Pay the pending deposit. With the test-mode backend `outcome` chooses the result; no
    card details are ever sent here or stored."""
    portal = _portal(request, clinic_slug)
    booking, failure = services.deposit_pay(portal, payload.hold_token, outcome=payload.outcome, ip=_ip(request))
    if failure:
        return JsonResponse({"detail": failure, "code": "payment_declined", "fields": {}}, status=402)
    return JsonResponse(_booking_body(booking), status=201)


@router.get("/public/bookings/{token}", **PUBLIC)
def manage_view(request: HttpRequest, token: str):
    """A booked visit through its manage link: what, when, where, and whether cancelling now
    would be late."""
    _read(request)
    booking = selectors.booking_for_manage(token)
    body = {"booking": selectors.booking_summary(booking)}
    body["late_if_cancelled_now"] = services.is_late(booking)
    return JsonResponse(body)


@router.delete("/public/bookings/{token}", **PUBLIC)
def manage_cancel(request: HttpRequest, token: str, payload: PublicCancelIn | None = None):
    """Cancel; inside the notice window send `confirm_late: true` after telling the patient.
    The body is optional (a plain DELETE cancels outside the notice window)."""
    payload = payload or PublicCancelIn()
    booking = services.manage_cancel(token, confirm_late=payload.confirm_late, reason=payload.reason, ip=_ip(request))
    return JsonResponse({"booking": selectors.booking_summary(booking)})


@router.post("/public/bookings/{token}/reschedule", **PUBLIC)
def manage_reschedule(request: HttpRequest, token: str, payload: PublicRescheduleIn):
    """Move the visit to another free time (409 with `fields.alternatives` when taken)."""
    booking = services.manage_reschedule(token, start=payload.start, ip=_ip(request))
    return JsonResponse({"booking": selectors.booking_summary(booking)})


@router.post("/public/{clinic_slug}/waitlist", response={201: dict}, **PUBLIC)
def waitlist_join(request: HttpRequest, clinic_slug: str, payload: PublicWaitlistIn):
    """Join the service's waitlist with preferred dates and times of day."""
    portal = _portal(request, clinic_slug, payload.location_id)
    entry = services.portal_waitlist_join(
        portal,
        service_id=payload.service_id,
        details=payload.model_dump(include={"first_name", "last_name", "phone", "email", "notes", "website"}),
        date_from=payload.date_from,
        date_to=payload.date_to,
        times_of_day=list(payload.times_of_day),
        practitioner_id=payload.practitioner_id,
        ip=_ip(request),
    )
    return JsonResponse({"waitlist": {"status": entry.status, "date_to": entry.date_to.isoformat()}}, status=201)
