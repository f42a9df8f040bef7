"""The clinic's tablet (kiosk): staff choose the patient and the forms, hand the tablet over,
and this browser session is locked to those forms until a staff member unlocks it with their
password.

While locked, the session reaches only the kiosk pages, form links and static files
(`medspa.core.middleware.KioskLockMiddleware`); every staff page sends it back here. The
forms' tokens live in the session only, never in a URL the tablet's history could replay;
the patient sees the same form page as by link, then the next form, then a locked "thank
you" screen. Starting, finishing and unlocking (and each refused password) are audited.
"""

from __future__ import annotations

from datetime import datetime
from functools import wraps
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from medspa.consents import patient_views, selectors, services
from medspa.core import ratelimit
from medspa.core.access import requires
from medspa.core.choices import AuditOutcome
from medspa.core.errors import Conflict, DomainError, InvalidInput, NotFound, TooManyRequests
from medspa.core.http import render_page
from medspa.core.middleware import KIOSK_SESSION_KEY
from medspa.patients import selectors as patient_selectors
from medspa.scheduling import selectors as scheduling_selectors
from medspa.scheduling.choices import AppointmentStatus

SEND = "consents.send"
SEARCH_LIMIT = 8
UNLOCK_ATTEMPTS = 10
UNLOCK_WINDOW_SECONDS = 300
# Appointments of today the forms may be for (not the cancelled or missed ones).
TODAY_STATUSES = frozenset(
    {
        AppointmentStatus.REQUESTED,
        AppointmentStatus.SCHEDULED,
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.ARRIVED,
        AppointmentStatus.IN_PROGRESS,
    }
)


# The lock in the session ---------------------------------------------------------------


def _lock(request: HttpRequest) -> dict | None:
    lock = request.session.get(KIOSK_SESSION_KEY)
    return lock if isinstance(lock, dict) else None


def _keep(request: HttpRequest, lock: dict) -> None:
    request.session[KIOSK_SESSION_KEY] = lock
    request.session.modified = True


def _audit(request: HttpRequest, action: str, lock: dict | None, *, outcome: str = AuditOutcome.SUCCESS, **changes):
    services.kiosk_record(
        actor=request.actor,
        event=action,
        patient_id=(lock or {}).get("patient", ""),
        outcome=outcome,
        changes=changes or None,
    )


def _current(request: HttpRequest, lock: dict):
    """The first queued form still to fill in, as (token, link); forms submitted or lapsed
    meanwhile leave the queue. (None, None) when the queue is done."""
    queue = list(lock.get("queue", []))
    found = (None, None)
    while queue:
        try:
            link = services.link_resolve(queue[0])
        except DomainError:  # lapsed (two hours) or gone
            link = None
        if link is not None and link.submission_id is None:
            found = (queue[0], link)
            break
        if link is not None:
            lock["done"] = lock.get("done", 0) + 1
        queue.pop(0)
    if queue != lock.get("queue"):
        lock["queue"] = queue
        _keep(request, lock)
    return found


def _place(lock: dict, link) -> patient_views.Place:
    total = lock.get("total", 1)
    position = total - len(lock.get("queue", [])) + 1
    return patient_views.Place(
        action=reverse("kiosk_form"),
        save_url=reverse("kiosk_form_save"),
        upload_url=reverse("kiosk_form_upload"),
        kiosk=True,
        progress=f"Form {position} of {total}" if total > 1 else "",
        link_id=str(link.pk),
    )


def kiosk_page(view):
    """A page of the locked tablet: refusals answer as the patient's calm page (or JSON for
    its script), nothing is cached."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except DomainError as error:
            response = patient_views.problem(request, error, kiosk=True)
        return patient_views.private(response)

    return wrapper


def _posted_form(request: HttpRequest):
    """The token of the form the page posted for: the queue's current one, unless the queue
    moved on since the page was drawn (409 then, so answers never land in another form)."""
    lock = _lock(request)
    if lock is None:
        raise Conflict("Nothing is being filled in on this device.", code="kiosk_idle")
    token, link = _current(request, lock)
    if token is None or str(link.pk) != str(request.POST.get("kiosk_link") or ""):
        raise Conflict("This form was already sent. Please continue with the next one.", code="kiosk_moved")
    patient_views.limit_writes(token)
    return lock, token, link


# Staff: choose the patient and the forms -----------------------------------------------


def _today_appointments(actor, patient) -> list:
    """The patient's appointments today (in each location's zone) that are still to happen
    or under way."""
    booked = scheduling_selectors.patient_appointments(actor, patient.pk, limit=10)
    rows = []
    for entry in [*booked.upcoming, *booked.past]:
        appointment = entry.appointment
        today = timezone.now().astimezone(ZoneInfo(appointment.location.timezone)).date()
        if entry.local_start.date() == today and appointment.status in TODAY_STATUSES:
            rows.append(entry)
    return sorted(rows, key=lambda e: e.local_start)


def _choices(actor, patient, *, chosen: list[str] | None = None, appointment_id: str | None = None) -> dict:
    """The start form for one patient: today's appointments and the published forms, with
    the forms those appointments still miss ticked (unless the staff member chose)."""
    appointments = _today_appointments(actor, patient)
    standing = selectors.standings_for(clinic_id=actor.clinic.pk, appointments=[e.appointment for e in appointments])
    missing: dict = {}
    for entry in appointments:
        for required in standing[entry.appointment.pk].outstanding:
            missing.setdefault(str(required.form_id), (str(entry.appointment.pk), required.status))
    forms = [f for f in selectors.form_list(actor=actor, include_retired=False) if f.current_version]
    if chosen is None:
        chosen = list(missing)
    if appointment_id is None:
        appointment_id = next(iter(missing.values()), ("",))[0] or (
            str(appointments[0].appointment.pk) if appointments else ""
        )
    return {
        "patient": patient,
        "appointments": appointments,
        "appointment_id": appointment_id,
        "forms": [
            {
                "form": form,
                "checked": str(form.pk) in chosen,
                "status": missing.get(str(form.pk), ("", ""))[1],
            }
            for form in forms
        ],
    }


def _patient(actor, patient_id):
    return patient_selectors.patient_get(actor=actor, patient_id=selectors.as_uuid(patient_id))


@requires(SEND)
@require_safe
def kiosk_view(request: HttpRequest) -> HttpResponse:
    """Hand the tablet to a patient: find them (or arrive with `?patient_id=`), tick the forms
    (today's missing ones are ticked already) and start. A locked tablet goes to its form."""
    if _lock(request) is not None:
        return redirect("kiosk_form")
    context: dict = {"q": ""}
    if request.GET.get("patient_id"):
        context.update(_choices(request.actor, _patient(request.actor, request.GET["patient_id"])))
    return render_page(request, "consents/kiosk/start.html", context)


@requires(SEND)
@require_POST
def kiosk_search_view(request: HttpRequest) -> HttpResponse:
    """Typeahead for the start page: matching profiles. POSTed, so names stay out of URLs."""
    q = (request.POST.get("q") or "").strip()[:100]
    candidates = patient_selectors.patient_search(actor=request.actor, q=q, limit=SEARCH_LIMIT)[0] if q else []
    context = {"q": q, "candidates": candidates, "searched": True}
    return render_page(request, "consents/kiosk/start.html", context, partial="consents/kiosk/_candidates.html")


@requires(SEND)
@require_POST
def kiosk_start_view(request: HttpRequest) -> HttpResponse:
    """Create the patient's tablet links and lock this browser session to them."""
    if _lock(request) is not None:
        return redirect("kiosk_form")
    form_ids = request.POST.getlist("form_ids")
    appointment_id = request.POST.get("appointment_id") or None
    try:
        patient = _patient(request.actor, request.POST.get("patient_id"))
    except NotFound:
        context = {"q": "", "start_error": "Find the patient first."}
        return render_page(request, "consents/kiosk/start.html", context, status=422)
    try:
        sent = services.kiosk_start(
            actor=request.actor, patient_id=patient.pk, form_ids=form_ids, appointment_id=appointment_id
        )
    except InvalidInput as exc:
        context = _choices(request.actor, patient, chosen=form_ids, appointment_id=appointment_id or "")
        errors = patient_views.field_messages(exc.fields)
        context["start_error"] = errors.get("form_ids") or errors.get("appointment_id") or exc.detail
        return render_page(request, "consents/kiosk/start.html", context, status=422)
    lock = {
        "queue": [s.token for s in sent],
        "total": len(sent),
        "done": 0,
        "patient": str(patient.pk),
        "started_at": timezone.now().isoformat(),
    }
    _keep(request, lock)
    return redirect("kiosk_form")


# The patient: the queued forms, then the locked thank-you screen -----------------------


@requires(SEND)
@require_http_methods(["GET", "HEAD", "POST"])
@kiosk_page
def kiosk_form_view(request: HttpRequest) -> HttpResponse:
    """The form the patient fills in now (POST submits it), or when every form is in, the
    locked screen asking to hand the tablet back."""
    lock = _lock(request)
    if lock is None:
        if request.method == "POST":
            return redirect("kiosk")
        return render(request, "consents/kiosk/idle.html")
    if request.method == "POST":
        try:
            lock, token, link = _posted_form(request)
        except Conflict as exc:
            if exc.code != "kiosk_moved":
                raise
            # Sent twice (a double tap, a resent post): the first one counted; carry on.
            return patient_views.submitted_response(request, reverse("kiosk_form"))
        return patient_views.submit(request, token, place=_place(lock, link), done_url=reverse("kiosk_form"))
    token, link = _current(request, lock)
    if token is None:
        return _finished(request, lock)
    link = services.link_open(token)
    return patient_views.render_form(request, link, _place(lock, link))


def _finished(request: HttpRequest, lock: dict) -> HttpResponse:
    if not lock.get("finished"):
        lock["finished"] = timezone.now().isoformat()
        _keep(request, lock)
        _audit(request, "kiosk.finished", lock, forms=lock.get("total", 0), completed=lock.get("done", 0))
    lapsed = lock.get("total", 0) - lock.get("done", 0)
    return render(request, "consents/kiosk/done.html", {"kiosk": True, "lapsed": lapsed})


@requires(SEND)
@require_POST
@kiosk_page
def kiosk_form_save_view(request: HttpRequest) -> HttpResponse:
    token = _posted_form(request)[1]
    return patient_views.save(request, token)


@requires(SEND)
@require_POST
@kiosk_page
def kiosk_form_upload_view(request: HttpRequest) -> HttpResponse:
    token = _posted_form(request)[1]
    return patient_views.upload(request, token)


# Staff: unlock -------------------------------------------------------------------------


@requires(SEND)
@require_http_methods(["GET", "HEAD", "POST"])
def kiosk_unlock_view(request: HttpRequest) -> HttpResponse:
    """Give the tablet back to staff: the signed-in staff member's password ends kiosk mode
    (the forms not filled in stay open until their links lapse). A wrong password keeps it
    locked, says so and is audited; repeated attempts are slowed down."""
    lock = _lock(request)
    context: dict = {"kiosk": True, "locked": lock is not None}
    if request.method != "POST":
        return patient_views.private(render(request, "consents/kiosk/unlock.html", context))
    if lock is None:
        return redirect("kiosk")
    try:
        ratelimit.hit("kiosk.unlock", str(request.user.pk), limit=UNLOCK_ATTEMPTS, seconds=UNLOCK_WINDOW_SECONDS)
    except TooManyRequests as exc:
        context["error"] = exc.detail
        return patient_views.private(render(request, "consents/kiosk/unlock.html", context, status=429))
    password = request.POST.get("password") or ""
    if not password or not request.user.check_password(password):
        _audit(request, "kiosk.unlock_failed", lock, outcome=AuditOutcome.DENIED)
        context["error"] = "That password is not correct. The tablet stays locked."
        return patient_views.private(render(request, "consents/kiosk/unlock.html", context, status=422))
    request.session.pop(KIOSK_SESSION_KEY, None)
    started = lock.get("started_at", "")
    minutes = 0
    if started:
        minutes = int((timezone.now() - datetime.fromisoformat(started)).total_seconds() // 60)
    _audit(
        request,
        "kiosk.unlocked",
        lock,
        forms=lock.get("total", 0),
        completed=lock.get("done", 0),
        pending=len(lock.get("queue", [])),
        minutes=minutes,
    )
    messages.success(request, "The tablet is unlocked.")
    return redirect("kiosk")
