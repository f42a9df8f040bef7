"""The staff calendar and the Today page, with their htmx partials.

The calendar itself is a browser island (vkurko Event Calendar, registered as the Alpine
`calendar` component in frontend/app.js): it reads appointments from the JSON API
(`GET /api/appointments`), moves them with `PUT /api/booking/appointments/{id}`, and asks
this module for the shading of working hours and time off, the booking dialog, the
appointment card and status changes. Times on these pages are wall-clock times of the
location, which is how the clinic reads its day.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from medspa.catalog.selectors import locations_for, provider_candidates, rooms_for, services_for
from medspa.core.access import requires
from medspa.core.errors import Conflict, DomainError, InvalidInput
from medspa.core.http import render_page
from medspa.core.views import form_with_errors
from medspa.patients import selectors as patient_selectors
from medspa.patients import services as patient_services
from medspa.scheduling import selectors, services
from medspa.scheduling.availability.loader import Search
from medspa.scheduling.choices import (
    MOVABLE_STATUSES,
    TRANSITIONS,
    AppointmentStatus,
    BlockKind,
    ExceptionKind,
)
from medspa.scheduling.forms import BookingForm, StatusForm
from medspa.scheduling.hooks import appointment_flags

VIEWERS = ("scheduling.view", "scheduling.view_own")
BOOKERS = ("scheduling.book", "scheduling.book_own")
MAX_SHADING_DAYS = 42
PATIENT_PICKER_LIMIT = 8
SUGGESTIONS = 4
S = AppointmentStatus
# Status → (label, icon) as the calendar and the Today page show them.
STATUS_LOOK = {
    S.REQUESTED: ("Requested", "clock"),
    S.SCHEDULED: ("Scheduled", "calendar"),
    S.CONFIRMED: ("Confirmed", "check"),
    S.ARRIVED: ("Arrived", "map-pin"),
    S.IN_PROGRESS: ("In progress", "sparkles"),
    S.COMPLETED: ("Completed", "check-circle"),
    S.NO_SHOW: ("No-show", "x-circle"),
    S.CANCELLED: ("Cancelled", "x"),
}
# The Today page's groups, in the order the front desk works through them.
TODAY_GROUPS = (
    ("upcoming", "Upcoming", (S.REQUESTED, S.SCHEDULED, S.CONFIRMED)),
    ("arrived", "Arrived", (S.ARRIVED,)),
    ("in_progress", "In progress", (S.IN_PROGRESS,)),
    ("completed", "Completed", (S.COMPLETED,)),
    ("missed", "No-show and cancelled", (S.NO_SHOW, S.CANCELLED)),
)
# Buttons of the status menu, in the order a visit goes.
STATUS_ACTIONS = (
    (S.CONFIRMED, "Confirm"),
    (S.ARRIVED, "Check in"),
    (S.IN_PROGRESS, "Start"),
    (S.COMPLETED, "Complete"),
    (S.NO_SHOW, "No-show"),
)
# A requested visit's decisions: approved (scheduled or confirmed) or declined.
DECISIONS = frozenset({S.SCHEDULED, S.CONFIRMED, S.CANCELLED})

STATUS_DONE = {
    S.CONFIRMED: "confirmed",
    S.ARRIVED: "checked in",
    S.IN_PROGRESS: "started",
    S.COMPLETED: "completed",
    S.NO_SHOW: "marked as a no-show",
    S.CANCELLED: "cancelled",
    S.SCHEDULED: "approved",
}


def _only(request: HttpRequest, *methods: str) -> HttpResponse | None:
    return None if request.method in methods else HttpResponseNotAllowed(methods)


def _reraise_access(exc: DomainError) -> None:
    if exc.status in (401, 403, 404):
        raise exc


def _toast(response: HttpResponse, level: str, message: str, **extra) -> HttpResponse:
    response["HX-Trigger"] = json.dumps({"toast": {"level": level, "message": message}, **extra})
    return response


def _locations(actor) -> list:
    return [loc for loc in locations_for(actor=actor).order_by("name") if loc.is_active]


def _location(actor, wanted, locations: list | None = None):
    """The location asked for (another clinic's id is ignored, like an unknown one), or the
    clinic's first active location; None when the clinic has none."""
    locations = _locations(actor) if locations is None else locations
    return next((loc for loc in locations if str(loc.pk) == str(wanted or "")), locations[0] if locations else None)


def _providers(actor):
    """The providers whose columns this actor may see (their own only, for view_own)."""
    people = provider_candidates(actor=actor)
    own = selectors.own_only(actor)
    return people.filter(pk=own) if own is not None else people


def _parse_day(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput("Give a date as YYYY-MM-DD.", fields={"date": ["Not a date."]}) from None


def _wall(day: date, minute: int) -> str:
    return (datetime.combine(day, time()) + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S")


def _optional_url(name: str) -> str:
    """A page of another module the calendar links to (online booking's hold blocks and
    booking links), or "" when that module is not installed."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _look(appointment) -> dict:
    label, icon = STATUS_LOOK.get(appointment.status, (appointment.get_status_display(), "calendar"))
    return {"label": label, "icon": icon}


# Calendar page -------------------------------------------------------------------------


@requires(*VIEWERS)
def calendar_view(request: HttpRequest) -> HttpResponse:
    """The calendar: day or week, a column per provider or per room, filters, live updates."""
    if refused := _only(request, "GET", "HEAD"):
        return refused
    actor = request.actor
    locations = _locations(actor)
    location = _location(actor, request.GET.get("location"), locations)
    zone = ZoneInfo(location.timezone) if location else timezone.get_current_timezone()
    today = timezone.now().astimezone(zone).date()
    try:
        day = _parse_day(request.GET.get("date"), today)
    except InvalidInput:
        day = today
    providers = list(_providers(actor))
    rooms = list(rooms_for(actor=actor)) if location else []
    policy = selectors.booking_rules(actor, location.pk) if location else {}
    config = {
        "date": day.isoformat(),
        "today": today.isoformat(),
        "location": str(location.pk) if location else "",
        "locations": [{"id": str(loc.pk), "name": loc.name, "timezone": loc.timezone} for loc in locations],
        "timezone": location.timezone if location else "UTC",
        "providers": [{"id": str(p.pk), "title": p.full_name} for p in providers],
        "rooms": [{"id": str(r.pk), "title": r.name, "location": str(r.location_id)} for r in rooms],
        "slotMinutes": policy.get("slot_minutes") or 15,
        "canBook": any(actor.can(p) for p in BOOKERS),
        "ownOnly": selectors.own_only(actor) is not None,
        "urls": {
            "feed": "/api/appointments",
            "move": "/api/booking/appointments/",
            "hours": reverse("scheduling_calendar_hours"),
            "book": reverse("scheduling_appointment_new"),
            "detail": reverse("scheduling_calendar") + "appointments/",
            "holds": _optional_url("booking_calendar_holds"),
            "links": _optional_url("booking_links"),
        },
        "statuses": {key: {"label": label, "icon": icon} for key, (label, icon) in STATUS_LOOK.items()},
    }
    context = {
        "config": config,
        "location": location,
        "locations": locations,
        "providers": providers,
        "rooms": rooms,
        "statuses": [(key, label) for key, (label, _) in STATUS_LOOK.items()],
    }
    return render_page(request, "scheduling/calendar.html", context)


@requires(*VIEWERS)
def calendar_hours_view(request: HttpRequest) -> HttpResponse:
    """Background blocks for the calendar: working hours, breaks and time off per provider
    column, as wall-clock times of the location. `start` and `end` are dates (end exclusive).
    Two queries whatever the number of providers or days."""
    if refused := _only(request, "GET", "HEAD"):
        return refused
    actor = request.actor
    location = _location(actor, request.GET.get("location"))
    if location is None:
        return JsonResponse({"items": []})
    zone = ZoneInfo(location.timezone)
    today = timezone.now().astimezone(zone).date()
    try:
        start = _parse_day(request.GET.get("start"), today)
        end = _parse_day(request.GET.get("end"), start + timedelta(days=7))
    except InvalidInput as exc:
        return JsonResponse({"detail": exc.detail, "code": exc.code, "fields": exc.fields}, status=422)
    if end <= start or (end - start).days > MAX_SHADING_DAYS:
        fields = {"end": [f"Choose an end after the start, at most {MAX_SHADING_DAYS} days later."]}
        return JsonResponse({"detail": fields["end"][0], "code": "invalid", "fields": fields}, status=422)
    return JsonResponse({"items": shading(actor, location=location, start=start, end=end)})


def shading(actor, *, location, start: date, end: date) -> list[dict]:
    own = selectors.own_only(actor)
    weekly: dict[tuple[str, int], list] = {}
    for block in selectors.working_hours(actor, location_id=location.pk, provider_id=own):
        weekly.setdefault((str(block.provider_id), block.weekday), []).append(block)
    dated: dict[tuple[str, date], list] = {}
    exceptions = selectors.schedule_exceptions(actor, start=start, end=end - timedelta(days=1), provider_id=own)
    for exception in exceptions:
        if exception.location_id in (None, location.pk):
            dated.setdefault((str(exception.provider_id), exception.date), []).append(exception)
    providers = {key[0] for key in weekly} | {key[0] for key in dated}
    items = []

    def add(provider: str, day: date, first: int, last: int, kind: str, title: str = "") -> None:
        items.append(
            {
                "resourceIds": [provider],
                "start": _wall(day, first),
                "end": _wall(day, last),
                "display": "background",
                "classNames": [f"ec-shade-{kind}"],
                "title": title,
            }
        )

    day = start
    while day < end:
        for provider in providers:
            changes = dated.get((provider, day), [])
            whole_day_off = any(c.kind == ExceptionKind.TIME_OFF and c.start_minute is None for c in changes)
            if whole_day_off:
                add(provider, day, 0, 24 * 60, "off", "Time off")
                continue
            for block in weekly.get((provider, day.weekday()), []):
                kind = "break" if block.kind == BlockKind.BREAK else "work"
                add(provider, day, block.start_minute, block.end_minute, kind, "Break" if kind == "break" else "")
            for change in changes:
                first = change.start_minute if change.start_minute is not None else 0
                last = change.end_minute if change.end_minute is not None else 24 * 60
                if change.kind == ExceptionKind.TIME_OFF:
                    add(provider, day, first, last, "off", "Time off")
                else:
                    add(provider, day, first, last, "work")
        day += timedelta(days=1)
    return items


# The appointment card (dialog) and its status menu --------------------------------------


FLAG_COLUMNS = ("id", "patient_id", "service_id", "provider_id", "start_at")


def _flags(actor, appointments) -> dict[str, list[dict]]:
    """The marks other modules put on these appointments (e.g. consents on file)."""
    return appointment_flags(actor, [{c: getattr(a, c) for c in FLAG_COLUMNS} for a in appointments])


def _card_context(request: HttpRequest, appointment, *, error: str = "") -> dict:
    actor = request.actor
    zone = ZoneInfo(appointment.location.timezone)
    allowed = TRANSITIONS.get(appointment.status, frozenset())
    can_book = any(actor.can(p) for p in BOOKERS)
    # A requested booking (online, awaiting approval) is approved or declined first.
    deciding = can_book and appointment.status == S.REQUESTED
    return {
        "appointment": appointment,
        "flags": _flags(actor, [appointment]).get(str(appointment.pk), []),
        "look": _look(appointment),
        "local_start": appointment.start_at.astimezone(zone),
        "local_end": appointment.end_at.astimezone(zone),
        "actions": [
            (status, label)
            for status, label in STATUS_ACTIONS
            if status in allowed and not (deciding and status == S.CONFIRMED)
        ]
        if can_book
        else [],
        "deciding": deciding,
        "can_cancel": can_book and S.CANCELLED in allowed and not deciding,
        "can_check_in": can_book and S.ARRIVED in allowed,
        "movable": appointment.status in MOVABLE_STATUSES,
        "can_open_patient": actor.can("patients.view"),
        "error": error,
    }


@requires(*VIEWERS)
def appointment_detail_view(request: HttpRequest, appointment_id) -> HttpResponse:
    """One appointment: who, what, when, status menu, one-click check-in, the patient link."""
    appointment = selectors.appointment_get(request.actor, appointment_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    return render_page(
        request,
        "scheduling/appointment.html",
        _card_context(request, appointment),
        partial="scheduling/partials/appointment_card.html",
    )


def _decide(actor, appointment, status: str, reason: str, *, whole_visit: bool) -> None:
    """Set the status; a requested visit (an online booking awaiting approval) is approved
    or declined as a whole, all its requested appointments together or none."""
    others = []
    if whole_visit:
        others = [
            a.pk
            for a in selectors.visit_appointments(actor, appointment.visit_id)
            if a.pk != appointment.pk and a.status == S.REQUESTED
        ]
    with transaction.atomic():
        for pk in [appointment.pk, *others]:
            if status == S.CANCELLED:
                services.appointment_cancel(actor, pk, reason=reason)
            else:
                services.appointment_set_status(actor, pk, status, reason=reason)


@requires(*BOOKERS)
def appointment_status_view(request: HttpRequest, appointment_id) -> HttpResponse:
    """Change the status (check in, start, complete, no-show, cancel with a reason). Answers
    with the refreshed card, or the Today list when asked from the Today page."""
    appointment = selectors.appointment_get(request.actor, appointment_id)
    if refused := _only(request, "POST"):
        return refused
    form = StatusForm(request.POST)
    was_requested = appointment.status == S.REQUESTED
    error = ""
    if not form.is_valid():
        error = "Choose a status."
    else:
        status, reason = form.cleaned_data["status"], form.cleaned_data["reason"]
        if status == S.CANCELLED and not reason:
            error = "Give a reason to decline." if was_requested else "Give a reason to cancel."
        else:
            try:
                _decide(request.actor, appointment, status, reason, whole_visit=was_requested and status in DECISIONS)
            except DomainError as exc:
                _reraise_access(exc)
                error = exc.detail
    if request.POST.get("next") == "today":
        response = _today_response(request, request.POST.get("location"), status=422 if error else 200)
    else:
        appointment = selectors.appointment_get(request.actor, appointment.pk)
        response = render_page(
            request,
            "scheduling/appointment.html",
            _card_context(request, appointment, error=error),
            partial="scheduling/partials/appointment_card.html",
            status=422 if error else 200,
        )
    if error:
        return _toast(response, "error", error)
    done = STATUS_DONE.get(form.cleaned_data["status"], "updated")
    if was_requested and form.cleaned_data["status"] == S.CANCELLED:
        done = "declined"
    return _toast(response, "success", f"{appointment.patient.display_name} {done}.")


# Booking dialog ------------------------------------------------------------------------


def _booking_choices(actor, location) -> dict:
    return {
        "services": list(services_for(actor=actor, location=location.pk, include_addons=False)),
        "providers": list(_providers(actor)),
        "rooms": list(rooms_for(actor=actor, location=location.pk)),
    }


def _start_in(zone: ZoneInfo, naive: datetime) -> datetime:
    return naive.replace(tzinfo=zone) if naive.tzinfo is None else naive.astimezone(zone)


def _booking_render(request, form, location, *, status: int = 200, conflict: str = "", confirm: bool = False):
    picked = None
    patient_id = form["patient"].value()
    if patient_id:
        try:
            picked = patient_selectors.patient_get(actor=request.actor, patient_id=patient_id)
        except DomainError:
            picked = None
    context = {
        "form": form,
        "location": location,
        "picked": picked,
        "conflict": conflict,
        "confirm_double": confirm,
        "in_modal": bool(getattr(request, "htmx", None)),
    }
    return render_page(
        request, "scheduling/book.html", context, partial="scheduling/partials/book_form.html", status=status
    )


@requires(*BOOKERS)
def appointment_new_view(request: HttpRequest) -> HttpResponse:
    """The booking dialog: GET prefills from the clicked slot (`start` as the location's
    wall-clock time, `provider` or `room` from the column); POST books. A conflict shows
    what is in the way; when the clinic allows staff double booking, a confirm step resubmits
    with `double_book`."""
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    actor = request.actor
    source = request.POST if request.method == "POST" else request.GET
    location = _location(actor, source.get("location"))
    if location is None:
        raise InvalidInput("Add a location before booking.", fields={"location": ["No active location."]})
    zone = ZoneInfo(location.timezone)
    choices = _booking_choices(actor, location)
    if request.method != "POST":
        initial = {"provider": request.GET.get("provider", ""), "room": request.GET.get("room", "")}
        if len(choices["providers"]) == 1:
            initial["provider"] = str(choices["providers"][0].pk)
        if request.GET.get("start"):
            initial["start"] = request.GET["start"][:16]
        return _booking_render(request, BookingForm(initial=initial, **choices), location)
    form = BookingForm(request.POST, **choices)
    if not form.is_valid():
        return _booking_render(request, form, location, status=422)
    data = form.cleaned_data
    patient_id = data["patient"]
    if patient_id is None:
        try:
            patient = patient_services.patient_create(actor=actor, data=form.new_patient())
        except DomainError as exc:
            _reraise_access(exc)
            form_with_errors(form, exc)
            return _booking_render(request, form, location, status=422)
        patient_id = patient.pk
        # Shown again after a refused booking, the dialog keeps the profile just created.
        form.data = form.data.copy()
        form.data["patient"] = str(patient_id)
    booking = services.BookingRequest(
        patient_id=patient_id,
        service_ids=[data["service"]],
        provider_id=data["provider"],
        start=_start_in(zone, data["start"]),
        location_id=location.pk,
        room_id=data["room"] or None,
        notes=data["notes"],
        double_book=bool(data["double_book"]),
    )
    try:
        visit = services.book(actor, booking)
    except Conflict as exc:
        allowed = selectors.booking_rules(actor, location.pk).get("allow_staff_double_booking")
        confirm = (
            bool(allowed)
            and not data["double_book"]
            and exc.fields.get("conflict", {}).get("resource")
            in (
                "provider",
                None,
            )
        )
        return _booking_render(request, form, location, status=409, conflict=exc.detail, confirm=confirm)
    except DomainError as exc:
        _reraise_access(exc)
        form_with_errors(form, exc)
        return _booking_render(request, form, location, status=422)
    first = visit.booked[0]
    message = f"Booked {first.service.name} for {visit.patient.display_name}."
    if getattr(request, "htmx", None):
        return _toast(HttpResponse(status=204), "success", message, **{"calendar-saved": {"id": str(first.pk)}})
    messages.success(request, message)
    return redirect(f"{reverse('scheduling_calendar')}?date={first.start_at.astimezone(zone).date().isoformat()}")


@requires(*BOOKERS)
def appointment_suggest_view(request: HttpRequest) -> HttpResponse:
    """What the availability engine says about the dialog's service, provider and start:
    free (with the room it would use) or not, and the nearest free times that day."""
    if refused := _only(request, "POST"):
        return refused
    actor = request.actor
    location = _location(actor, request.POST.get("location"))
    form = BookingForm(request.POST, **(_booking_choices(actor, location) if location else {}))
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    context = {"ready": False}
    if location and data.get("service") and data.get("provider") and data.get("start"):
        zone = ZoneInfo(location.timezone)
        start = _start_in(zone, data["start"])
        day = datetime.combine(start.date(), time(), tzinfo=zone)
        search = Search(
            service_ids=(data["service"],),
            location_id=location.pk,
            start=day,
            end=day + timedelta(days=1),
            provider_ids=frozenset({data["provider"]}),
        )
        try:
            slots, found = selectors.available_slots(actor, search)
        except DomainError as exc:
            _reraise_access(exc)
            context = {"ready": True, "problem": exc.detail}
        else:
            exact = next((s for s in slots if datetime.fromisoformat(s["start"]) == start), None)
            later = [s for s in slots if datetime.fromisoformat(s["start"]) > start]
            rooms = {str(r.pk): r.name for r in rooms_for(actor=actor, location=location.pk)}
            context = {
                "ready": True,
                "free": exact is not None,
                "room_name": rooms.get(exact["room_id"] or "", "") if exact else "",
                "room_id": exact["room_id"] if exact else "",
                "reasons": found.reasons,
                "suggestions": [
                    {
                        "value": s["start"][:16],
                        "label": datetime.fromisoformat(s["start"]).strftime("%H:%M"),
                        "best": s["best"],
                    }
                    for s in sorted(later, key=lambda s: (not s["best"], s["start"]))[:SUGGESTIONS]
                ],
            }
    return render_page(request, "scheduling/partials/book_suggest.html", context)


@requires(*BOOKERS)
def calendar_patient_search_view(request: HttpRequest) -> HttpResponse:
    """Patients to pick in the booking dialog. POSTed: the search text holds names and
    phone numbers, which stay out of URLs (PRIV-5)."""
    if refused := _only(request, "POST"):
        return refused
    q = (request.POST.get("q") or "").strip()[:100]
    found: list = []
    if q:
        found, _ = patient_selectors.patient_search(actor=request.actor, q=q, limit=PATIENT_PICKER_LIMIT)
    return render_page(request, "scheduling/partials/patient_picker.html", {"patients": found, "q": q})


# Today ---------------------------------------------------------------------------------


def _today_context(request: HttpRequest, wanted_location) -> dict:
    actor = request.actor
    locations = _locations(actor)
    location = _location(actor, wanted_location, locations)
    context: dict = {"location": location, "locations": locations, "groups": [], "total": 0}
    if location is None:
        return context
    zone = ZoneInfo(location.timezone)
    today = timezone.now().astimezone(zone).date()
    start = datetime.combine(today, time(), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=zone)
    rows = list(
        selectors.calendar(actor, start=start, end=end, location_id=location.pk, include_cancelled=True).filter(
            start_at__gte=start
        )
    )
    can_book = any(actor.can(p) for p in BOOKERS)
    flags = _flags(actor, rows)
    by_status: dict[str, list] = {}
    for appointment in rows:
        allowed = TRANSITIONS.get(appointment.status, frozenset())
        by_status.setdefault(appointment.status, []).append(
            {
                "appointment": appointment,
                "flags": flags.get(str(appointment.pk), []),
                "start": appointment.start_at.astimezone(zone),
                "end": appointment.end_at.astimezone(zone),
                "look": _look(appointment),
                "check_in": can_book and S.ARRIVED in allowed,
                "start_visit": can_book and S.IN_PROGRESS in allowed,
                "complete": can_book and S.COMPLETED in allowed and appointment.status != S.ARRIVED,
            }
        )
    context.update(
        today=today,
        total=len(rows),
        groups=[
            {"key": key, "label": label, "items": [i for s in statuses for i in by_status.get(s, [])]}
            for key, label, statuses in TODAY_GROUPS
        ],
        can_open_patient=actor.can("patients.view"),
    )
    return context


def _today_response(request: HttpRequest, wanted_location, *, status: int = 200) -> HttpResponse:
    return render_page(
        request,
        "scheduling/today.html",
        _today_context(request, wanted_location),
        partial="scheduling/partials/today_list.html",
        status=status,
    )


@requires(*VIEWERS)
def today_view(request: HttpRequest) -> HttpResponse:
    """The front desk's home: today's appointments by status, with check-in; refreshes live."""
    if refused := _only(request, "GET", "HEAD"):
        return refused
    return _today_response(request, request.GET.get("location"))
