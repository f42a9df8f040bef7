"""Reads of clinical photos and their annotation versions, scoped by clinic and role.

Seeing a photo is a read of health data: `photo_get` and the list selectors write an
audit event, and every image URL they lead to is issued (and audited) by
`medspa.core.files.signed_url`, short-lived and bound to the clinic.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from medspa.charting.selectors import as_uuid
from medspa.core import files
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import InvalidInput, NotFound
from medspa.patients.selectors import patient_record_ids, patients_for
from medspa.patients.timeline import TimelineEntry
from medspa.photos.choices import PhotoPhase, ViewAngle
from medspa.photos.models import ClinicalPhoto, PhotoAnnotation

VIEW = "photos.view"
MAX_LIST = 200


def photos_for(actor: Actor) -> QuerySet[ClinicalPhoto]:
    """Every live photo of the actor's clinic (requires `photos.view`)."""
    actor.require(VIEW)
    return ClinicalPhoto.objects.filter(clinic=actor.clinic)


def photo_get(*, actor: Actor, photo_id, audit: bool = True) -> ClinicalPhoto:
    """One photo of the actor's clinic with its files; the read is audited (`audit=False`
    for an internal read its caller audits). Another clinic's photo, a deleted one and a
    malformed id are all 404."""
    photo = photos_for(actor).select_related("file", "thumbnail").filter(pk=as_uuid(photo_id)).first()
    if photo is None:
        raise NotFound("Photo not found.")
    if audit:
        audit_record(action="photo.viewed", actor=actor, obj=photo, patient_id=str(photo.patient_id))
    return photo


def photo_urls(*, actor: Actor, photo: ClinicalPhoto) -> dict[str, str]:
    """Signed, short-lived URLs of the photo and its thumbnail (each issuance audited).
    `photo` comes from an access-checked selector of this module."""
    actor.require(VIEW)
    if photo.clinic_id != actor.clinic_id:
        raise NotFound("Photo not found.")
    return {
        "original": files.signed_url(actor=actor, stored=photo.file, permission=VIEW, patient_id=photo.patient_id),
        "thumbnail": files.signed_url(
            actor=actor, stored=photo.thumbnail, permission=VIEW, patient_id=photo.patient_id
        ),
    }


def thumbnail_urls(*, actor: Actor, photos: list[ClinicalPhoto]) -> dict:
    """Signed thumbnail URLs of a listing's photos keyed by photo id, issued (and audited)
    at once, so a page of photos costs the same few queries as one."""
    actor.require(VIEW)
    if any(photo.clinic_id != actor.clinic_id for photo in photos):
        raise NotFound("Photo not found.")
    patients = {str(photo.patient_id) for photo in photos}
    urls = files.signed_urls(
        actor=actor,
        stored=[photo.thumbnail for photo in photos],
        permission=VIEW,
        patient_id=patients.pop() if len(patients) == 1 else "",
    )
    return {photo.pk: urls[photo.thumbnail_id] for photo in photos}


def photo_download_url(*, actor: Actor, photo: ClinicalPhoto) -> str:
    """A signed URL of the original for downloading it; needs `photos.export`."""
    actor.require("photos.export")
    if photo.clinic_id != actor.clinic_id:
        raise NotFound("Photo not found.")
    return files.signed_url(actor=actor, stored=photo.file, permission="photos.export", patient_id=photo.patient_id)


def _check_filters(angle: str | None, phase: str | None) -> None:
    errors = {}
    if angle and angle not in ViewAngle.values:
        errors["angle"] = "Choose one of: " + ", ".join(ViewAngle.values) + "."
    if phase and phase not in PhotoPhase.values:
        errors["phase"] = "Choose one of: " + ", ".join(PhotoPhase.values) + "."
    if errors:
        raise InvalidInput(fields=errors)


def patient_photos(
    *,
    actor: Actor,
    patient_id,
    angle: str | None = None,
    phase: str | None = None,
    limit: int = MAX_LIST,
    audit: bool = True,
) -> list[ClinicalPhoto]:
    """A patient's photos, newest first, at most `limit` (≤ 200), with their files in the
    same query. Another clinic's patient is 404. The listing is audited once."""
    actor.require(VIEW)
    _check_filters(angle, phase)
    patient_id = as_uuid(patient_id)
    if not patients_for(actor).filter(pk=patient_id).exists():
        raise NotFound("Patient not found.")
    rows = photos_for(actor).filter(patient_id__in=patient_record_ids(actor=actor, patient_id=patient_id))
    if angle:
        rows = rows.filter(angle=angle)
    if phase:
        rows = rows.filter(phase=phase)
    limit = max(1, min(int(limit), MAX_LIST))
    found = list(rows.select_related("file", "thumbnail").order_by("-taken_at", "-id")[:limit])
    if audit:
        audit_record(
            action="photo.listed",
            actor=actor,
            object_type="patients.patient",
            object_id=str(patient_id),
            patient_id=str(patient_id),
            changes={"count": len(found), "angle": angle or None, "phase": phase or None},
        )
    return found


def chart_photos(*, actor: Actor, chart_id) -> list[ClinicalPhoto]:
    """The live photos of one chart of the actor's clinic, in the order they were taken,
    with their files, in one query (the chart read itself is audited by charting)."""
    return list(
        photos_for(actor)
        .filter(chart_id=as_uuid(chart_id))
        .select_related("file", "thumbnail")
        .order_by("taken_at", "id")
    )


def chart_photo_manifest(*, clinic_id, chart_id) -> list[dict]:
    """What a signature binds of the chart's photos: each live photo's id, the SHA-256 of
    its original, its annotation version, angle and phase, ordered by (taken_at, id).

    No permission check: for the charting signing service, which has checked already.
    """
    rows = (
        ClinicalPhoto.objects.filter(clinic_id=clinic_id, chart_id=as_uuid(chart_id))
        .order_by("taken_at", "id")
        .values_list("id", "file__sha256", "annotation_version", "angle", "phase")
    )
    return [
        {"id": str(pk), "sha256": sha, "annotation_version": version, "angle": angle, "phase": phase}
        for pk, sha, version, angle, phase in rows
    ]


def before_photo_count(*, clinic_id, chart_id) -> int:
    """How many "before" photos the chart holds (for the charting checklist)."""
    return ClinicalPhoto.objects.filter(
        clinic_id=clinic_id, chart_id=as_uuid(chart_id), phase=PhotoPhase.BEFORE
    ).count()


def previous_photo(*, actor: Actor, patient_id, angle: str, before: datetime | None = None) -> ClinicalPhoto | None:
    """The patient's latest photo at `angle` (taken before `before`, if given), for the
    capture screen's ghost overlay; None when there is none. Showing it means issuing its
    URL through `photo_urls`, which is audited."""
    actor.require(VIEW)
    _check_filters(angle, None)
    rows = photos_for(actor).filter(patient_id=as_uuid(patient_id), angle=angle)
    if before is not None:
        rows = rows.filter(taken_at__lt=before)
    return rows.select_related("file", "thumbnail").order_by("-taken_at", "-id").first()


def annotation_get(*, actor: Actor, photo_id, version: int | None = None) -> PhotoAnnotation | None:
    """One overlay version of a photo (the latest by default), or None before the first
    save. A version that does not exist is 404."""
    photo = photo_get(actor=actor, photo_id=photo_id, audit=False)
    if version is None:
        if not photo.annotation_version:
            return None
        version = photo.annotation_version
    annotation = PhotoAnnotation.objects.filter(clinic=actor.clinic, photo=photo, number=version).first()
    if annotation is None:
        raise NotFound("This annotation version does not exist.")
    return annotation


def annotation_versions(*, actor: Actor, photo_id) -> list[PhotoAnnotation]:
    """Every saved overlay version of a photo, newest first, without their shapes."""
    photo = photo_get(actor=actor, photo_id=photo_id, audit=False)
    return list(
        PhotoAnnotation.objects.filter(clinic=actor.clinic, photo=photo)
        .select_related("author")
        .defer("shapes")
        .order_by("-number")
    )


def _photo_link(photo: ClinicalPhoto) -> str:
    try:
        return reverse("photos:photo_detail", kwargs={"photo_id": photo.pk})
    except NoReverseMatch:  # the photo pages are not mounted (yet)
        return ""


def patient_timeline_entries(*, actor: Actor, patient_id, limit: int) -> list[TimelineEntry]:
    """The patient's photos for the profile timeline, newest first, at most `limit`;
    none for roles that may not see photos."""
    if not actor.can(VIEW) or actor.clinic is None:
        return []
    rows = (
        photos_for(actor)
        .filter(patient_id=patient_id)
        .select_related("uploaded_by")
        .order_by("-taken_at", "-id")[: max(0, int(limit))]
    )
    return [
        TimelineEntry(
            kind="photo",
            at=photo.taken_at,
            title="Clinical photo",
            summary=f"{photo.get_angle_display()} · {photo.get_phase_display()}",
            link=_photo_link(photo),
            actor=getattr(photo.uploaded_by, "full_name", "") or "",
        )
        for photo in rows
    ]
