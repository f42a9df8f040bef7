"""The public booking portal's pages, from the menu to the confirmation.

Selection state (services, practitioner, day, location) lives in the query string as ids
only, so back, forward and refresh keep it. Once a time is held, the booking's secret token
stays in the browser session and the URL names only the booking's id; a page for a booking
this session does not hold is a 404. Refusals render the portal's own friendly page with
their status; nobody's details ever appear in a URL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import wraps
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from medspa.booking import selectors, services
from medspa.booking.choices import DONE_STATES, OPEN_STATES, READS_PER_IP_PER_MINUTE, BookingKind, BookingState
from medspa.booking.notifications import visit_ics
from medspa.booking.tokens import manage_token
from medspa.catalog.choices import Concern, TreatmentType
from medspa.core import ratelimit
from medspa.core.access import public
from medspa.core.errors import Conflict, DomainError, Gone, InvalidInput, NotFound
from medspa.core.files import read_bytes
from medspa.core.middleware import client_ip
from medspa.scheduling.services import as_uuid

MAX_SERVICES = 6
WEEK = 7
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
SESSION_TOKENS = "booking_tokens"
FILTERS = ("q", "category", "concern", "type", "min_price", "max_price", "max_minutes")
DETAIL_FIELDS = ("first_name", "last_name", "phone", "email", "notes")


# Plumbing ------------------------------------------------------------------------------


def portal_page(view):
    """A public portal page: refusals become the portal's friendly error page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return error_page(request, exc.status, exc.detail, portal=getattr(request, "booking_portal", None))
        except Http404:
            return error_page(
                request, 404, "We could not find that page.", portal=getattr(request, "booking_portal", None)
            )

    return public(wrapper)


def error_page(request: HttpRequest, status: int, message: str, *, portal=None, **extra) -> HttpResponse:
    context = {"status": status, "message": message, "portal": portal, **extra}
    if portal is not None:
        context["portal_location_query"] = _location_query(portal)
    return render(request, "booking/portal/error.html", context, status=status)


def _ip(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _open_portal(request: HttpRequest, slug: str, location_id=None) -> selectors.Portal:
    """The portal of this slug at the location asked for (GET or POST `location`)."""
    if location_id is None:
        location_id = (request.POST.get("location") if request.method == "POST" else None) or request.GET.get(
            "location"
        )
    ratelimit.hit("booking.read.ip", _ip(request), limit=READS_PER_IP_PER_MINUTE, seconds=60)
    portal = selectors.portal_for(slug, location_id or None)
    request.booking_portal = portal
    return portal


def _location_query(portal) -> str:
    return urlencode({"location": str(portal.location.pk)}) if len(portal.locations) > 1 else ""


def _query(portal, *, services=(), practitioner="", **more) -> str:
    """The selection as a query string (ids only)."""
    pairs: list[tuple[str, str]] = [("services", str(s)) for s in services]
    if practitioner:
        pairs.append(("practitioner", str(practitioner)))
    pairs += [(k, str(v)) for k, v in more.items() if v not in (None, "")]
    if len(portal.locations) > 1:
        pairs.append(("location", str(portal.location.pk)))
    return urlencode(pairs)


def _url(name: str, portal, query: str = "", **kwargs) -> str:
    url = reverse(name, kwargs={"slug": portal.clinic.slug, **kwargs})
    return f"{url}?{query}" if query else url


def _service_ids(values) -> list[str]:
    """The chosen services in order, without repeats (ids are checked by the selectors)."""
    seen: list[str] = []
    for value in values:
        value = str(value).strip()
        if value and value not in seen:
            seen.append(value)
    if len(seen) > MAX_SERVICES:
        raise InvalidInput(f"Choose up to {MAX_SERVICES} services for one visit.", fields={"services": ["Too many."]})
    return seen


def _chosen(portal, values) -> tuple[list[str], dict]:
    """(ids, public facts by id) of the chosen services; 422 when any is not bookable here."""
    ids = _service_ids(values)
    if not ids:
        raise InvalidInput("Choose a service first.", fields={"services": ["Required."]})
    chosen = selectors.chosen_services(portal, ids)
    return list(chosen), chosen


def _practitioner(value) -> str:
    value = str(value or "").strip()
    return "" if value in ("", "any") else str(as_uuid(value, "practitioner"))


def _base(portal, **context) -> dict:
    return {"portal": portal, "portal_location_query": _location_query(portal), **context}


def _totals(chosen: dict) -> dict:
    return {
        "price": sum((Decimal(s["price"]) for s in chosen.values()), start=Decimal("0")),
        "minutes": sum(s["duration_minutes"] for s in chosen.values()),
        "deposit": sum((Decimal(s["deposit"]) for s in chosen.values()), start=Decimal("0")),
    }


# Services --------------------------------------------------------------------------------


def _decimal(value: str, name: str, errors: dict) -> Decimal | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = Decimal(value[:12])
        if not number.is_finite() or number < 0:
            raise InvalidOperation
    except InvalidOperation:
        errors[name] = "Enter an amount, like 150."
        return None
    return number


def _filters(request: HttpRequest) -> tuple[selectors.ServiceFilters, dict, dict]:
    """(filters, their raw values for the form, per-field problems)."""
    get = request.GET
    raw = {
        k: get.get(k, "").strip()[:80]
        for k in ("q", "category", "concern", "type", "min_price", "max_price", "max_minutes")
    }
    errors: dict[str, str] = {}
    if raw["concern"] not in Concern.values:
        raw["concern"] = ""
    if raw["type"] not in TreatmentType.values:
        raw["type"] = ""
    category = raw["category"]
    if category:
        try:
            category = str(as_uuid(category, "category"))
        except InvalidInput:
            errors["category"] = "Unknown category."
            category = ""
    max_minutes = None
    if raw["max_minutes"]:
        if raw["max_minutes"].isdigit() and 0 < int(raw["max_minutes"]) <= 24 * 60:
            max_minutes = int(raw["max_minutes"])
        else:
            errors["max_minutes"] = "Choose a duration."
    filters = selectors.ServiceFilters(
        q=raw["q"],
        category_id=category,
        concern=raw["concern"],
        treatment_type=raw["type"],
        min_price=_decimal(raw["min_price"], "min_price", errors),
        max_price=_decimal(raw["max_price"], "max_price", errors),
        max_minutes=max_minutes,
    )
    return filters, raw, errors


@portal_page
@require_safe
def services_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The online menu: search and filters; services are added to one visit."""
    portal = _open_portal(request, slug)
    filters, raw, errors = _filters(request)
    menu = selectors.public_services(portal)
    shown = selectors.public_services(portal, filters) if any(raw.values()) else menu
    ids = _service_ids(request.GET.getlist("services"))
    chosen_ids, chosen = _chosen(portal, ids) if ids else ([], {})
    filter_pairs = [(k, v) for k, v in raw.items() if v and k not in errors]

    def with_services(service_ids) -> str:
        return _url(
            "booking_portal_services",
            portal,
            _query(portal, services=service_ids) + ("&" + urlencode(filter_pairs) if filter_pairs else ""),
        )

    for service in shown:
        service["chosen"] = service["id"] in chosen
        service["add_url"] = with_services([*chosen_ids, service["id"]])
        service["remove_url"] = with_services([s for s in chosen_ids if s != service["id"]])
    for service in chosen.values():
        service["remove_url"] = with_services([s for s in chosen_ids if s != service["id"]])
    categories = sorted({(s["category_id"], s["category"]) for s in menu if s["category_id"]}, key=lambda c: c[1])
    return render(
        request,
        "booking/portal/services.html",
        _base(
            portal,
            services=shown,
            chosen=list(chosen.values()),
            chosen_ids=chosen_ids,
            totals=_totals(chosen),
            raw=raw,
            errors=errors,
            filtered=any(raw.values()),
            categories=categories,
            concerns=[c for c in Concern.choices if any(c[0] in s["concerns"] for s in menu)],
            treatment_types=TreatmentType.choices,
            durations=(30, 45, 60, 90, 120),
            locations=portal.locations if len(portal.locations) > 1 else [],
            next_url=_url("booking_portal_practitioner", portal, _query(portal, services=chosen_ids)),
        ),
    )


# Practitioner -----------------------------------------------------------------------------


@portal_page
@require_safe
def practitioner_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Pick a practitioner who performs every chosen service, or anyone."""
    portal = _open_portal(request, slug)
    ids, chosen = _chosen(portal, request.GET.getlist("services"))
    people = selectors.public_practitioners(portal, ids)
    for person in people:
        person["url"] = _url("booking_portal_time", portal, _query(portal, services=ids, practitioner=person["id"]))
        if person["has_photo"]:
            person["photo_url"] = _url("booking_portal_photo", portal, user_id=person["id"])
    return render(
        request,
        "booking/portal/practitioner.html",
        _base(
            portal,
            people=people,
            chosen=list(chosen.values()),
            totals=_totals(chosen),
            anyone_url=_url("booking_portal_time", portal, _query(portal, services=ids)),
            back_url=_url("booking_portal_services", portal, _query(portal, services=ids)),
        ),
    )


# Day and time ---------------------------------------------------------------------------------


def _today(portal) -> date:
    return timezone.now().astimezone(portal.zone).date()


def _day(value: str, portal) -> date:
    today = _today(portal)
    value = (value or "").strip()
    if not value:
        return today
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput("That is not a date.", fields={"date": ["Use YYYY-MM-DD."]}) from None
    return max(day, today)


def _week(portal, ids: list[str], practitioner: str, start: date) -> dict:
    """The time picker's context for 7 days from `start`."""
    days = selectors.public_availability(portal, ids, practitioner_id=practitioner or None, start=start, days=WEEK)
    for day in days:
        day["day"] = date.fromisoformat(day["date"])
    today = _today(portal)
    window_days = int((portal.rules or {}).get("online_window_days") or 60)
    previous = start - timedelta(days=WEEK)

    def week_url(name: str, day: date) -> str:
        return _url(name, portal, _query(portal, services=ids, practitioner=practitioner, date=day.isoformat()))

    next_day = start + timedelta(days=WEEK)
    more = next_day <= today + timedelta(days=window_days)
    return {
        "days": days,
        "empty": not any(day["times"] for day in days),
        "start": start,
        "end": start + timedelta(days=WEEK - 1),
        "prev_url": week_url("booking_portal_time", max(previous, today)) if start > today else "",
        "prev_fragment": week_url("booking_portal_times", max(previous, today)) if start > today else "",
        "next_url": week_url("booking_portal_time", next_day) if more else "",
        "next_fragment": week_url("booking_portal_times", next_day) if more else "",
        "waitlist_url": f"/book/{portal.clinic.slug}/waitlist/?{_query(portal, services=ids)}",
        "hold_url": _url("booking_portal_hold", portal),
        "services_ids": ids,
        "practitioner": practitioner,
        "location_id": str(portal.location.pk) if len(portal.locations) > 1 else "",
    }


def _time_context(request: HttpRequest, portal, ids: list[str], chosen: dict, practitioner: str, start: date) -> dict:
    names = selectors.practitioner_names(portal)
    return _base(
        portal,
        chosen=list(chosen.values()),
        totals=_totals(chosen),
        practitioner_name=names.get(practitioner, "") if practitioner else "",
        back_url=_url("booking_portal_practitioner", portal, _query(portal, services=ids)),
        **_week(portal, ids, practitioner, start),
    )


@portal_page
@require_safe
def time_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The day and time picker (the first week is rendered with the page)."""
    portal = _open_portal(request, slug)
    ids, chosen = _chosen(portal, request.GET.getlist("services"))
    practitioner = _practitioner(request.GET.get("practitioner"))
    start = _day(request.GET.get("date", ""), portal)
    return render(request, "booking/portal/time.html", _time_context(request, portal, ids, chosen, practitioner, start))


@portal_page
@require_safe
def times_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The time picker fragment: 7 days of free times from `start`."""
    portal = _open_portal(request, slug)
    ids = [str(as_uuid(s, "services")) for s in _service_ids(request.GET.getlist("services"))]
    if not ids:
        raise InvalidInput("Choose a service first.", fields={"services": ["Required."]})
    practitioner = _practitioner(request.GET.get("practitioner"))
    start = _day(request.GET.get("start", "") or request.GET.get("date", ""), portal)
    context = _base(portal, **_week(portal, ids, practitioner, start))
    return render(request, "booking/portal/partials/times.html", context)


# Hold ------------------------------------------------------------------------------------------


def _session_tokens(request: HttpRequest) -> dict:
    tokens = request.session.get(SESSION_TOKENS)
    return dict(tokens) if isinstance(tokens, dict) else {}


def _keep_token(request: HttpRequest, booking_id, token: str) -> None:
    tokens = _session_tokens(request)
    tokens[str(booking_id)] = token
    request.session[SESSION_TOKENS] = tokens


def _start(value: str, portal) -> datetime:
    try:
        start = datetime.fromisoformat((value or "").strip()[:40])
    except ValueError:
        raise InvalidInput("Pick a time from the list.", fields={"start": ["Not a time."]}) from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=portal.zone)
    return start


def _reuse_or_release(request: HttpRequest, portal, ids: list[str], practitioner: str, start: datetime):
    """The open booking of this session for this very time (kept), after letting any other
    open one go — a patient holds one time at a time."""
    for token in _session_tokens(request).values():
        try:
            booking = selectors.booking_for_token(portal, token)
        except NotFound:
            continue  # another clinic's booking in the same browser
        if booking.kind != BookingKind.PORTAL or booking.state not in OPEN_STATES:
            continue  # a clinic's finish-your-booking link is never let go from here
        if booking.hold.expires_at <= timezone.now():
            continue
        hold = booking.hold
        same = (
            hold.start_at == start
            and sorted(str(s) for s in hold.service_ids) == sorted(ids)
            and (not practitioner or str(hold.provider_id) == practitioner)
        )
        if same:
            return booking
        services.portal_release(portal, token)
    return None


@portal_page
@require_POST
def hold_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Hold the chosen time, then continue to the details (POST → redirect)."""
    portal = _open_portal(request, slug)
    ids, chosen = _chosen(portal, request.POST.getlist("services"))
    practitioner = _practitioner(request.POST.get("practitioner"))
    start = _start(request.POST.get("start", ""), portal)
    if not request.session.session_key:
        request.session.save()
    booking = _reuse_or_release(request, portal, ids, practitioner, start)
    if booking is None:
        try:
            held = services.portal_hold(
                portal,
                service_ids=ids,
                start=start,
                practitioner_id=practitioner or None,
                session_key=request.session.session_key,
                ip=_ip(request),
            )
        except DomainError as exc:
            if exc.status == 404:
                raise
            context = _time_context(request, portal, ids, chosen, practitioner, start.astimezone(portal.zone).date())
            context["error"] = exc.detail
            context["taken"] = isinstance(exc, Conflict)
            context["alternatives"] = exc.fields.get("alternatives", []) if isinstance(exc, Conflict) else []
            return render(request, "booking/portal/time.html", context, status=exc.status)
        booking = held.booking
        _keep_token(request, booking.pk, held.token)
    return redirect(_url("booking_portal_checkout", portal, booking_id=booking.pk))


# The held booking ---------------------------------------------------------------------------------


def _held(request: HttpRequest, slug: str, booking_id) -> tuple[selectors.Portal, object, str]:
    """(portal at the booking's location, booking, token) for a booking this session holds."""
    portal = _open_portal(request, slug, location_id="")
    token = _session_tokens(request).get(str(booking_id))
    if not token:
        raise NotFound("We could not find this booking. It may have been started in another browser.")
    booking = selectors.booking_for_token(portal, token)
    if str(booking.pk) != str(booking_id):
        raise NotFound("We could not find this booking.")
    if booking.location_id != portal.location.pk:
        portal = _open_portal(request, slug, location_id=booking.location_id)
    return portal, booking, token


def _again_url(portal, booking) -> str:
    ids = [str(s) for s in booking.hold.service_ids]
    return _url("booking_portal_time", portal, _query(portal, services=ids))


def _expired(request: HttpRequest, portal, booking, message: str = "") -> HttpResponse:
    return error_page(
        request,
        410,
        message or "Your hold on this time has expired, so it was released. Please pick a time again.",
        portal=portal,
        again_url=_again_url(portal, booking),
        heading="Your hold expired",
    )


def _summary(booking) -> dict:
    """The booking's patient-safe summary with its times written out for people."""
    summary = selectors.booking_summary(booking)
    start, end = datetime.fromisoformat(summary["start"]), datetime.fromisoformat(summary["end"])
    summary["when"] = start.strftime("%A, %B %-d, %Y")
    summary["time"] = f"{start.strftime('%-I:%M %p')} – {end.strftime('%-I:%M %p')}"
    summary["deposit_due"] = Decimal(summary["deposit"]) > 0
    return summary


def _lapsed(booking) -> bool:
    return booking.state in (BookingState.EXPIRED, BookingState.RELEASED, BookingState.CANCELLED) or (
        booking.state in OPEN_STATES and booking.hold.expires_at <= timezone.now()
    )


def _next_step(portal, booking) -> str | None:
    """Where a booking in this state belongs (None: the details step)."""
    if booking.state in DONE_STATES:
        return _url("booking_portal_done", portal, booking_id=booking.pk)
    if booking.state == BookingState.AWAITING_PAYMENT:
        return _url("booking_portal_pay", portal, booking_id=booking.pk)
    return None


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def checkout_view(request: HttpRequest, slug: str, booking_id) -> HttpResponse:
    """The patient's details and the cancellation policy, while the time is held."""
    portal, booking, token = _held(request, slug, booking_id)
    if booking.state in DONE_STATES or (request.method != "POST" and booking.state == BookingState.AWAITING_PAYMENT):
        return redirect(_next_step(portal, booking))
    if _lapsed(booking):
        return _expired(request, portal, booking)
    values = {name: getattr(booking, name, "") for name in DETAIL_FIELDS}
    errors: dict = {}
    message, consultation_url, status = "", "", 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "")[:1000] for name in DETAIL_FIELDS}
        try:
            version = int(request.POST.get("policy_version", ""))
        except ValueError:
            version = -1
        try:
            booking = services.portal_submit(
                portal,
                token,
                details={**values, "website": request.POST.get("website", "")},
                accept_policy=request.POST.get("accept_policy") in ("on", "1", "true", "yes"),
                policy_version=version,
                ip=_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except Gone as exc:
            return _expired(request, portal, booking, exc.detail)
        except DomainError as exc:
            if exc.status == 404:
                raise
            status, message = exc.status, exc.detail
            errors = {k: v[0] if isinstance(v, list) and v else v for k, v in exc.fields.items()}
            if exc.code == "consultation_required":
                consultation = (exc.fields.get("consultation_service_id") or [""])[0]
                consultation_url = _url("booking_portal_practitioner", portal, _query(portal, services=[consultation]))
        else:
            return redirect(_next_step(portal, booking))
    summary = _summary(booking)
    return render(
        request,
        "booking/portal/checkout.html",
        _base(
            portal,
            booking=booking,
            summary=summary,
            values=values,
            errors=errors,
            message=message,
            consultation_url=consultation_url,
            policy=services.policy_text(portal),
            policy_version=portal.settings.policy_version,
            notice_hours=portal.settings.cancellation_notice_hours,
            again_url=_again_url(portal, booking),
        ),
        status=status,
    )


@portal_page
@require_http_methods(["GET", "HEAD", "POST"])
def pay_view(request: HttpRequest, slug: str, booking_id) -> HttpResponse:
    """The deposit (test mode: approve or decline; no card details are asked or kept)."""
    portal, booking, token = _held(request, slug, booking_id)
    if booking.state in DONE_STATES:
        return redirect(_next_step(portal, booking))
    if _lapsed(booking):
        return _expired(request, portal, booking)
    if booking.state != BookingState.AWAITING_PAYMENT:
        return redirect(_url("booking_portal_checkout", portal, booking_id=booking.pk))
    message, status = "", 200
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in ("approve", "decline"):
            raise InvalidInput("Choose approve or decline.", fields={"outcome": ["Required."]})
        try:
            booking, message = services.deposit_pay(portal, token, outcome=outcome, ip=_ip(request))
        except Gone as exc:
            return _expired(request, portal, booking, exc.detail)
        except DomainError as exc:
            if exc.status == 404:
                raise
            message, status = exc.detail, exc.status
        else:
            if not message:
                return redirect(_next_step(portal, booking))
            status = 402
    return render(
        request,
        "booking/portal/pay.html",
        _base(portal, booking=booking, summary=_summary(booking), message=message),
        status=status,
    )


@portal_page
@require_safe
def done_view(request: HttpRequest, slug: str, booking_id) -> HttpResponse:
    """The confirmation: summary, add to calendar, the private manage link."""
    portal, booking, _token = _held(request, slug, booking_id)
    if booking.state not in DONE_STATES:
        if _lapsed(booking):
            return _expired(request, portal, booking)
        return redirect(_next_step(portal, booking) or _url("booking_portal_checkout", portal, booking_id=booking.pk))
    manage_path = f"/book/manage/{manage_token(booking.pk)}/"
    response = render(
        request,
        "booking/portal/done.html",
        _base(
            portal,
            booking=booking,
            summary=_summary(booking),
            requested=booking.state == BookingState.REQUESTED,
            manage_path=manage_path,
            manage_url=request.build_absolute_uri(manage_path),
            ics_url=_url("booking_portal_ics", portal, booking_id=booking.pk),
            again_url=_url("booking_portal_services", portal, _location_query(portal)),
        ),
    )
    response["Cache-Control"] = "private, no-store"
    return response


@portal_page
@require_safe
def calendar_view(request: HttpRequest, slug: str, booking_id) -> HttpResponse:
    """The booked visit as an iCalendar download."""
    _portal, booking, _token = _held(request, slug, booking_id)
    if booking.state not in DONE_STATES or not booking.visit_id:
        raise NotFound("This booking is not confirmed yet.")
    response = HttpResponse(visit_ics(booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# Branding images ---------------------------------------------------------------------------------


def _image(stored) -> HttpResponse:
    if stored is None or stored.content_type not in IMAGE_TYPES:
        raise NotFound("No image.")
    response = HttpResponse(read_bytes(stored), content_type=stored.content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@portal_page
@require_safe
def brand_view(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    """The clinic's logo or background image for its open portal."""
    portal = _open_portal(request, slug, location_id="")
    if kind not in ("logo", "background"):
        raise NotFound("No image.")
    return _image(getattr(portal.settings, kind))


@portal_page
@require_safe
def practitioner_photo_view(request: HttpRequest, slug: str, user_id) -> HttpResponse:
    """A listed practitioner's photo for the clinic's open portal."""
    portal = _open_portal(request, slug, location_id="")
    if str(user_id) not in selectors.practitioner_names(portal):
        raise NotFound("No image.")
    return _image(selectors.practitioner_photo(portal, user_id))
