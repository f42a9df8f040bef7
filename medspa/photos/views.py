"""Clinical photo pages and htmx partials: the profile's Photos tab, the photo page with its
annotation editor, compare, the tablet capture screen and the chart's photo block.

Thin like the API: parse, call a selector or service, render. Permissions are marked per
route with `requires(...)` and enforced again by the services and selectors. Images are
only ever shown through the short-lived signed URLs of `selectors.photo_urls`.
"""

from __future__ import annotations

import json
import uuid
import zoneinfo
from dataclasses import dataclass, field
from itertools import groupby

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from medspa.charting import selectors as chart_selectors
from medspa.core.access import requires
from medspa.core.errors import Conflict, DomainError, InvalidInput, NotFound
from medspa.core.http import download_response, render_page
from medspa.core.views import form_with_errors
from medspa.patients import selectors as patient_selectors
from medspa.photos import selectors, services
from medspa.photos.choices import COLORS, MAX_SHAPES, MAX_TEXT, PhotoPhase, ShapeKind, ViewAngle
from medspa.photos.forms import (
    IMAGE_ACCEPT,
    MAX_FILES,
    PhotoFilterForm,
    PhotoMetadataForm,
    PhotoUploadForm,
    uploads_of,
)
from medspa.photos.overlay import aspect_of, overlay_items

CONSENT_MISSING = "photo_consent_missing"
PHASE_TONES = {
    PhotoPhase.BEFORE: "info",
    PhotoPhase.AFTER: "success",
    PhotoPhase.DURING: "warning",
    PhotoPhase.OTHER: "neutral",
}
# Palette offered by the editor (a few of COLORS, the ones that read well on skin).
EDITOR_COLORS = ("red", "blue", "green", "yellow", "white", "black")
MAX_ANNOTATION_BODY = 2_000_000


def _only(request: HttpRequest, *methods: str) -> HttpResponse | None:
    """405 for other methods, checked after the object loaded (another clinic's is 404
    whatever the method)."""
    return None if request.method in methods else HttpResponseNotAllowed(methods)


def _reraise_access(exc: DomainError) -> None:
    if exc.status in (401, 403, 404):
        raise exc


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", None))


def _toast(response: HttpResponse, level: str, message: str) -> HttpResponse:
    response["HX-Trigger"] = json.dumps({"toast": {"level": level, "message": message}})
    return response


def _zone(actor):
    try:
        return zoneinfo.ZoneInfo(actor.clinic.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, AttributeError):
        return timezone.get_current_timezone()


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@dataclass
class Tile:
    """A photo as a thumbnail: the photo, its signed thumbnail URL and its badge tone."""

    photo: object
    thumb: str
    tone: str


def _tiles(actor, photos) -> list[Tile]:
    photos = list(photos)
    thumbs = selectors.thumbnail_urls(actor=actor, photos=photos)
    return [Tile(photo, thumbs[photo.pk], PHASE_TONES.get(photo.phase, "neutral")) for photo in photos]


def _by_visit(actor, tiles: list[Tile]) -> list[tuple]:
    """Tiles grouped by the local date they were taken (a visit), newest first."""
    zone = _zone(actor)
    return [
        (day, list(group))
        for day, group in groupby(tiles, key=lambda tile: timezone.localtime(tile.photo.taken_at, zone).date())
    ]


# Uploading --------------------------------------------------------------------------------


@dataclass
class UploadOutcome:
    saved: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    needs_consent: bool = False
    consent_message: str = ""


def _upload(request: HttpRequest, form: PhotoUploadForm, *, patient_id, chart_id=None, appointment_id=None):
    """Store each file of the form in turn (one service call each). Stops at the first
    refusal of the whole upload (no consent, signed chart); a bad file is reported by
    name and the others still go in."""
    outcome = UploadOutcome()
    if not form.is_valid():
        return outcome
    data = form.cleaned_data
    for upload in form.uploads:
        try:
            photo = services.photo_upload(
                actor=request.actor,
                patient_id=patient_id,
                upload=upload,
                angle=data["angle"],
                phase=data["phase"],
                note=data.get("note") or "",
                chart_id=chart_id,
                appointment_id=appointment_id,
                confirm_without_consent=bool(data.get("confirm_without_consent")),
            )
        except Conflict as exc:
            if exc.code == CONSENT_MISSING:
                outcome.needs_consent = True
                outcome.consent_message = exc.detail
            else:
                outcome.errors.append(exc.detail)
            break
        except InvalidInput as exc:
            name = getattr(upload, "name", "") or "Photo"
            fields = exc.fields or {}
            message = fields.get("file") or next(iter(fields.values()), None) or exc.detail
            if set(fields) - {"file"}:
                form_with_errors(
                    form, InvalidInput(exc.detail, fields={k: v for k, v in fields.items() if k != "file"})
                )
                break
            outcome.errors.append(f"{name}: {message}")
        except DomainError as exc:
            _reraise_access(exc)
            outcome.errors.append(exc.detail)
            break
        else:
            outcome.saved.append(photo)
    return outcome


def _upload_status(form, outcome: UploadOutcome) -> int:
    if outcome.needs_consent:
        return 409
    if form.errors or (outcome.errors and not outcome.saved):
        return 422
    return 200


def _saved_message(outcome: UploadOutcome) -> str:
    count = len(outcome.saved)
    return f"{count} photo{'s' if count != 1 else ''} uploaded."


def _upload_form_context(form, outcome: UploadOutcome | None, *, form_id: str, action: str, capture_url: str) -> dict:
    return {
        "upload_form": form,
        "upload_outcome": outcome,
        "form_id": form_id,
        "upload_action": action,
        "capture_url": capture_url,
        "image_accept": IMAGE_ACCEPT,
        "max_files": MAX_FILES,
    }


def _consent_response(request, form, outcome, *, form_id: str) -> HttpResponse:
    """Ask for the explicit confirmation: with htmx only the form's consent slot is swapped,
    so the chosen files stay chosen and "Upload anyway" resubmits them."""
    context = {"form_id": form_id, "consent_message": outcome.consent_message}
    response = render_page(request, "photos/partials/_consent_confirm.html", context, status=409)
    response["HX-Retarget"] = f"#{form_id}-consent"
    response["HX-Reswap"] = "innerHTML"
    return response


def _fallback_upload_page(
    request, form, outcome, *, patient, action: str, back_url: str, chart_id=None
) -> HttpResponse:
    """Without htmx: the upload form on a page of its own (errors or the consent step; the
    files have to be chosen again)."""
    capture_url = _capture_url(patient.pk, chart_id=chart_id)
    context = {"patient": patient, "back_url": back_url} | _upload_form_context(
        form, outcome, form_id="photo-upload", action=action, capture_url=capture_url
    )
    return render_page(request, "photos/upload.html", context, status=_upload_status(form, outcome))


def _capture_url(patient_id, *, chart_id=None, angle: str = "") -> str:
    url = reverse("photos:photo_capture", kwargs={"patient_id": patient_id})
    query = [f"angle={angle}"] if angle else []
    if chart_id:
        query.append(f"chart={chart_id}")
    return url + ("?" + "&".join(query) if query else "")


# The profile's Photos tab -----------------------------------------------------------------


def can_see_photos(actor) -> bool:
    return actor is not None and actor.can(selectors.VIEW)


def _tab_context(request: HttpRequest, patient, *, form=None, outcome=None) -> dict:
    actor = request.actor
    filters = PhotoFilterForm(request.GET or None)
    values = filters.values()
    photos = selectors.patient_photos(actor=actor, patient_id=patient.pk, **values)
    can_upload = actor.can("photos.upload")
    context = {
        "patient": patient,
        "filter_form": filters,
        "filtered": any(values.values()),
        "visits": _by_visit(actor, _tiles(actor, photos)),
        "photo_count": len(photos),
        "can_upload": can_upload,
        "tab_url": reverse("patient_photos", kwargs={"patient_id": patient.pk}),
        "compare_url": reverse("photos:photo_compare"),
        "upload_target": "#photos-tab",
    }
    if can_upload:
        context |= _upload_form_context(
            form or PhotoUploadForm(),
            outcome,
            form_id="patient-photo-upload",
            action=reverse("photos:patient_photo_upload", kwargs={"patient_id": patient.pk}),
            capture_url=_capture_url(patient.pk),
        )
    return context


def photos_tab(request: HttpRequest, patient) -> str:
    """The tab's HTML (registered with patients.tabs). Roles without `photos.view` do not
    see the tab in the bar; opened directly it says so rather than showing anything."""
    if not can_see_photos(request.actor):
        return render_to_string("components/tab_no_access.html", {"what": "Clinical photos"}, request=request)
    return render_to_string("photos/partials/patient_tab.html", _tab_context(request, patient), request=request)


@requires("photos.upload")
def patient_photo_upload_view(request: HttpRequest, patient_id) -> HttpResponse:
    """POST photos of a patient (several files, one angle and phase); answers with the
    refreshed tab content (htmx), or the consent step, or the errors inline."""
    patient = patient_selectors.patient_get(actor=request.actor, patient_id=patient_id)
    if refused := _only(request, "POST"):
        return refused
    form = PhotoUploadForm(request.POST, files_in=uploads_of(request))
    outcome = _upload(request, form, patient_id=patient.pk)
    action = reverse("photos:patient_photo_upload", kwargs={"patient_id": patient.pk})
    tab_url = reverse("patient_photos", kwargs={"patient_id": patient.pk})
    if not _htmx(request):
        if outcome.saved and not outcome.errors:
            messages.success(request, _saved_message(outcome))
            return redirect(tab_url)
        if outcome.saved:
            messages.success(request, _saved_message(outcome))
        return _fallback_upload_page(request, form, outcome, patient=patient, action=action, back_url=tab_url)
    if outcome.needs_consent:
        return _consent_response(request, form, outcome, form_id="patient-photo-upload")
    # Start from a clean form after a save; keep the picked angle and phase.
    fresh = form if form.errors else PhotoUploadForm(initial=_sticky(form))
    context = _tab_context(request, patient, form=fresh, outcome=outcome)
    response = render_page(request, "photos/partials/patient_tab.html", context, status=_upload_status(form, outcome))
    return _toast(response, "success", _saved_message(outcome)) if outcome.saved else response


def _sticky(form: PhotoUploadForm) -> dict:
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    return {"angle": data.get("angle", ViewAngle.FRONT), "phase": data.get("phase", PhotoPhase.BEFORE)}


# The photo page ---------------------------------------------------------------------------


def _version_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("version")
    if raw in (None, ""):
        return None
    try:
        number = int(raw)
    except ValueError:
        raise NotFound("This annotation version does not exist.") from None
    if number < 0:
        raise NotFound("This annotation version does not exist.")
    return number


def _chart_locked(photo) -> bool:
    """True when a chart that has left Draft holds the photo (no more changes)."""
    return bool(photo.chart_id) and photo.chart.status != services.DRAFT


@requires("photos.view")
def photo_detail_view(request: HttpRequest, photo_id) -> HttpResponse:
    """The photo with its overlay (latest, or `?version=N`), metadata, versions, export and
    delete, and for annotators the editor (frontend/photos.js)."""
    actor = request.actor
    photo = selectors.photo_get(actor=actor, photo_id=photo_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    version = _version_param(request)
    latest = photo.annotation_version
    if version is not None and version > latest:
        raise NotFound("This annotation version does not exist.")
    shown = latest if version is None else version
    annotation = selectors.annotation_get(actor=actor, photo_id=photo.pk, version=shown) if shown else None
    shapes = annotation.shapes if annotation else []
    urls = selectors.photo_urls(actor=actor, photo=photo)
    locked = _chart_locked(photo)
    is_latest = shown == latest
    can_annotate = actor.can("photos.annotate") and not locked and is_latest
    aspect = aspect_of(photo)
    context = {
        "photo": photo,
        "patient": patient_selectors.patient_get(actor=actor, patient_id=photo.patient_id),
        "urls": urls,
        "aspect": aspect,
        "overlay": overlay_items(shapes, aspect=aspect),
        "shown_version": shown,
        "latest_version": latest,
        "is_latest": is_latest,
        "annotation": annotation,
        "versions": selectors.annotation_versions(actor=actor, photo_id=photo.pk),
        "locked": locked,
        "can_annotate": can_annotate,
        "can_export": actor.can("photos.export"),
        "can_delete": actor.can("photos.delete") and not locked,
        "can_edit": actor.can("photos.upload") and not locked,
        "tone": PHASE_TONES.get(photo.phase, "neutral"),
        "metadata_form": PhotoMetadataForm(initial={"angle": photo.angle, "phase": photo.phase, "note": photo.note}),
        "compare_url": reverse("photos:photo_compare") + f"?a={photo.pk}",
        "tab_url": reverse("patient_photos", kwargs={"patient_id": photo.patient_id}),
    }
    if can_annotate:
        context["editor"] = {
            "saveUrl": reverse("photos:photo_annotation_save", kwargs={"photo_id": photo.pk}),
            "version": latest,
            "shapes": shapes,
            "aspect": aspect,
            "colors": {name: COLORS[name] for name in EDITOR_COLORS},
            "maxShapes": MAX_SHAPES,
            "maxText": MAX_TEXT,
            "kinds": list(ShapeKind.values),
        }
    return render_page(request, "photos/detail.html", context)


@requires("photos.annotate")
def photo_annotation_save_view(request: HttpRequest, photo_id) -> JsonResponse | HttpResponse:
    """POST JSON `{"shapes": [...], "base_version": n}`: save a new overlay version.
    Answers JSON: 201 `{"version": n}`, 409 when another device saved first, 422 with the
    refused shapes."""
    photo = selectors.photo_get(actor=request.actor, photo_id=photo_id, audit=False)
    if refused := _only(request, "POST"):
        return refused
    if len(request.body) > MAX_ANNOTATION_BODY:
        return JsonResponse({"detail": "The overlay is too large.", "code": "too_large", "fields": {}}, status=413)
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return JsonResponse({"detail": "Send the overlay as JSON.", "code": "invalid", "fields": {}}, status=400)
    try:
        annotation = services.annotation_save(
            actor=request.actor, photo_id=photo.pk, shapes=body.get("shapes"), base_version=body.get("base_version")
        )
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        return JsonResponse({"detail": exc.detail, "code": exc.code, "fields": exc.fields}, status=exc.status)
    return JsonResponse({"version": annotation.number, "shapes": len(annotation.shapes)}, status=201)


@requires("photos.export")
def photo_export_view(request: HttpRequest, photo_id) -> HttpResponse:
    """GET: the photo with its overlay drawn on it (latest, or `?version=N`), as a PNG download."""
    photo = selectors.photo_get(actor=request.actor, photo_id=photo_id, audit=False)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    data, filename = services.photo_export_png(actor=request.actor, photo_id=photo.pk, version=_version_param(request))
    return download_response(data, content_type="image/png", filename=filename)


@requires("photos.delete")
def photo_delete_view(request: HttpRequest, photo_id) -> HttpResponse:
    """POST: soft-delete the photo (kept for the record); back to the patient's Photos tab."""
    photo = selectors.photo_get(actor=request.actor, photo_id=photo_id, audit=False)
    if refused := _only(request, "POST"):
        return refused
    try:
        services.photo_delete(actor=request.actor, photo_id=photo.pk)
    except DomainError as exc:
        _reraise_access(exc)
        messages.error(request, exc.detail)
        return redirect("photos:photo_detail", photo_id=photo.pk)
    messages.success(request, "Photo deleted.")
    return redirect("patient_photos", patient_id=photo.patient_id)


@requires("photos.upload")
def photo_update_view(request: HttpRequest, photo_id) -> HttpResponse:
    """POST: correct the photo's angle, phase or note."""
    photo = selectors.photo_get(actor=request.actor, photo_id=photo_id, audit=False)
    if refused := _only(request, "POST"):
        return refused
    form = PhotoMetadataForm(request.POST)
    if form.is_valid():
        try:
            services.photo_update(actor=request.actor, photo_id=photo.pk, **form.cleaned_data)
        except DomainError as exc:
            _reraise_access(exc)
            messages.error(request, exc.detail if not exc.fields else " ".join(exc.fields.values()))
        else:
            messages.success(request, "Photo details saved.")
    else:
        messages.error(request, "Check the angle, phase and note and try again.")
    return redirect("photos:photo_detail", photo_id=photo.pk)


# Compare ----------------------------------------------------------------------------------


def _compare_ids(request: HttpRequest) -> list[str]:
    ids = [value for value in (request.GET.get("a"), request.GET.get("b")) if value]
    return ids or request.GET.getlist("p")


def _side(actor, photo) -> dict:
    aspect = aspect_of(photo)
    annotation = selectors.annotation_get(actor=actor, photo_id=photo.pk) if photo.annotation_version else None
    return {
        "photo": photo,
        "url": selectors.photo_urls(actor=actor, photo=photo)["original"],
        "overlay": overlay_items(annotation.shapes if annotation else [], aspect=aspect),
        "aspect": aspect,
        "tone": PHASE_TONES.get(photo.phase, "neutral"),
    }


@requires("photos.view")
def photo_compare_view(request: HttpRequest) -> HttpResponse:
    """Two photos of one patient side by side (`?a=<id>&b=<id>`), with synchronized zoom
    and pan; photos of the same angle as A are offered for B. Photos of two different
    patients, or of another clinic, are 404."""
    if refused := _only(request, "GET", "HEAD"):
        return refused
    actor = request.actor
    ids = _compare_ids(request)
    if len(ids) > 2:
        context = {"problem": "Choose exactly two photos to compare."}
        return render_page(request, "photos/compare.html", context, status=422)
    photos = [selectors.photo_get(actor=actor, photo_id=value) for value in ids]
    if len(photos) == 2 and photos[0].patient_id != photos[1].patient_id:
        raise NotFound("These photos are not of the same patient.")
    if len(photos) == 2 and photos[0].pk == photos[1].pk:
        photos = photos[:1]
    context: dict = {"photos": photos, "sides": [_side(actor, photo) for photo in photos]}
    if photos:
        first = photos[0]
        same_angle = selectors.patient_photos(
            actor=actor, patient_id=first.patient_id, angle=first.angle, limit=24, audit=False
        )
        chosen = {photo.pk for photo in photos}
        context |= {
            "patient": patient_selectors.patient_get(actor=actor, patient_id=first.patient_id),
            "first": first,
            "suggestions": _tiles(actor, [p for p in same_angle if p.pk not in chosen]),
            "tab_url": reverse("patient_photos", kwargs={"patient_id": first.patient_id}),
        }
    return render_page(request, "photos/compare.html", context)


# Capture (tablets) ------------------------------------------------------------------------


@requires("photos.upload")
def photo_capture_view(request: HttpRequest, patient_id) -> HttpResponse:
    """GET: the camera screen for an angle, with the previous photo of that angle as a ghost
    to line the face up. POST: upload the shot (the same service as every upload); answers
    JSON to the camera script, or a page without JavaScript."""
    actor = request.actor
    patient = patient_selectors.patient_get(actor=actor, patient_id=patient_id)
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    source = request.POST if request.method == "POST" else request.GET
    angle = source.get("angle") if source.get("angle") in ViewAngle.values else ViewAngle.FRONT
    chart_id = _as_uuid(source.get("chart"))
    appointment_id = _as_uuid(source.get("appointment"))
    wants_json = "application/json" in request.headers.get("Accept", "")
    action = reverse("photos:photo_capture", kwargs={"patient_id": patient.pk})
    outcome = None
    form = PhotoUploadForm(initial={"angle": angle, "phase": source.get("phase") or PhotoPhase.BEFORE})
    if request.method == "POST":
        form = PhotoUploadForm(request.POST, files_in=uploads_of(request))
        outcome = _upload(request, form, patient_id=patient.pk, chart_id=chart_id, appointment_id=appointment_id)
        status = _upload_status(form, outcome)
        if wants_json:
            errors = outcome.errors + [str(e) for errors in form.errors.values() for e in errors]
            body = {
                "saved": [
                    {"id": str(p.pk), "url": reverse("photos:photo_detail", kwargs={"photo_id": p.pk})}
                    for p in outcome.saved
                ],
                "needs_consent": outcome.needs_consent,
                "detail": outcome.consent_message or " ".join(errors),
            }
            return JsonResponse(body, status=201 if status == 200 else status)
        if outcome.saved and status == 200:
            messages.success(request, _saved_message(outcome))
            return redirect(_capture_url(patient.pk, chart_id=chart_id, angle=angle))
    previous = selectors.previous_photo(actor=actor, patient_id=patient.pk, angle=angle)
    ghost = selectors.photo_urls(actor=actor, photo=previous)["original"] if previous else ""
    angles = [
        (value, label, _capture_url(patient.pk, chart_id=chart_id, angle=value) + _appointment_q(appointment_id))
        for value, label in ViewAngle.choices
    ]
    context = {
        "patient": patient,
        "angle": angle,
        "angle_label": ViewAngle(angle).label,
        "angles": angles,
        "previous": previous,
        "ghost_url": ghost,
        "chart_id": chart_id or "",
        "appointment_id": appointment_id or "",
        "capture_action": action,
        "form": form,
        "outcome": outcome,
        "phases": PhotoPhase.choices,
        "phase": form["phase"].value() or PhotoPhase.BEFORE,
        "image_accept": IMAGE_ACCEPT,
        "tab_url": reverse("patient_photos", kwargs={"patient_id": patient.pk}),
    }
    status = _upload_status(form, outcome) if outcome else 200
    return render_page(request, "photos/capture.html", context, status=status)


def _appointment_q(appointment_id) -> str:
    return f"&appointment={appointment_id}" if appointment_id else ""


# The chart's photo block ------------------------------------------------------------------

CHART_FORM_ID = "chart-photo-upload"


def _chart(request: HttpRequest, chart_id):
    """The chart (404 outside the clinic); its read is audited by the chart page itself."""
    return chart_selectors.chart_get(actor=request.actor, chart_id=chart_id, audit="")


def _chart_context(request: HttpRequest, chart, *, form=None, outcome=None) -> dict:
    actor = request.actor
    photos = selectors.chart_photos(actor=actor, chart_id=chart.pk)
    open_chart = chart.status == services.DRAFT
    can_upload = actor.can("photos.upload") and open_chart
    context = {
        "chart": chart,
        "tiles": _tiles(actor, photos),
        "open_chart": open_chart,
        "can_upload": can_upload,
        "partial_url": reverse("photos:chart_photos", kwargs={"chart_id": chart.pk}),
        "upload_target": f"#chart-photos-{chart.pk}",
    }
    if can_upload:
        context |= _upload_form_context(
            form or PhotoUploadForm(),
            outcome,
            form_id=CHART_FORM_ID,
            action=reverse("photos:chart_photo_upload", kwargs={"chart_id": chart.pk}),
            capture_url=_capture_url(chart.patient_id, chart_id=chart.pk) + _appointment_q(chart.appointment_id),
        )
    return context


@requires("photos.view")
def chart_photos_view(request: HttpRequest, chart_id) -> HttpResponse:
    """GET: the chart's photo block (a self-contained partial the chart page loads with
    `hx-get`; also its own small page without htmx)."""
    chart = _chart(request, chart_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    context = _chart_context(request, chart)
    return render_page(request, "photos/chart_photos_page.html", context, partial="photos/partials/chart_photos.html")


@requires("photos.upload")
def chart_photo_upload_view(request: HttpRequest, chart_id) -> HttpResponse:
    """POST photos to a Draft chart (of its patient and appointment); answers with the
    refreshed block (htmx), the consent step, or the errors inline."""
    chart = _chart(request, chart_id)
    if refused := _only(request, "POST"):
        return refused
    form = PhotoUploadForm(request.POST, files_in=uploads_of(request))
    outcome = _upload(request, form, patient_id=chart.patient_id, chart_id=chart.pk)
    if not _htmx(request):
        back = reverse("photos:chart_photos", kwargs={"chart_id": chart.pk})
        if outcome.saved:
            messages.success(request, _saved_message(outcome))
            if not outcome.errors:
                return redirect(back)
        action = reverse("photos:chart_photo_upload", kwargs={"chart_id": chart.pk})
        return _fallback_upload_page(
            request, form, outcome, patient=chart.patient, action=action, back_url=back, chart_id=chart.pk
        )
    if outcome.needs_consent:
        return _consent_response(request, form, outcome, form_id=CHART_FORM_ID)
    fresh = form if form.errors else PhotoUploadForm(initial=_sticky(form))
    context = _chart_context(request, chart, form=fresh, outcome=outcome)
    response = render_page(request, "photos/partials/chart_photos.html", context, status=_upload_status(form, outcome))
    return _toast(response, "success", _saved_message(outcome)) if outcome.saved else response
