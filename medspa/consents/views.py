"""Staff pages of forms and consents: the dashboard of what upcoming visits still need, the
submission viewer (exactly what the patient saw and signed; an audited read), its PDF,
recording a revocation, applying the profile updates a submission offers, and sending forms
(from the dashboard and from the profile's Consents tab).

Thin callers of consents.services / consents.selectors; refusals come back inline (422) or
as a toast, and another clinic's record is a 404 before anything else is looked at.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from medspa.catalog import selectors as catalog_selectors
from medspa.consents import profile, selectors, services
from medspa.consents.choices import FieldType, FormStatus, ProfileReview, ProfileTarget, SignatureMethod
from medspa.consents.export import signature_labels, submission_pdf, submission_zone
from medspa.consents.forms import MAX_WINDOW_DAYS, DashboardFilterForm, ProfileReviewForm, RevokeForm
from medspa.core.access import requires
from medspa.core.errors import DomainError
from medspa.core.http import download_response, render_page
from medspa.core.views import form_with_errors
from medspa.patients import selectors as patient_selectors
from medspa.scheduling import selectors as scheduling_selectors

VIEW = "consents.view"
SEND = "consents.send"
WINDOW_DAYS = 7
EXPIRING_DAYS = 30
PAGE_SIZE = 50
PENDING_SHOWN = 10
STATUS_TONES = {
    FormStatus.MISSING: "danger",
    FormStatus.EXPIRED: "warning",
    FormStatus.OUTDATED: "warning",
    FormStatus.REVOKED: "danger",
    FormStatus.COMPLETE: "success",
}


def _only(request: HttpRequest, *methods: str) -> HttpResponse | None:
    return None if request.method in methods else HttpResponseNotAllowed(methods)


def _reraise_access(exc: DomainError) -> None:
    if exc.status in (401, 403, 404):
        raise exc


def _toast(response: HttpResponse, level: str, message: str) -> HttpResponse:
    response["HX-Trigger"] = json.dumps({"toast": {"level": level, "message": message}})
    return response


def _htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def _zone(actor) -> ZoneInfo:
    return ZoneInfo(actor.clinic.timezone or "UTC")


def _tab_url(patient_id) -> str:
    return reverse("patient_consents", kwargs={"patient_id": patient_id})


# Dashboard ------------------------------------------------------------------------------


def _filter_choices(actor) -> tuple[list, list, bool]:
    """Providers and locations to filter by, and whether the provider filter applies (a
    provider limited to their own calendar only ever sees theirs)."""
    own = scheduling_selectors.own_only(actor)
    providers = [(str(u.pk), u.full_name) for u in catalog_selectors.provider_candidates(actor=actor)]
    locations = [(str(loc.pk), loc.name) for loc in catalog_selectors.locations_for(actor=actor).filter(is_active=True)]
    return providers, locations, own is None


def _dashboard_rows(found, zone: ZoneInfo) -> list[dict]:
    rows = []
    for item in found:
        appointment = item.appointment
        rows.append(
            {
                "appointment": appointment,
                "start": appointment.start_at.astimezone(zone),
                "forms": [
                    {
                        "required": required,
                        "label": FormStatus(required.status).label,
                        "tone": STATUS_TONES.get(required.status, "neutral"),
                        "link": item.links.get(required.form_id),
                    }
                    for required in item.standing.outstanding
                ],
                "has_email": bool(appointment.patient.email),
            }
        )
    return rows


def _window(day_from, day_to, today) -> tuple:
    """The days the dashboard lists: as chosen; from one day, a week; up to one day, from
    today (at most MAX_WINDOW_DAYS)."""
    if day_from and day_to:
        return day_from, day_to
    if day_from:
        return day_from, day_from + timedelta(days=WINDOW_DAYS - 1)
    if day_to:
        return max(min(today, day_to), day_to - timedelta(days=MAX_WINDOW_DAYS - 1)), day_to
    return today, today + timedelta(days=WINDOW_DAYS - 1)


@requires(VIEW)
def consents_dashboard_view(request: HttpRequest) -> HttpResponse:
    """GET: upcoming appointments (the next 7 days by default) whose required forms are not
    complete, consents expiring in the next 30 days, and submissions awaiting profile review."""
    if refused := _only(request, "GET", "HEAD"):
        return refused
    actor = request.actor
    zone = _zone(actor)
    now = timezone.now()
    today = now.astimezone(zone).date()
    providers, locations, by_provider = _filter_choices(actor)
    form = DashboardFilterForm(request.GET or None, providers=providers, locations=locations)
    day_from, day_to, provider_id, location_id = today, today + timedelta(days=WINDOW_DAYS - 1), None, None
    filtered = False
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        day_from, day_to = _window(data["day_from"], data["day_to"], today)
        provider_id = (data["provider"] or None) if by_provider else None
        location_id = data["location"] or None
        filtered = any(data.get(k) for k in ("day_from", "day_to", "provider", "location"))
    start = datetime.combine(day_from, time.min, tzinfo=zone)
    end = datetime.combine(day_to + timedelta(days=1), time.min, tzinfo=zone)
    found = selectors.appointments_outstanding(
        actor=actor, start=start, end=end, provider_id=provider_id, location_id=location_id
    )
    page = Paginator(_dashboard_rows(found, zone), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    expiring = []
    for submission in selectors.expiring_submissions(actor=actor, start=now, end=now + timedelta(days=EXPIRING_DAYS)):
        expiring.append({"submission": submission, "expires": submission.expires_at.astimezone(zone)})
    pending = selectors.profile_reviews_pending(actor=actor)
    context = {
        "form": form,
        "by_provider": by_provider,
        "page": page,
        "query": query.urlencode(),
        "filtered": filtered,
        "day_from": day_from,
        "day_to": day_to,
        "expiring": expiring,
        "expiring_days": EXPIRING_DAYS,
        "pending_count": pending.count(),
        "pending": list(pending[:PENDING_SHOWN]),
        "can_send": actor.can(SEND),
        "here": request.get_full_path(),
        "zone": str(zone),
    }
    return render_page(request, "consents/dashboard.html", context, partial="consents/partials/dashboard_rows.html")


def _back(request: HttpRequest) -> str:
    """Where a dashboard action returns: the page it was sent from (this site's consents pages only)."""
    target = request.POST.get("next") or ""
    if target.startswith("/consents/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return reverse("consents_dashboard")


@requires(SEND)
def appointment_forms_send_view(request: HttpRequest, appointment_id) -> HttpResponse:
    """POST: email the patient the appointment's outstanding forms (one with `form_id`, else
    every one that is missing, expired, outdated or revoked), one link per form."""
    actor = request.actor
    appointment = scheduling_selectors.appointment_get(actor, appointment_id)  # another clinic's: 404 first
    if refused := _only(request, "POST"):
        return refused
    standing = selectors.standings_for(clinic_id=actor.clinic.pk, appointments=[appointment])[appointment.pk]
    wanted = (request.POST.get("form_id") or "").strip()
    outstanding = [r for r in standing.outstanding if not wanted or str(r.form_id) == wanted]
    if not outstanding:
        messages.info(request, "Nothing to send: the forms this visit needs are complete.")
        return redirect(_back(request))
    sent = []
    for required in outstanding:
        try:
            services.form_send(
                actor=actor,
                form_id=required.form_id,
                patient_id=appointment.patient_id,
                appointment_id=appointment.pk,
                channel="email",
            )
        except DomainError as exc:
            _reraise_access(exc)
            problem = next(iter(exc.fields.values()), exc.detail) if exc.fields else exc.detail
            messages.error(request, f"{required.name} was not sent: {problem}")
            break
        sent.append(required.name)
    if sent:
        messages.success(request, f"Emailed {', '.join(sent)} to {appointment.patient.display_name}.")
    return redirect(_back(request))


# Submission viewer -----------------------------------------------------------------------


def _items(document: dict, images: dict) -> list[dict]:
    """The stored document's sections, each signature question with its drawn image URL."""
    sections = []
    for section in document.get("sections", []):
        items = [
            {**item, "image_url": images.get(item.get("key"), "")} if item.get("type") == FieldType.SIGNATURE else item
            for item in section.get("items", [])
        ]
        sections.append({**section, "items": items})
    return sections


def _marks(submission, images: dict, zone: ZoneInfo) -> list[dict]:
    labels = signature_labels(submission.document)
    marks = []
    for mark in submission.signatures:
        try:
            signed_at = datetime.fromisoformat(mark.get("signed_at", ""))
        except (TypeError, ValueError):
            signed_at = None
        method = mark.get("method")
        marks.append(
            {
                "label": labels.get(mark.get("field"), mark.get("field", "")),
                "method": SignatureMethod(method).label if method in SignatureMethod.values else "",
                "typed": method == SignatureMethod.TYPED,
                "name": mark.get("name", ""),
                "signed_at": signed_at.astimezone(zone) if signed_at else None,
                "image_url": images.get(mark.get("field"), ""),
                "image_sha256": mark.get("image_sha256", ""),
            }
        )
    return marks


def _offered(submission) -> list[dict]:
    patient = submission.patient
    current = {ProfileTarget.SKIN_TYPE: patient.get_skin_type_display() if patient.skin_type else ""}
    return [
        {
            "target": value,
            "label": label,
            "value": submission.profile_updates[value],
            "current": current.get(value, ""),
        }
        for value, label in ProfileTarget.choices
        if submission.profile_updates.get(value)
    ]


def _detail_context(request: HttpRequest, submission, **forms) -> dict:
    actor = request.actor
    zone = submission_zone(submission, actor.clinic)
    revocation = selectors.submission_revocation(submission=submission)
    state = selectors.submission_state(submission, revoked=revocation is not None)
    label, tone = profile.state_badge(state)
    images = selectors.submission_signature_urls(actor=actor, submission=submission)
    review = submission.profile_review == ProfileReview.PENDING and profile.can_review(actor)
    return {
        "submission": submission,
        "patient": submission.patient,
        "document": submission.document,
        "sections": _items(submission.document, images),
        "computed": submission.document.get("computed") or [],
        "marks": _marks(submission, images, zone),
        "state": state,
        "state_label": label,
        "state_tone": tone,
        "revocation": revocation,
        "zone": str(zone),
        "submitted_at": submission.submitted_at.astimezone(zone),
        "tab_url": _tab_url(submission.patient_id),
        "can_revoke": revocation is None and actor.can(SEND),
        "revoke_form": forms.get("revoke_form") or RevokeForm(),
        "revoke_open": "revoke_form" in forms,
        "review": review,
        "offered": _offered(submission) if review else [],
        "review_form": forms.get("review_form"),
        "review_status": submission.get_profile_review_display() if submission.profile_review else "",
    }


def _render_detail(request: HttpRequest, submission, *, status: int = 200, **forms) -> HttpResponse:
    return render(request, "consents/submission.html", _detail_context(request, submission, **forms), status=status)


def _fresh(request: HttpRequest, submission_id):
    return selectors.submission_get(actor=request.actor, submission_id=submission_id, audit="")


@requires(VIEW)
def submission_detail_view(request: HttpRequest, submission_id) -> HttpResponse:
    """GET: the submission exactly as the patient saw and signed it (audited read)."""
    if request.method not in ("GET", "HEAD"):
        _fresh(request, submission_id)  # another clinic's: 404 before 405
        return HttpResponseNotAllowed(["GET", "HEAD"])
    submission = selectors.submission_get(actor=request.actor, submission_id=submission_id, via="page")
    return _render_detail(request, submission)


@requires(VIEW)
def submission_pdf_view(request: HttpRequest, submission_id) -> HttpResponse:
    """GET: the submission as a PDF download (audited, via pdf)."""
    if request.method not in ("GET", "HEAD"):
        _fresh(request, submission_id)
        return HttpResponseNotAllowed(["GET", "HEAD"])
    data, filename = submission_pdf(actor=request.actor, submission_id=submission_id)
    return download_response(data, content_type="application/pdf", filename=filename)


@requires(SEND)
def submission_revoke_view(request: HttpRequest, submission_id) -> HttpResponse:
    """POST: record that the patient withdrew this consent, with the reason (422 inline without one)."""
    submission = _fresh(request, submission_id)
    if refused := _only(request, "POST"):
        return refused
    if selectors.submission_revocation(submission=submission) is not None:
        messages.info(request, "This consent was already revoked.")
        return redirect("consents_submission", submission_id=submission.pk)
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.submission_revoke(
                actor=request.actor, submission_id=submission.pk, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            _reraise_access(exc)
            form_with_errors(form, exc)
        else:
            messages.success(request, "Revocation recorded. The consent no longer counts.")
            return redirect("consents_submission", submission_id=submission.pk)
    return _render_detail(request, submission, status=422, revoke_form=form)


@requires("patients.view_clinical")
def submission_profile_review_view(request: HttpRequest, submission_id) -> HttpResponse:
    """POST: apply the ticked profile updates the submission offers and dismiss the rest (or
    dismiss them all). Applying needs patients.edit too (the service refuses otherwise)."""
    submission = _fresh(request, submission_id)
    if refused := _only(request, "POST"):
        return refused
    form = ProfileReviewForm(request.POST, offered=submission.profile_updates)
    if form.is_valid():
        try:
            services.submission_profile_review(actor=request.actor, submission_id=submission.pk, apply=form.targets())
        except DomainError as exc:
            _reraise_access(exc)
            if exc.status == 409:
                messages.error(request, exc.detail)
                return redirect("consents_submission", submission_id=submission.pk)
            form_with_errors(form, exc)
        else:
            applied = [label for value, label in ProfileTarget.choices if value in form.targets()]
            messages.success(
                request, f"Profile updated: {', '.join(applied)}." if applied else "The offered updates were dismissed."
            )
            return redirect("consents_submission", submission_id=submission.pk)
    return _render_detail(request, submission, status=422, review_form=form)


# Sending from the profile ----------------------------------------------------------------


def _tab_response(request: HttpRequest, patient, *, status: int = 200, **extra) -> HttpResponse:
    context = profile.tab_context(request, patient, **extra)
    return render_page(
        request, "consents/send.html", context, partial="consents/partials/patient_tab.html", status=status
    )


@requires(SEND)
def patient_form_send_view(request: HttpRequest, patient_id) -> HttpResponse:
    """POST: send one form to the patient by email, or make a link to copy (shown this once:
    only its hash is kept). Answers the tab (htmx) or a page with it; errors inline (422)."""
    actor = request.actor
    patient = patient_selectors.patient_get(actor=actor, patient_id=patient_id)  # another clinic's: 404 first
    if refused := _only(request, "POST"):
        return refused
    form = profile.send_form(actor, patient, request.POST)
    if not form.is_valid():
        return _tab_response(request, patient, status=422, form=form)
    data = form.cleaned_data
    try:
        sent = services.form_send(
            actor=actor, form_id=data["form_id"], patient_id=patient.pk, channel=data["channel"], days=data["days"]
        )
    except DomainError as exc:
        _reraise_access(exc)
        form_with_errors(form, exc)
        return _tab_response(request, patient, status=422, form=form)
    name = sent.link.form.name
    if data["channel"] == "copy":
        created = {"url": settings.SITE_URL + sent.path, "form": name, "expires": sent.link.expires_at}
        return _tab_response(request, patient, created=created)
    message = f"Emailed {name} to {patient.email}."
    if not _htmx(request):
        messages.success(request, message)
        return redirect(_tab_url(patient.pk))
    return _toast(_tab_response(request, patient), "success", message)


@requires(SEND)
def form_link_cancel_view(request: HttpRequest, form_link_id) -> HttpResponse:
    """POST: stop a link the patient has not used yet from working."""
    if refused := _only(request, "POST"):
        return refused
    actor = request.actor
    link = services.link_cancel(actor=actor, link_id=form_link_id)  # another clinic's: 404
    cancelled = link.cancelled_at is not None
    level, message = ("success", "Link cancelled.") if cancelled else ("info", "That link was already used.")
    if not _htmx(request):
        getattr(messages, level)(request, message)
        return redirect(_tab_url(link.patient_id))
    patient = patient_selectors.patient_get(actor=actor, patient_id=link.patient_id)
    return _toast(_tab_response(request, patient), level, message)
