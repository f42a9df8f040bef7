"""The patient's own pages outside the booking flow: the private manage link of a booked visit
(view, add to calendar, cancel, reschedule), the finish-your-booking link staff send, and the
waitlist form. All are public; each answers a bad, forged or expired link, a closed portal or
too many attempts with a friendly page and the matching 4xx, never a 500.

No patient details are shown on these pages and none travel in their URLs: the manage link
names only the booking (signed), the finish link carries the booking's secret, which moves
into the browser session before the patient is sent on to checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import wraps
from zoneinfo import ZoneInfo

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from medspa.booking import selectors, services
from medspa.booking.choices import OPEN_STATES, READS_PER_IP_PER_MINUTE, BookingState
from medspa.booking.models import BookingSettings, OnlineBooking
from medspa.booking.notifications import visit_ics
from medspa.core import ratelimit
from medspa.core.access import public
from medspa.core.errors import Conflict, DomainError, Gone, InvalidInput, NotFound
from medspa.core.middleware import client_ip
from medspa.core.models import Clinic, Location
from medspa.scheduling.choices import OPEN_STATUSES, AppointmentStatus, TimeOfDay

NO_STORE = "private, no-store"
HEADINGS = {
    404: "This link is not valid",
    410: "This link has expired",
    409: "That changed in the meantime",
    429: "Too many attempts",
}
WAITLIST_DAYS = 30


@dataclass
class Brand:
    """What the portal layout needs to dress a page in the clinic's colours (also when the
    clinic has turned online booking off: a manage link keeps working then)."""

    clinic: Clinic
    settings: BookingSettings
    location: Location


class NoBrand:
    """The layout's stand-in when no clinic is known (a forged link): empty and false, so
    the layout falls back to its plain look."""

    clinic = Clinic(name="", slug="")
    settings = BookingSettings()
    location = Location(name="", phone="")

    def __bool__(self) -> bool:
        return False


def _ip(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _read(request: HttpRequest) -> None:
    ratelimit.hit("booking.read.ip", _ip(request), limit=READS_PER_IP_PER_MINUTE, seconds=60)


def _brand(booking: OnlineBooking) -> Brand:
    return Brand(booking.clinic, selectors.booking_settings(booking.clinic), booking.location)


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    response = render(request, f"booking/manage/{template}", context, status=status)
    # Pages reached by a private link: never cached, never sent to other sites as a referrer
    # (not "no-referrer": browsers then send "Origin: null" and the CSRF check refuses forms).
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "same-origin"
    return response


def _problem(request: HttpRequest, error: DomainError, *, brand=None, heading: str = "") -> HttpResponse:
    """A refusal as a friendly page with the error's status."""
    status = error.status if 400 <= error.status < 500 else 400
    context = {
        "portal": brand or NoBrand(),
        "status": status,
        "heading": heading or HEADINGS.get(status, "Something went wrong"),
        "message": error.detail,
    }
    return _page(request, "problem.html", context, status=status)


def friendly(view):
    """Answer any refusal escaping the view with the friendly problem page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            return _problem(request, error)

    return wrapper


def _local(value: str | datetime, zone: ZoneInfo) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(zone)


def _when(moment: datetime) -> dict:
    return {"day": moment.strftime("%A, %B %-d, %Y"), "time": moment.strftime("%-I:%M %p")}


def _visit(booking: OnlineBooking) -> dict:
    """The booking as the patient reads it: the summary with dates in the clinic's zone."""
    summary = selectors.booking_summary(booking)
    zone = ZoneInfo(summary["timezone"])
    start, end = _local(summary["start"], zone), _local(summary["end"], zone)
    appointments = getattr(booking, "appointments", None) or []
    is_open = any(a.status in OPEN_STATUSES for a in appointments) and booking.state != BookingState.CANCELLED
    cancelled = not is_open and all(a.status == AppointmentStatus.CANCELLED for a in appointments)
    return {
        **summary,
        "when": _when(start),
        "ends": end.strftime("%-I:%M %p"),
        "zone_name": start.tzname(),
        "items": [
            {**item, "time": _local(item["start"], zone).strftime("%-I:%M %p") if item["start"] else ""}
            for item in summary["services"]
        ],
        "is_open": is_open,
        "cancelled": cancelled or booking.state == BookingState.CANCELLED,
        "awaiting": booking.state == BookingState.REQUESTED and is_open,
        "has_deposit": Decimal(summary["deposit"] or "0") > 0,
    }


def _portal_or_none(booking: OnlineBooking):
    try:
        return selectors.portal_for(booking.clinic.slug, booking.location_id)
    except NotFound:
        return None


def _notice_hours(booking: OnlineBooking) -> int:
    return selectors.booking_settings(booking.clinic).cancellation_notice_hours


def _policy(booking: OnlineBooking) -> str:
    settings = selectors.booking_settings(booking.clinic)
    return settings.cancellation_policy.replace("{hours}", str(settings.cancellation_notice_hours))


@public
@require_safe
@friendly
def booking_manage_view(request: HttpRequest, token: str) -> HttpResponse:
    """The booked visit behind a manage link: what, when, where, with whom, and what the
    patient may still do. Forged links are a 404, links of visits that are over a 410."""
    _read(request)
    booking = selectors.booking_for_manage(token)
    visit = _visit(booking)
    context = {
        "portal": _brand(booking),
        "token": token,
        "visit": visit,
        "late": visit["is_open"] and services.is_late(booking),
        "hours": _notice_hours(booking),
        "can_reschedule": visit["is_open"] and _portal_or_none(booking) is not None,
        "moved": request.GET.get("done") == "moved" and visit["is_open"],
    }
    return _page(request, "manage.html", context)


@public
@require_safe
@friendly
def booking_manage_calendar_view(request: HttpRequest, token: str) -> HttpResponse:
    """The visit as an iCalendar file to add to the patient's own calendar."""
    _read(request)
    booking = selectors.booking_for_manage(token)
    response = HttpResponse(
        visit_ics(booking, booking.appointments, cancelled=booking.state == BookingState.CANCELLED),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    response["Cache-Control"] = NO_STORE
    return response


def _changeable(request: HttpRequest, token: str) -> tuple[OnlineBooking | None, dict]:
    """The booking behind the link and the page context, or no booking when the visit can
    no longer change (cancelled, checked in): its manage page says so."""
    if request.method != "POST":
        _read(request)
    booking = selectors.booking_for_manage(token)
    visit = _visit(booking)
    context = {"portal": _brand(booking), "token": token, "visit": visit}
    return (booking if visit["is_open"] else None), context


@public
@require_http_methods(["GET", "HEAD", "POST"])
@friendly
def booking_manage_cancel_view(request: HttpRequest, token: str) -> HttpResponse:
    """Cancel the visit after one confirmation. Inside the clinic's notice window the patient
    is first told it is a late cancellation (the fee policy applies) and must confirm that."""
    booking, context = _changeable(request, token)
    if booking is None:
        return redirect(reverse("booking_manage", args=[token]))
    context.update({"hours": _notice_hours(booking), "policy": _policy(booking)})
    if request.method != "POST":
        late = services.is_late(booking)
        return _page(request, "cancel_late.html" if late else "cancel_confirm.html", context)
    confirm_late = request.POST.get("confirm_late") == "1"
    reason = str(request.POST.get("reason") or "")[:300]
    try:
        services.manage_cancel(token, confirm_late=confirm_late, reason=reason, ip=_ip(request))
    except InvalidInput as error:
        if error.code != "late_cancellation":
            raise
        # The window closed while the patient was reading: tell them before anything changes.
        return _page(request, "cancel_late.html", {**context, "message": error.detail})
    except Conflict as error:
        return _problem(request, error, brand=context["portal"])
    return redirect(reverse("booking_manage", args=[token]))


def _week_start(request: HttpRequest, today: date) -> date:
    try:
        wanted = date.fromisoformat(str(request.GET.get("date") or "")[:10])
    except ValueError:
        return today
    return min(max(wanted, today), today + timedelta(days=366))


def _picker(portal, booking: OnlineBooking, start: date) -> list[dict]:
    hold = booking.hold
    days = selectors.public_availability(
        portal,
        list(hold.service_ids),
        practitioner_id=str(hold.provider_id),
        start=start,
        days=7,
        addon_ids=list(hold.addon_ids or []),
    )
    return [{**day, "heading": date.fromisoformat(day["date"]).strftime("%A, %B %-d")} for day in days if day["times"]]


@public
@require_http_methods(["GET", "HEAD", "POST"])
@friendly
def booking_manage_reschedule_view(request: HttpRequest, token: str) -> HttpResponse:
    """Pick another free time with the same practitioner, under the portal's online rules. A
    time taken in the meantime is a 409 with the nearest free times instead."""
    booking, context = _changeable(request, token)
    if booking is None:
        return redirect(reverse("booking_manage", args=[token]))
    context["phone"] = booking.location.phone
    portal = _portal_or_none(booking)
    if portal is None:
        return _page(request, "reschedule.html", {**context, "closed": True})
    today = timezone.now().astimezone(portal.zone).date()
    start = _week_start(request, today)
    context.update(
        {
            "start": start,
            "previous": (start - timedelta(days=7)).isoformat() if start > today else "",
            "next": (start + timedelta(days=7)).isoformat(),
        }
    )
    status = 200
    if request.method == "POST":
        try:
            moment = datetime.fromisoformat(str(request.POST.get("start") or "")[:40])
            if moment.tzinfo is None:
                raise ValueError
        except ValueError:
            context["error"] = "Pick one of the times shown."
            status = 422
        else:
            try:
                services.manage_reschedule(token, start=moment, ip=_ip(request))
            except Conflict as taken:
                if taken.code != "slot_unavailable":
                    raise
                context["taken"] = taken.detail
                context["alternatives"] = [
                    {**t, "day": _local(t["start"], portal.zone).strftime("%a %b %-d")}
                    for t in taken.fields.get("alternatives", [])
                ]
                status = 409
            except InvalidInput as refused:
                context["error"] = refused.detail
                status = 422
            else:
                return redirect(reverse("booking_manage", args=[token]) + "?done=moved")
    try:
        context["days"] = _picker(portal, booking, start)
    except (NotFound, InvalidInput):
        # The practitioner or a service is no longer offered online.
        return _page(request, "reschedule.html", {**context, "closed": True}, status=status)
    return _page(request, "reschedule.html", context, status=status)


def _finish_lapsed(booking: OnlineBooking) -> bool:
    if booking.state in (BookingState.EXPIRED, BookingState.RELEASED, BookingState.CANCELLED):
        return True
    return booking.state in OPEN_STATES and booking.hold.expires_at <= timezone.now()


@public
@require_safe
@friendly
def booking_finish_view(request: HttpRequest, token: str) -> HttpResponse:
    """Open a finish-your-booking link: its secret moves into this browser's session and the
    patient continues at checkout. Forged links are a 404; a lapsed hold is a 410."""
    _read(request)
    booking = selectors.booking_for_token(None, token)
    if _finish_lapsed(booking):
        return _problem(
            request,
            Gone("The time held for you has been released. Please book again or call the clinic."),
            brand=_brand(booking),
        )
    tokens = request.session.get("booking_tokens")
    if not isinstance(tokens, dict):
        tokens = {}
    tokens[str(booking.pk)] = token
    request.session["booking_tokens"] = tokens
    request.session.modified = True
    response = redirect(f"/book/{booking.clinic.slug}/checkout/{booking.pk}/")
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = NO_STORE
    return response


class WaitlistForm(forms.Form):
    """The waitlist request as typed; the service checks the details and dates again."""

    service = forms.ChoiceField(label="Service")
    practitioner = forms.ChoiceField(label="Practitioner", required=False)
    first_name = forms.CharField(label="First name", max_length=80)
    last_name = forms.CharField(label="Last name", max_length=80)
    phone = forms.CharField(label="Mobile phone", max_length=40, required=False)
    email = forms.CharField(label="Email", max_length=254, required=False)
    date_from = forms.DateField(label="From")
    date_to = forms.DateField(label="To")
    times_of_day = forms.MultipleChoiceField(
        label="Times of day", choices=TimeOfDay.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(label="Notes", max_length=500, required=False, widget=forms.Textarea)
    website = forms.CharField(required=False, max_length=200)


# The service names fields as the API does; the form shows them on its own inputs.
WAITLIST_FIELDS = {"service_id": "service", "service_ids": "service", "practitioner_id": "practitioner"}


def _query_ids(request: HttpRequest, name: str) -> list[str]:
    values = []
    for raw in request.GET.getlist(name)[:10]:
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values[:10]


@public
@require_http_methods(["GET", "HEAD", "POST"])
@friendly
def booking_waitlist_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Join a service's waitlist with preferred dates and times of day when no time fits."""
    _read(request)
    try:
        portal = selectors.portal_for(slug, request.GET.get("location") or None)
    except InvalidInput:
        return _problem(request, NotFound("That location does not take online bookings."))
    if request.method != "POST" and request.GET.get("joined") == "1":
        return _page(request, "waitlist_thanks.html", {"portal": portal})
    offered = selectors.public_services(portal)
    wanted = next((s for s in _query_ids(request, "services") if s in {o["id"] for o in offered}), "")
    practitioner_ids = [wanted] if wanted else []
    people = selectors.public_practitioners(portal, practitioner_ids)
    today = timezone.now().astimezone(portal.zone).date()
    initial = {
        "service": wanted,
        "practitioner": request.GET.get("practitioner") or "",
        "date_from": today,
        "date_to": today + timedelta(days=WAITLIST_DAYS),
    }
    form = WaitlistForm(request.POST if request.method == "POST" else None, initial=initial)
    form.fields["service"].choices = [("", "Choose a service"), *((s["id"], s["name"]) for s in offered)]
    form.fields["practitioner"].choices = [("", "Anyone"), *((p["id"], p["display_name"]) for p in people)]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.portal_waitlist_join(
                    portal,
                    service_id=data["service"],
                    details={k: data[k] for k in ("first_name", "last_name", "phone", "email", "notes", "website")},
                    date_from=data["date_from"],
                    date_to=data["date_to"],
                    times_of_day=data["times_of_day"],
                    practitioner_id=data["practitioner"] or None,
                    ip=_ip(request),
                )
            except InvalidInput as error:
                _form_errors(form, error)
            else:
                query = f"?location={portal.location.pk}" if len(portal.locations) > 1 else ""
                query += ("&" if query else "?") + "joined=1"
                return redirect(reverse("booking_waitlist", args=[portal.clinic.slug]) + query)
        status = 422
    context = {"portal": portal, "form": form, "service_name": dict(form.fields["service"].choices).get(wanted)}
    return _page(request, "waitlist.html", context, status=status)


def _form_errors(form: forms.Form, error: InvalidInput) -> None:
    placed = False
    for name, messages in error.fields.items():
        field = WAITLIST_FIELDS.get(name, name)
        if field in form.fields and field != "website":
            for message in messages if isinstance(messages, list) else [messages]:
                form.add_error(field, str(message))
            placed = True
    if not placed:
        form.add_error(None, error.detail)
