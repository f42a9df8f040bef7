"""Writes to clinical photos: upload, metadata, delete, chart attachment, annotation
versions, and the annotated export.

The original image is decoded, re-encoded without metadata and encrypted before anything
is written, and its bytes are never touched again: annotations are JSON overlays saved as
numbered, append-only versions beside it, and the export draws them on a copy.
"""

from __future__ import annotations

import hashlib
import io
import math
import unicodedata
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from medspa.charting.selectors import as_uuid, chart_open_for_photos
from medspa.core import files
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound
from medspa.core.models import StoredFile
from medspa.patients.selectors import patient_get
from medspa.photos import choices
from medspa.photos.choices import PhotoPhase, ShapeKind, ViewAngle
from medspa.photos.models import ClinicalPhoto, PhotoAnnotation

PHOTO_KIND = "clinical_photo"
THUMB_KIND = "clinical_photo_thumb"
NOTE_MAX = 300
DRAFT = "draft"
# How far ahead of the server clock a device's "taken at" may be (clock skew), no more.
TAKEN_AT_SKEW = timedelta(hours=24)
MAX_POINT_NUMBER = 10_000
WIDTH_RANGE = (1, 20)
DEFAULT_WIDTH = 3

# The fields each shape kind may carry; anything else is refused.
SHAPE_KEYS: dict[str, frozenset[str]] = {
    ShapeKind.LINE: frozenset({"kind", "color", "points", "width"}),
    ShapeKind.ARROW: frozenset({"kind", "color", "points", "width"}),
    ShapeKind.FREEHAND: frozenset({"kind", "color", "points", "width"}),
    ShapeKind.POINT: frozenset({"kind", "color", "points", "width", "number"}),
    ShapeKind.TEXT: frozenset({"kind", "color", "points", "width", "text"}),
}
# kind -> (fewest, most) [x, y] pairs in `points`.
POINT_COUNTS: dict[str, tuple[int, int]] = {
    ShapeKind.LINE: (2, 2),
    ShapeKind.ARROW: (2, 2),
    ShapeKind.FREEHAND: (2, choices.MAX_POINTS_PER_STROKE),
    ShapeKind.POINT: (1, 1),
    ShapeKind.TEXT: (1, 1),
}

# Other apps' rows are reached through this app's own foreign keys, so photos imports no
# other app's models; the only facts needed are "exists in this clinic" and a row lock.
_Appointment = ClinicalPhoto._meta.get_field("appointment").related_model
_Chart = ClinicalPhoto._meta.get_field("chart").related_model


# Helpers ----------------------------------------------------------------------------------------


def photo_consent_on_file(actor: Actor, patient) -> bool:
    """Whether the patient has photo consent on file.

    That is the profile's `clinical_photo_consent` flag, which follows the patient's newest
    unrevoked photo release (the consents module recomputes it on every submission and
    revocation) or staff's record of a paper consent; read through the patients selector (so
    another clinic's patient is 404). `patient` is a profile or its id.
    """
    patient_id = getattr(patient, "pk", patient)
    return bool(patient_get(actor=actor, patient_id=as_uuid(patient_id)).clinical_photo_consent)


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text)


def _clean_metadata(*, angle: str | None, phase: str | None, note: str | None) -> dict[str, Any]:
    """Validated metadata values (only those given); InvalidInput naming every bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if angle is not None:
        if angle not in ViewAngle.values:
            errors["angle"] = "Choose one of: " + ", ".join(ViewAngle.values) + "."
        values["angle"] = angle
    if phase is not None:
        if phase not in PhotoPhase.values:
            errors["phase"] = "Choose one of: " + ", ".join(PhotoPhase.values) + "."
        values["phase"] = phase
    if note is not None:
        if not isinstance(note, str):
            errors["note"] = "Enter text."
        else:
            note = note.strip()
            if len(note) > NOTE_MAX:
                errors["note"] = f"Keep the note within {NOTE_MAX} characters."
            elif _has_control_characters(note):
                errors["note"] = "Remove control characters from the note."
            values["note"] = note
    if errors:
        raise InvalidInput(fields=errors)
    return values


def _thumbnail(prepared: files.PreparedFile) -> files.PreparedFile:
    """A small JPEG of the clean, re-encoded image (never of the upload), sealed on its own."""
    clean = files.unseal(prepared.id, prepared.key_id, prepared.wrapped_key, prepared.blob)
    with Image.open(io.BytesIO(clean)) as image:
        image.load()
        image.thumbnail((choices.THUMBNAIL_PX, choices.THUMBNAIL_PX))
        if image.mode in ("RGBA", "LA", "PA"):
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image.convert("RGBA"), mask=image.convert("RGBA").split()[-1])
            small = background
        else:
            small = image.convert("RGB")
    small.info = {}
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=82)
    data = out.getvalue()
    file_id = uuid.uuid4()
    blob, kid, wrapped = files.seal(file_id, data)
    stem = prepared.original_name.rsplit(".", 1)[0]
    return files.PreparedFile(
        id=file_id,
        storage_key=files.new_storage_key(file_id),
        content_type="image/jpeg",
        size=len(data),
        width=small.width,
        height=small.height,
        sha256=hashlib.sha256(data).hexdigest(),
        original_name=files.sanitize_filename(f"{stem}-thumb", "jpg"),
        key_id=kid,
        wrapped_key=wrapped,
        blob=blob,
    )


def _locked_photo(actor: Actor, photo_id) -> ClinicalPhoto:
    photo = ClinicalPhoto.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(photo_id)).first()
    if photo is None:
        raise NotFound("Photo not found.")
    return photo


def _chart_status(actor: Actor, chart_id) -> str | None:
    """The chart's status, with the chart row locked: signing locks it too, so a photo
    change and a signature of the same chart cannot interleave."""
    if chart_id is None:
        return None
    return (
        _Chart.objects.select_for_update()
        .filter(clinic=actor.clinic, pk=chart_id)
        .values_list("status", flat=True)
        .first()
    )


def _refuse_if_signed(actor: Actor, photo: ClinicalPhoto) -> None:
    status = _chart_status(actor, photo.chart_id)
    if status is not None and status != DRAFT:
        raise Conflict("This photo belongs to a signed chart and can no longer change.", code="photo_signed")


# Upload and metadata ------------------------------------------------------------------------------


def photo_upload(
    *,
    actor: Actor,
    patient_id,
    upload,
    angle: str = ViewAngle.FRONT,
    phase: str = PhotoPhase.BEFORE,
    appointment_id=None,
    chart_id=None,
    note: str = "",
    taken_at: datetime | None = None,
    confirm_without_consent: bool = False,
) -> ClinicalPhoto:
    """Store a clinical photo of a patient, optionally of one of their appointments and of
    their open (Draft) chart.

    The image is checked, re-encoded without metadata (EXIF/GPS gone, orientation applied)
    and encrypted, and a thumbnail is made from the clean copy, before anything is written;
    a bad file is InvalidInput on `file` and writes nothing. Without photo consent on file
    the upload is refused (409 `photo_consent_missing`) unless the uploader confirms, and
    then the photo is marked `consent_override` and the audit event says so. Another
    clinic's patient, appointment or chart is 404; a signed chart is 409 `chart_signed`.
    """
    actor.require("photos.upload")
    values = _clean_metadata(angle=angle, phase=phase, note=note or "")
    if taken_at is not None and (not isinstance(taken_at, datetime) or taken_at > timezone.now() + TAKEN_AT_SKEW):
        raise InvalidInput(fields={"taken_at": "The time the photo was taken cannot be in the future."})
    patient = patient_get(actor=actor, patient_id=as_uuid(patient_id))
    chart = None
    if chart_id is not None:
        chart = chart_open_for_photos(actor=actor, chart_id=chart_id, patient_id=patient.pk)
    if appointment_id is not None:
        appointment_id = as_uuid(appointment_id)
        if not _Appointment.objects.filter(clinic=actor.clinic, pk=appointment_id, patient_id=patient.pk).exists():
            raise NotFound("Appointment not found.")
        if chart is not None and chart.appointment_id and chart.appointment_id != appointment_id:
            raise InvalidInput(fields={"appointment_id": "This chart belongs to another appointment."})
    elif chart is not None:
        appointment_id = chart.appointment_id
    consented = photo_consent_on_file(actor, patient)
    if not consented and not confirm_without_consent:
        raise Conflict(
            "This patient has no photo consent on file. Confirm to take the photo anyway.",
            code="photo_consent_missing",
        )
    # Decoding is slow and runs in a worker process: before the transaction, not inside it.
    original = files.prepare_image(upload=upload, field="file")
    thumb = _thumbnail(original)
    with files.blob_written(original), files.blob_written(thumb), transaction.atomic():
        if chart is not None:
            status = _chart_status(actor, chart.pk)
            if status is None:
                raise NotFound()
            if status != DRAFT:
                raise Conflict("This chart is signed; its photos can no longer change.", code="chart_signed")
        stored = files.stored_file_create(actor=actor, prepared=original, kind=PHOTO_KIND)
        stored_thumb = files.stored_file_create(actor=actor, prepared=thumb, kind=THUMB_KIND)
        photo = ClinicalPhoto.objects.create(
            clinic=actor.clinic,
            patient=patient,
            appointment_id=appointment_id,
            chart=chart,
            file=stored,
            thumbnail=stored_thumb,
            taken_at=taken_at or timezone.now(),
            consent_override=not consented,
            uploaded_by=actor.user,
            **values,
        )
        audit_record(
            action="photo.uploaded",
            actor=actor,
            obj=photo,
            patient_id=str(patient.pk),
            summary="Taken without photo consent on file (confirmed by the uploader)." if not consented else "",
            changes={
                "angle": photo.angle,
                "phase": photo.phase,
                "chart": str(chart.pk) if chart else None,
                "appointment": str(appointment_id) if appointment_id else None,
                "file": str(stored.pk),
                "thumbnail": str(stored_thumb.pk),
                "sha256": stored.sha256,
                "content_type": stored.content_type,
                "bytes": stored.size,
                "width": stored.width,
                "height": stored.height,
                "consent_override": not consented,
            },
        )
    return photo


def photo_update(
    *, actor: Actor, photo_id, angle: str | None = None, phase: str | None = None, note: str | None = None
) -> ClinicalPhoto:
    """Change a photo's angle, phase or note (never its image or patient). Refused (409
    `photo_signed`) once its chart has left Draft."""
    actor.require("photos.upload")
    values = _clean_metadata(angle=angle, phase=phase, note=note)
    with transaction.atomic():
        photo = _locked_photo(actor, photo_id)
        _refuse_if_signed(actor, photo)
        changes = {name: [getattr(photo, name), new] for name, new in values.items() if getattr(photo, name) != new}
        if not changes:
            return photo
        for name, value in values.items():
            setattr(photo, name, value)
        photo.save(update_fields=[*values, "updated_at"])
        audit_record(action="photo.updated", actor=actor, obj=photo, patient_id=str(photo.patient_id), changes=changes)
    return photo


def photo_delete(*, actor: Actor, photo_id) -> None:
    """Soft-delete a photo and its two stored files (kept for the audit trail). Refused
    (409 `photo_signed`) when a chart that has left Draft holds it."""
    actor.require("photos.delete")
    with transaction.atomic():
        photo = _locked_photo(actor, photo_id)
        _refuse_if_signed(actor, photo)
        now = timezone.now()
        ClinicalPhoto.objects.filter(pk=photo.pk).update(deleted_at=now, updated_at=now)
        StoredFile.objects.filter(clinic=actor.clinic, pk__in=[photo.file_id, photo.thumbnail_id]).update(
            deleted_at=now, updated_at=now
        )
        audit_record(
            action="photo.deleted",
            actor=actor,
            obj=photo,
            patient_id=str(photo.patient_id),
            changes={
                "file": str(photo.file_id),
                "thumbnail": str(photo.thumbnail_id),
                "chart": str(photo.chart_id) if photo.chart_id else None,
            },
        )


def photo_attach(*, actor: Actor, photo_id, chart_id) -> ClinicalPhoto:
    """Put a photo on a Draft chart of the same patient (404 for another patient's or
    clinic's chart; 409 for a signed chart, or when the photo sits on a signed chart)."""
    actor.require("photos.upload")
    with transaction.atomic():
        photo = _locked_photo(actor, photo_id)
        chart = chart_open_for_photos(actor=actor, chart_id=chart_id, patient_id=photo.patient_id)
        if photo.chart_id == chart.pk:
            return photo
        _refuse_if_signed(actor, photo)
        if _chart_status(actor, chart.pk) != DRAFT:
            raise Conflict("This chart is signed; its photos can no longer change.", code="chart_signed")
        previous = photo.chart_id
        photo.chart = chart
        fields = ["chart", "updated_at"]
        if photo.appointment_id is None and chart.appointment_id:
            photo.appointment_id = chart.appointment_id
            fields.append("appointment")
        photo.save(update_fields=fields)
        audit_record(
            action="photo.attached",
            actor=actor,
            obj=photo,
            patient_id=str(photo.patient_id),
            changes={"chart": [str(previous) if previous else None, str(chart.pk)]},
        )
    return photo


def photo_detach(*, actor: Actor, photo_id) -> ClinicalPhoto:
    """Take a photo off its chart while the chart is Draft (409 `chart_signed` after). A
    photo on no chart is returned unchanged."""
    actor.require("photos.upload")
    with transaction.atomic():
        photo = _locked_photo(actor, photo_id)
        if photo.chart_id is None:
            return photo
        chart = chart_open_for_photos(actor=actor, chart_id=photo.chart_id, patient_id=photo.patient_id)
        if _chart_status(actor, chart.pk) != DRAFT:
            raise Conflict("This chart is signed; its photos can no longer change.", code="chart_signed")
        photo.chart = None
        photo.save(update_fields=["chart", "updated_at"])
        audit_record(
            action="photo.detached",
            actor=actor,
            obj=photo,
            patient_id=str(photo.patient_id),
            changes={"chart": [str(chart.pk), None]},
        )
    return photo


# Annotations ------------------------------------------------------------------------------------


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _shape_error(shape, index: int) -> str | None:
    """Why shape `index` is refused, or None when it is valid."""
    if not isinstance(shape, dict):
        return "Each shape must be an object."
    kind = shape.get("kind")
    if kind not in ShapeKind.values:
        return "Unknown shape kind; use one of: " + ", ".join(ShapeKind.values) + "."
    unknown = set(shape) - SHAPE_KEYS[kind]
    if unknown:
        return "Unknown keys: " + ", ".join(sorted(str(k) for k in unknown)) + "."
    if shape.get("color") not in choices.COLORS:
        return "Choose a colour from the palette: " + ", ".join(choices.COLORS) + "."
    points = shape.get("points")
    fewest, most = POINT_COUNTS[kind]
    if not isinstance(points, list) or not fewest <= len(points) <= most:
        wanted = f"exactly {fewest}" if fewest == most else f"{fewest} to {most}"
        return f"A {kind} needs {wanted} [x, y] points."
    for pair in points:
        if not isinstance(pair, list) or len(pair) != 2 or not all(_is_number(v) for v in pair):
            return "Each point is a pair of numbers [x, y]."
        if not all(0 <= v <= 1 for v in pair):
            return f"Shape {index} has coordinates outside the photo (they must be between 0 and 1)."
    if "width" in shape:
        width = shape["width"]
        if not _is_number(width) or not WIDTH_RANGE[0] <= width <= WIDTH_RANGE[1]:
            return f"The width must be a number from {WIDTH_RANGE[0]} to {WIDTH_RANGE[1]}."
    if kind == ShapeKind.POINT:
        number = shape.get("number")
        if type(number) is not int or not 1 <= number <= MAX_POINT_NUMBER:
            return "A numbered point needs a whole number of 1 or more."
    if kind == ShapeKind.TEXT:
        text = shape.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > choices.MAX_TEXT:
            return f"A text label needs 1 to {choices.MAX_TEXT} characters."
        if _has_control_characters(text):
            return "Remove control characters from the label."
    return None


def validate_shapes(shapes) -> list[dict]:
    """The overlay as it will be stored, or InvalidInput naming each refused shape
    (`shapes.<index>`). Coordinates are fractions of the photo's width and height (0–1)."""
    if not isinstance(shapes, list):
        raise InvalidInput(fields={"shapes": "Send a list of shapes."})
    if len(shapes) > choices.MAX_SHAPES:
        raise InvalidInput(fields={"shapes": f"At most {choices.MAX_SHAPES} shapes per photo."})
    errors = {}
    for index, shape in enumerate(shapes):
        problem = _shape_error(shape, index)
        if problem:
            errors[f"shapes.{index}"] = problem
        if len(errors) >= 20:  # enough to fix; the rest would only repeat
            break
    if errors:
        raise InvalidInput("Some shapes are not valid.", fields=errors)
    return [
        {key: ([[float(x), float(y)] for x, y in value] if key == "points" else value) for key, value in shape.items()}
        for shape in shapes
    ]


def annotation_save(*, actor: Actor, photo_id, shapes: list, base_version: int) -> PhotoAnnotation:
    """Save the photo's overlay as a new version (`base_version + 1`).

    `base_version` is the version the editor started from; if another device saved first
    it no longer matches and the save is refused (409 `annotation_conflict`). Refused too
    once the photo's chart has left Draft. The photo's file is never touched.
    """
    actor.require("photos.annotate")
    clean = validate_shapes(shapes)
    if type(base_version) is not int or base_version < 0:
        raise InvalidInput(fields={"base_version": "Send the version the overlay was based on."})
    stale = Conflict(
        "Another device saved this photo's annotations first; reload to see them.", code="annotation_conflict"
    )
    try:
        with transaction.atomic():
            photo = _locked_photo(actor, photo_id)
            _refuse_if_signed(actor, photo)
            # The conditional update is the guard: of two saves from the same version only
            # one matches it, whatever the database's locking does.
            moved = ClinicalPhoto.objects.filter(pk=photo.pk, annotation_version=base_version).update(
                annotation_version=F("annotation_version") + 1, updated_at=timezone.now()
            )
            if moved != 1:
                raise stale
            annotation = PhotoAnnotation.objects.create(
                clinic=actor.clinic, photo=photo, number=base_version + 1, shapes=clean, author=actor.user
            )
            audit_record(
                action="photo.annotated",
                actor=actor,
                obj=photo,
                patient_id=str(photo.patient_id),
                changes={"version": annotation.number, "shapes": len(clean)},
            )
    except IntegrityError:
        raise stale from None
    return annotation


# Export -----------------------------------------------------------------------------------------


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without scalable default font
        return ImageFont.load_default()


def draw_overlay(image: Image.Image, shapes: list[dict]) -> Image.Image:
    """`image` with the overlay's shapes drawn on a copy (RGB)."""
    canvas = image.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    w, h = canvas.size
    scale = max(1.0, min(w, h) / 500)

    def at(pair) -> tuple[float, float]:
        return (pair[0] * (w - 1), pair[1] * (h - 1))

    for shape in shapes:
        color = choices.COLORS.get(shape.get("color"), choices.COLORS["red"])
        width = max(1, round(float(shape.get("width", DEFAULT_WIDTH)) * scale))
        points = [at(p) for p in shape.get("points", [])]
        kind = shape.get("kind")
        if kind in (ShapeKind.LINE, ShapeKind.FREEHAND) and len(points) >= 2:
            draw.line(points, fill=color, width=width, joint="curve")
        elif kind == ShapeKind.ARROW and len(points) == 2:
            (x1, y1), (x2, y2) = points
            draw.line(points, fill=color, width=width)
            angle = math.atan2(y2 - y1, x2 - x1)
            head = max(8.0, 4 * width)
            left = (x2 - head * math.cos(angle - math.pi / 7), y2 - head * math.sin(angle - math.pi / 7))
            right = (x2 - head * math.cos(angle + math.pi / 7), y2 - head * math.sin(angle + math.pi / 7))
            draw.polygon([(x2, y2), left, right], fill=color)
        elif kind == ShapeKind.POINT and points:
            x, y = points[0]
            radius = 11 * scale
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=color, outline="#ffffff")
            ink = "#111827" if shape.get("color") in ("white", "yellow") else "#ffffff"
            draw.text((x, y), str(shape.get("number", "")), fill=ink, font=_font(round(13 * scale)), anchor="mm")
        elif kind == ShapeKind.TEXT and points:
            font = _font(round(16 * scale))
            x, y = points[0]
            box = draw.textbbox((x, y), str(shape.get("text", "")), font=font)
            draw.rectangle((box[0] - 3, box[1] - 3, box[2] + 3, box[3] + 3), fill=(0, 0, 0))
            draw.text((x, y), str(shape.get("text", "")), fill=color, font=font)
    return canvas


def photo_export_png(*, actor: Actor, photo_id, version: int | None = None) -> tuple[bytes, str]:
    """The photo with an annotation version drawn on it (the latest by default; version 0
    is the bare photo), as PNG bytes and a file name free of patient details. The stored
    original is read, never written. Audited as an export."""
    actor.require("photos.export")
    photo = ClinicalPhoto.objects.select_related("file").filter(clinic=actor.clinic, pk=as_uuid(photo_id)).first()
    if photo is None:
        raise NotFound("Photo not found.")
    number = photo.annotation_version if version is None else version
    if type(number) is not int or not 0 <= number <= photo.annotation_version:
        raise NotFound("This annotation version does not exist.")
    shapes: list[dict] = []
    if number:
        annotation = PhotoAnnotation.objects.filter(clinic=actor.clinic, photo=photo, number=number).first()
        if annotation is None:
            raise NotFound("This annotation version does not exist.")
        shapes = annotation.shapes
    try:
        original = files.read_bytes(photo.file)
    except (files.FileKeyError, OSError):
        raise NotFound("The photo's file cannot be read.") from None
    with Image.open(io.BytesIO(original)) as image:
        image.load()
        rendered = draw_overlay(image, shapes)
    out = io.BytesIO()
    rendered.save(out, format="PNG", optimize=False)
    data = out.getvalue()
    name = f"photo-{timezone.localtime(photo.taken_at):%Y%m%d}-{photo.angle}-{photo.phase}"
    filename = files.sanitize_filename(f"{name}-v{number}" if number else name, "png")
    with transaction.atomic():
        audit_record(
            action="photo.exported",
            actor=actor,
            obj=photo,
            patient_id=str(photo.patient_id),
            changes={"version": number, "format": "png", "bytes": len(data), "sha256": photo.file.sha256},
        )
    return data, filename
