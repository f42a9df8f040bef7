"""Clinical photos and their annotation overlays.

The photo's bytes are a private, encrypted `StoredFile` that nothing ever rewrites;
annotations are JSON vector overlays in numbered, append-only versions beside it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from medspa.core.models import SoftDeleteModel, TenantModel
from medspa.photos.choices import PhotoPhase, ViewAngle

USER = settings.AUTH_USER_MODEL


class ClinicalPhoto(SoftDeleteModel):
    """A clinical photo of a patient, optionally of an appointment and a chart.

    `consent_override` is set when it was taken without the patient's photo consent on
    file, after the uploader confirmed explicitly (and the upload was audited so).
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    chart = models.ForeignKey("charting.Chart", null=True, blank=True, on_delete=models.PROTECT, related_name="photos")
    file = models.OneToOneField("core.StoredFile", on_delete=models.PROTECT, related_name="+")
    thumbnail = models.OneToOneField("core.StoredFile", on_delete=models.PROTECT, related_name="+")
    angle = models.CharField(max_length=16, choices=ViewAngle.choices, default=ViewAngle.FRONT)
    phase = models.CharField(max_length=8, choices=PhotoPhase.choices, default=PhotoPhase.BEFORE)
    taken_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)
    consent_override = models.BooleanField(default=False)
    annotation_version = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-taken_at"]
        indexes = [
            models.Index(fields=["clinic", "patient", "angle", "taken_at"], name="photo_patient_angle"),
            models.Index(fields=["clinic", "chart"], name="photo_chart"),
            models.Index(fields=["clinic", "appointment"], name="photo_appointment"),
        ]


class PhotoAnnotation(TenantModel):
    """One saved version of a photo's overlay: shapes with normalized (0–1) coordinates.
    Append-only: a new save is a new version."""

    photo = models.ForeignKey(ClinicalPhoto, on_delete=models.PROTECT, related_name="annotations")
    number = models.PositiveIntegerField()
    shapes = models.JSONField(default=list)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["photo", "-number"]
        constraints = [models.UniqueConstraint(fields=["clinic", "photo", "number"], name="photoannotation_unique")]
