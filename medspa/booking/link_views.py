"""Online booking on the staff calendar: live holds drawn as blocks in the practitioner's
column, and finish-your-booking links — staff hold a time for someone on the phone and send
them a private link to add their details, accept the policy and pay any deposit.

Hold blocks say only that a time is held and until when; the one name they carry is the
first name staff typed for a finish link. Times on these pages are wall-clock times of the
location.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone

from medspa.booking import selectors as booking_selectors
from medspa.booking import services as booking_services
from medspa.booking.choices import BookingKind, BookingState
from medspa.catalog.selectors import locations_for, provider_candidates, services_for
from medspa.core.access import requires
from medspa.core.errors import Conflict, DomainError, InvalidInput, NotFound
from medspa.core.http import render_page
from medspa.core.views import form_with_errors
from medspa.scheduling import selectors as scheduling_selectors
from medspa.scheduling import services as scheduling_services
from medspa.scheduling.choices import HoldStatus

VIEWERS = ("scheduling.view", "scheduling.view_own")
BOOKERS = ("scheduling.book", "scheduling.book_own")
MAX_HOLD_WINDOW_DAYS = 42
OPEN_LINKS_DAYS = 400
OPEN_LINKS_SHOWN = 50
# What a hold block says, by the booking behind it.
HOLD_LABELS = {
    BookingKind.LINK: "Finish link sent",
    BookingKind.PORTAL: "Held — online booking in progress",
}
AWAITING_PAYMENT = "Held — awaiting deposit"
# A service's refusal names its own fields; the form's fields are named for people.
FORM_FIELDS = {
    "first_name": "first_name",
    "phone": "phone",
    "email": "email",
    "service_ids": "service",
    "practitioner_id": "practitioner",
    "start": "time",
}


def _only(request: HttpRequest, *methods: str) -> HttpResponse | None:
    return None if request.method in methods else HttpResponseNotAllowed(methods)


def _refusal(exc: DomainError) -> JsonResponse:
    return JsonResponse({"detail": exc.detail, "code": exc.code, "fields": exc.fields}, status=exc.status)


def _toast(response: HttpResponse, level: str, message: str, **extra) -> HttpResponse:
    response["HX-Trigger"] = json.dumps({"toast": {"level": level, "message": message}, **extra})
    return response


def _locations(actor) -> list:
    return [loc for loc in locations_for(actor=actor).order_by("name") if loc.is_active]


def _location(actor, wanted):
    """The location asked for (another clinic's id counts as none), else the first active one."""
    locations = _locations(actor)
    return next((loc for loc in locations if str(loc.pk) == str(wanted or "")), locations[0] if locations else None)


def _instant(value: str | None, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat((value or "").strip().replace(" ", "+"))
    except ValueError:
        raise InvalidInput(f"Give {name} as an ISO date and time.", fields={name: ["Not a date and time."]}) from None
    if moment.tzinfo is None:
        raise InvalidInput("Times need a UTC offset.", fields={name: ["Include a UTC offset."]})
    return moment


def _uuid_or_none(value: str | None, name: str):
    if not value:
        return None
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(f"Unknown {name.replace('_', ' ')}.", fields={name: ["Not an id."]}) from None


# Hold blocks on the calendar ------------------------------------------------------------


def hold_label(kind: str, state: str) -> str:
    """What a held time says: waiting for a deposit, a finish link sent, or the portal."""
    if state == BookingState.AWAITING_PAYMENT:
        return AWAITING_PAYMENT
    return HOLD_LABELS.get(kind, "Held")


def hold_blocks(actor, *, start: datetime, end: datetime, location_id=None, provider_id=None) -> list[dict]:
    """The live holds meeting [start, end) as calendar blocks: who is held (the column), from
    when to when, until when, and what kind of booking keeps it. Two statements however many
    holds: the holds, then the first names staff typed for finish links."""
    own = scheduling_selectors.own_only(actor)
    if end <= start or end - start > timedelta(days=MAX_HOLD_WINDOW_DAYS):
        raise InvalidInput(
            f"Choose an end after the start, at most {MAX_HOLD_WINDOW_DAYS} days later.",
            fields={"end": ["Out of range."]},
        )
    holds = scheduling_services.active_holds(actor, start, end)
    if own is not None:
        holds = holds.filter(provider_id=own)
    if provider_id:
        holds = holds.filter(provider_id=provider_id)
    if location_id:
        holds = holds.filter(location_id=location_id)
    rows = list(
        holds.order_by("start_at", "id").values("id", "provider_id", "location_id", "start_at", "end_at", "expires_at")
    )
    if not rows:
        return []
    bookings = {
        b["hold_id"]: b
        for b in booking_selectors.pending_bookings(actor, start, end)
        .filter(hold_id__in=[r["id"] for r in rows])
        .values("id", "hold_id", "kind", "state", "first_name")
    }
    items = []
    for row in rows:
        booking = bookings.get(row["id"]) or {}
        kind = booking.get("kind", "")
        label = hold_label(kind, booking.get("state", ""))
        items.append(
            {
                "id": str(row["id"]),
                "booking_id": str(booking["id"]) if booking else None,
                "kind": kind or "hold",
                "label": label,
                # Only a finish link carries a name, the one staff typed themselves.
                "first_name": booking.get("first_name", "") if kind == BookingKind.LINK else "",
                "practitioner_id": str(row["provider_id"]),
                "location_id": str(row["location_id"]),
                "start": row["start_at"].isoformat(),
                "end": row["end_at"].isoformat(),
                "expires": row["expires_at"].isoformat(),
            }
        )
    return items


@requires(*VIEWERS)
def calendar_holds_view(request: HttpRequest) -> HttpResponse:
    """Live holds for the calendar window: `start` and `end` as times with a UTC offset
    (by default the location's today), optionally one `location_id` or `provider_id`. Bad
    input is a 422 with the fields."""
    if refused := _only(request, "GET", "HEAD"):
        return refused
    try:
        location_id = _uuid_or_none(request.GET.get("location_id"), "location_id")
        if request.GET.get("start"):
            start = _instant(request.GET.get("start"), "start")
        else:
            location = _location(request.actor, location_id)
            zone = ZoneInfo(location.timezone) if location else timezone.get_current_timezone()
            start = datetime.combine(timezone.now().astimezone(zone).date(), datetime.min.time(), tzinfo=zone)
        end = _instant(request.GET.get("end"), "end") if request.GET.get("end") else start + timedelta(days=1)
        provider_id = _uuid_or_none(request.GET.get("provider_id"), "provider_id")
        items = hold_blocks(request.actor, start=start, end=end, location_id=location_id, provider_id=provider_id)
    except InvalidInput as exc:
        return _refusal(exc)
    return JsonResponse({"items": items})


# Finish-your-booking links --------------------------------------------------------------


class LinkForm(forms.Form):
    """Only what it takes to hold a time for someone on the phone: their first name and
    mobile number, the service, the practitioner and the time; an email is optional."""

    first_name = forms.CharField(label="First name", max_length=80)
    phone = forms.CharField(label="Mobile phone", max_length=32)
    email = forms.EmailField(label="Email", max_length=254, required=False, help_text="The link is also emailed here.")
    service = forms.ChoiceField(label="Service")
    practitioner = forms.ChoiceField(label="Practitioner")
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"))

    def __init__(self, *args, services=(), practitioners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update(autocomplete="off", inputmode="tel")
        self.fields["first_name"].widget.attrs.update(autocomplete="off")
        self.fields["service"].choices = [("", "Choose a service")] + [
            (str(s.pk), s.name if s.bookable_online else f"{s.name} (not offered online)") for s in services
        ]
        self.fields["practitioner"].choices = [("", "Choose a practitioner")] + [
            (str(p.pk), p.full_name) for p in practitioners
        ]


@dataclass
class OpenLink:
    booking: object
    label: str
    first_name: str
    services: str
    practitioner: str
    start: datetime
    expires: datetime
    can_withdraw: bool


def _choices(actor, location) -> dict:
    own = scheduling_selectors.own_only(actor, book=True)
    people = provider_candidates(actor=actor)
    if own is not None:
        people = people.filter(pk=own)
    return {
        "services": list(services_for(actor=actor, location=location.pk, include_addons=False)) if location else [],
        "practitioners": list(people),
    }


def open_links(actor, choices: dict) -> list[OpenLink]:
    """The clinic's bookings still in progress (finish links sent, portal bookings holding a
    time or waiting for a deposit), soonest first; a practitioner booking only for themself
    sees theirs. Finish links can be withdrawn."""
    own = scheduling_selectors.own_only(actor, book=True)
    now = timezone.now()
    rows = booking_selectors.pending_bookings(actor, now, now + timedelta(days=OPEN_LINKS_DAYS)).filter(
        hold__status=HoldStatus.HELD
    )
    if own is not None:
        rows = rows.filter(hold__provider_id=own)
    names = {str(s.pk): s.name for s in choices["services"]}
    people = {str(p.pk): p.full_name for p in choices["practitioners"]}
    shown = []
    for booking in rows.select_related("location")[:OPEN_LINKS_SHOWN]:
        zone = ZoneInfo(booking.location.timezone)
        hold = booking.hold
        link = booking.kind == BookingKind.LINK
        label = hold_label(booking.kind, booking.state)
        shown.append(
            OpenLink(
                booking=booking,
                label=label,
                first_name=booking.first_name if link else "",
                services=", ".join(names.get(str(s), "Service") for s in hold.service_ids),
                practitioner=people.get(str(hold.provider_id), ""),
                start=hold.start_at.astimezone(zone),
                expires=hold.expires_at.astimezone(zone),
                can_withdraw=link,
            )
        )
    return shown


def _render(request, context: dict, *, status: int = 200) -> HttpResponse:
    return render_page(request, "booking/links/page.html", context, partial="booking/links/dialog.html", status=status)


def _context(request, form, location, choices, **extra) -> dict:
    return {
        "form": form,
        "location": location,
        "links": open_links(request.actor, choices),
        "in_modal": bool(getattr(request, "htmx", None)),
        "created": None,
        **extra,
    }


def _initial(request: HttpRequest, location, choices: dict) -> dict:
    """Prefill from the calendar: the day shown, the clicked time, the provider's column."""
    zone = ZoneInfo(location.timezone)
    initial = {"date": timezone.now().astimezone(zone).date(), "practitioner": request.GET.get("provider", "")}
    start = (request.GET.get("start") or "")[:16]
    try:
        if len(start) > 10:
            moment = datetime.fromisoformat(start)
            initial["date"], initial["time"] = moment.date(), moment.time()
        elif start:
            initial["date"] = date.fromisoformat(start)
    except ValueError:
        pass
    if len(choices["practitioners"]) == 1:
        initial["practitioner"] = str(choices["practitioners"][0].pk)
    return initial


@requires(*BOOKERS)
def links_view(request: HttpRequest) -> HttpResponse:
    """Send a booking link: GET the form (prefilled from the calendar) with the open links;
    POST holds the time and answers with the link to copy and the hold's expiry. Refusals
    (a bad phone, a time taken or outside hours) come back inline and nothing is written."""
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    actor = request.actor
    source = request.POST if request.method == "POST" else request.GET
    location = _location(actor, source.get("location"))
    if location is None:
        raise InvalidInput("Add a location before sending booking links.", fields={"location": ["No active location."]})
    choices = _choices(actor, location)
    if request.method != "POST":
        form = LinkForm(initial=_initial(request, location, choices), **choices)
        return _render(request, _context(request, form, location, choices))
    form = LinkForm(request.POST, **choices)
    if not form.is_valid():
        return _render(request, _context(request, form, location, choices), status=422)
    data = form.cleaned_data
    zone = ZoneInfo(location.timezone)
    start = datetime.combine(data["date"], data["time"].replace(second=0, microsecond=0), tzinfo=zone)
    try:
        link = booking_services.link_create(
            actor,
            first_name=data["first_name"],
            phone=data["phone"],
            email=data["email"],
            service_ids=[data["service"]],
            start=start,
            practitioner_id=data["practitioner"],
            location_id=location.pk,
        )
    except Conflict as exc:
        form.add_error("time", exc.detail)
        return _render(request, _context(request, form, location, choices), status=409)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        form_with_errors(form, _renamed(exc))
        return _render(request, _context(request, form, location, choices), status=422)
    hold = link.booking.hold
    created = {
        "url": settings.SITE_URL + link.path,
        "first_name": link.booking.first_name,
        "expires": hold.expires_at.astimezone(zone),
        "start": hold.start_at.astimezone(zone),
        "emailed": link.booking.contact_email,
    }
    fresh = LinkForm(initial={"date": data["date"], "practitioner": data["practitioner"]}, **choices)
    response = _render(request, _context(request, fresh, location, choices, created=created), status=201)
    return _toast(response, "success", f"Time held for {link.booking.first_name}.", **{"calendar-refetch": True})


def _renamed(exc: DomainError) -> DomainError:
    exc.fields = {FORM_FIELDS.get(name, name): _text(message) for name, message in (exc.fields or {}).items()}
    if not exc.fields:
        return exc
    # A refusal about something the form does not ask (the location, the hold) shows at the top.
    if not set(exc.fields) & set(FORM_FIELDS.values()):
        exc.fields = {}
    return exc


def _text(message) -> list[str] | str:
    if isinstance(message, (list, tuple)):
        return [str(m) for m in message]
    return str(message)


@requires(*BOOKERS)
def link_withdraw_view(request: HttpRequest) -> HttpResponse:
    """Withdraw a finish link that is still open (`booking` in the body): its time is
    released. Another clinic's link, or another practitioner's for one who books only for
    themself, is not found."""
    if refused := _only(request, "POST"):
        return refused
    actor = request.actor
    location = _location(actor, request.POST.get("location"))
    choices = _choices(actor, location)
    try:
        booking_id = _uuid_or_none(request.POST.get("booking"), "booking")
    except InvalidInput:
        booking_id = None
    if booking_id is None:
        raise NotFound("Booking link not found.")
    own = scheduling_selectors.own_only(actor, book=True)
    now = timezone.now()
    mine = booking_selectors.pending_bookings(actor, now, now + timedelta(days=OPEN_LINKS_DAYS)).filter(
        pk=booking_id, kind=BookingKind.LINK
    )
    if own is not None:
        mine = mine.filter(hold__provider_id=own)
    if not mine.exists():
        raise NotFound("Booking link not found.")
    booking = booking_services.link_cancel(actor, booking_id)
    form = LinkForm(initial=_initial(request, location, choices), **choices) if location else None
    response = _render(request, _context(request, form, location, choices, withdrawn=True))
    return _toast(
        response, "success", f"Link for {booking.first_name or 'the patient'} withdrawn.", **{"calendar-refetch": True}
    )
