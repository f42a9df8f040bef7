"""Clinical photo routes of the API: upload (to a chart or a patient), metadata with signed
URLs, the patient's list, annotation versions, delete and the annotated PNG export."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest, JsonResponse
from ninja import File, Form, Query, Router, Status, UploadedFile

from medspa.accounts.auth import needs
from medspa.charting.selectors import chart_open_for_photos
from medspa.core.errors import InvalidInput
from medspa.core.http import download_response
from medspa.photos import selectors, services
from medspa.photos.models import ClinicalPhoto, PhotoAnnotation
from medspa.photos.schemas import AnnotationIn, AnnotationOut, PhotoListItem, PhotoOut

router = Router(tags=["photos"])
VIEW = needs("photos.view")
UPLOAD = needs("photos.upload")


UPLOAD_FIELDS = frozenset({"file", "angle", "phase", "note", "taken_at", "confirm_without_consent"})


def _refuse_unknown_fields(request: HttpRequest) -> None:
    """A multipart form may carry only the upload's own fields: ownership (`clinic_id`,
    `patient_id` …) comes from the path and the signed-in actor, never from the form."""
    unknown = (set(request.POST) | set(request.FILES)) - UPLOAD_FIELDS
    if unknown:
        raise InvalidInput(fields=dict.fromkeys(sorted(unknown), "Unknown field."))


def photo_json(request: HttpRequest, photo: ClinicalPhoto) -> dict:
    """A photo's metadata and short-lived URLs (issuing them is audited)."""
    return {
        "id": photo.pk,
        "patient_id": photo.patient_id,
        "appointment_id": photo.appointment_id,
        "chart_id": photo.chart_id,
        "angle": photo.angle,
        "phase": photo.phase,
        "taken_at": photo.taken_at,
        "note": photo.note,
        "consent_override": photo.consent_override,
        "annotation_version": photo.annotation_version,
        "width": photo.file.width,
        "height": photo.file.height,
        "content_type": photo.file.content_type,
        "sha256": photo.file.sha256,
        "urls": selectors.photo_urls(actor=request.auth, photo=photo),
    }


def _created(request: HttpRequest, photo: ClinicalPhoto) -> JsonResponse:
    photo = selectors.photo_get(actor=request.auth, photo_id=photo.pk, audit=False)
    return JsonResponse(photo_json(request, photo), status=201)


def _version_json(annotation: PhotoAnnotation) -> dict:
    return {
        "number": annotation.number,
        "author": getattr(annotation.author, "full_name", "") or "",
        "created_at": annotation.created_at,
    }


@router.get("/photos/{photo_id}", response=PhotoOut, **VIEW)
def photo_detail(request: HttpRequest, photo_id: UUID):
    photo = selectors.photo_get(actor=request.auth, photo_id=photo_id)
    return JsonResponse(photo_json(request, photo))


@router.delete("/photos/{photo_id}", response={204: None}, **needs("photos.delete"))
def photo_delete(request: HttpRequest, photo_id: UUID):
    """Soft-delete a photo; refused (409 `photo_signed`) once a signed chart holds it."""
    services.photo_delete(actor=request.auth, photo_id=photo_id)
    return Status(204, None)


@router.get("/photos/{photo_id}/annotations", response=AnnotationOut, **VIEW)
def annotation_detail(request: HttpRequest, photo_id: UUID, version: int | None = Query(None, ge=1, le=1_000_000)):
    """The latest overlay (or `version`) and the list of saved versions; version 0 (no
    shapes) before the first save."""
    photo = selectors.photo_get(actor=request.auth, photo_id=photo_id)
    annotation = selectors.annotation_get(actor=request.auth, photo_id=photo.pk, version=version)
    versions = selectors.annotation_versions(actor=request.auth, photo_id=photo.pk)
    return JsonResponse(
        {
            "photo_id": photo.pk,
            "version": annotation.number if annotation else 0,
            "shapes": annotation.shapes if annotation else [],
            "annotation_version": photo.annotation_version,
            "versions": [_version_json(v) for v in versions],
        }
    )


@router.post("/photos/{photo_id}/annotations", response={201: AnnotationOut}, **needs("photos.annotate"))
def annotation_create(request: HttpRequest, photo_id: UUID, payload: AnnotationIn):
    """Save the overlay as a new version; 409 `annotation_conflict` when another device
    saved since `base_version`."""
    annotation = services.annotation_save(
        actor=request.auth, photo_id=photo_id, shapes=payload.shapes, base_version=payload.base_version
    )
    versions = selectors.annotation_versions(actor=request.auth, photo_id=photo_id)
    return JsonResponse(
        {
            "photo_id": annotation.photo_id,
            "version": annotation.number,
            "shapes": annotation.shapes,
            "annotation_version": annotation.number,
            "versions": [_version_json(v) for v in versions],
        },
        status=201,
    )


@router.get("/photos/{photo_id}/export", response={200: bytes}, **needs("photos.export"))
def photo_export(request: HttpRequest, photo_id: UUID, version: int | None = Query(None, ge=0, le=1_000_000)):
    """The photo with its overlay drawn on it, as a PNG attachment."""
    data, filename = services.photo_export_png(actor=request.auth, photo_id=photo_id, version=version)
    return download_response(data, content_type="image/png", filename=filename)


@router.post("/charts/{chart_id}/photos", response={201: PhotoOut}, **UPLOAD)
def chart_photo_upload(
    request: HttpRequest,
    chart_id: UUID,
    file: File[UploadedFile],
    angle: Form[str] = "front",
    phase: Form[str] = "before",
    note: Form[str] = "",
    taken_at: Form[datetime | None] = None,
    confirm_without_consent: Form[bool] = False,
):
    """Upload a photo to a Draft chart (for the chart's patient and appointment). Without
    photo consent on file: 409 `photo_consent_missing` unless `confirm_without_consent`."""
    _refuse_unknown_fields(request)
    chart = chart_open_for_photos(actor=request.auth, chart_id=chart_id)
    photo = services.photo_upload(
        actor=request.auth,
        patient_id=chart.patient_id,
        chart_id=chart.pk,
        upload=file,
        angle=angle,
        phase=phase,
        note=note,
        taken_at=taken_at,
        confirm_without_consent=confirm_without_consent,
    )
    return _created(request, photo)


@router.post("/patients/{patient_id}/photos", response={201: PhotoOut}, **UPLOAD)
def patient_photo_upload(
    request: HttpRequest,
    patient_id: UUID,
    file: File[UploadedFile],
    angle: Form[str] = "front",
    phase: Form[str] = "before",
    note: Form[str] = "",
    taken_at: Form[datetime | None] = None,
    confirm_without_consent: Form[bool] = False,
):
    """Upload a photo of a patient outside any chart."""
    _refuse_unknown_fields(request)
    photo = services.photo_upload(
        actor=request.auth,
        patient_id=patient_id,
        upload=file,
        angle=angle,
        phase=phase,
        note=note,
        taken_at=taken_at,
        confirm_without_consent=confirm_without_consent,
    )
    return _created(request, photo)


@router.get("/patients/{patient_id}/photos", response=list[PhotoListItem], **VIEW)
def patient_photo_list(
    request: HttpRequest,
    patient_id: UUID,
    angle: str = Query("", max_length=16),
    phase: str = Query("", max_length=8),
    limit: int = Query(50, ge=1, le=200),
):
    """The patient's photos, newest first, each with a short-lived thumbnail URL."""
    photos = selectors.patient_photos(
        actor=request.auth, patient_id=patient_id, angle=angle or None, phase=phase or None, limit=limit
    )
    thumbs = selectors.thumbnail_urls(actor=request.auth, photos=photos)
    items = [
        {
            "id": p.pk,
            "angle": p.angle,
            "phase": p.phase,
            "taken_at": p.taken_at,
            "chart_id": p.chart_id,
            "annotation_version": p.annotation_version,
            "thumbnail_url": thumbs[p.pk],
        }
        for p in photos
    ]
    return JsonResponse({"items": items, "next": None})
