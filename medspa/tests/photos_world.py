"""Clinical photos for the generated matrices: one photo of the world's patient (uploaded
through the real service, decoded in-process for speed), and the upload bodies."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.core.tests.images import jpeg
from medspa.photos import services

# Multipart routes: their form fields ("{name}" is filled from the world); a small JPEG is
# added as `file`.
UPLOAD_FORMS = {
    ("post", "/api/charts/{chart_id}/photos"): {"angle": "front", "phase": "before", "confirm_without_consent": True},
    ("post", "/api/patients/{patient_id}/photos"): {"angle": "front", "confirm_without_consent": True},
}


def image_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("matrix.jpg", jpeg((48, 36)), content_type="image/jpeg")


def multipart(form: dict) -> dict:
    """A multipart body: the form's values as text, plus the image."""
    return {**{name: str(value) for name, value in form.items()}, "file": image_upload()}


def build(clinic, owner, patient_id) -> dict:
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    with override_settings(FILE_DECODE_IN_WORKER=False):
        photo = services.photo_upload(
            actor=actor, patient_id=patient_id, upload=image_upload(), confirm_without_consent=True
        )
    return {"photo_id": photo.pk}
