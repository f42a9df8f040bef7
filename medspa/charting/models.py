"""Chart templates and their versions, charts, signatures, amendments and review notes.

A chart's clinical content (answers, products, injections, aftercare, notes) is one
validated JSON document (`Chart.content`), so what is signed is one unit: the services
validate it, `medspa.charting.signing` hashes its canonical form, and the database refuses
to change it once the chart has left Draft (migration 0002). Signatures and amendments
are append-only rows.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from medspa.charting.choices import ChartStatus, ReviewNoteKind, SignatureKind
from medspa.core.models import SoftDeleteModel, TenantModel

USER = settings.AUTH_USER_MODEL


class ChartTemplate(TenantModel):
    """A clinic's chart template; its sections live in numbered, immutable versions.

    `key` is stable across versions (library templates use their library key). Editing
    publishes a new version; charts keep the version they were written with.
    """

    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    from_library = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    current_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="charttemplate_unique_key")]

    def __str__(self) -> str:
        return self.name


class ChartTemplateVersion(TenantModel):
    """One published version of a template: its sections and typed fields (append-only)."""

    template = models.ForeignKey(ChartTemplate, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    sections = models.JSONField()
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "template", "number"], name="charttemplateversion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class ServiceChartSettings(TenantModel):
    """How a service is charted: its default template, whether the medical director must
    review it, how many before photos it needs, and the aftercare handed to the patient."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey(ChartTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requires_md_review = models.BooleanField(default=False)
    min_before_photos = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(12)])
    aftercare = models.TextField(blank=True, max_length=5000)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "service"], name="servicechartsettings_unique")]


class ClinicChartSettings(TenantModel):
    """Clinic-wide charting rules: its medical director and alternate, and whether a provider
    may sign with items missing from the checklist (always with a written reason)."""

    medical_director = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    alternate_medical_director = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    allow_sign_with_missing = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic"], name="clinicchartsettings_unique")]


class Chart(SoftDeleteModel):
    """The clinical record of one treatment: written from a template version, signed by the
    provider, co-signed by the medical director where the service requires it.

    `version` increments on every save so two devices editing one draft cannot overwrite
    each other (a stale save is a 409). `provider_signature` and `md_signature` point at the
    signatures that currently bind the content; a chart returned to Draft drops them.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey("catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    template_version = models.ForeignKey(ChartTemplateVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=ChartStatus.choices, default=ChartStatus.DRAFT)
    requires_md_review = models.BooleanField(default=False)
    content = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    treated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    md_signed_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    info_requested = models.BooleanField(default=False)
    provider_signature = models.ForeignKey(
        "ChartSignature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    md_signature = models.ForeignKey(
        "ChartSignature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-treated_at"]
        indexes = [
            models.Index(fields=["clinic", "patient", "treated_at"], name="chart_patient"),
            models.Index(fields=["clinic", "status", "submitted_at"], name="chart_status"),
            models.Index(fields=["clinic", "provider", "status"], name="chart_provider"),
            models.Index(fields=["clinic", "appointment"], name="chart_appointment"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "appointment"],
                condition=models.Q(appointment__isnull=False, deleted_at__isnull=True),
                name="chart_one_per_appointment",
            )
        ]

    def __str__(self) -> str:
        return f"Chart {self.pk}"


class ChartAmendment(TenantModel):
    """A signed addition to a chart after it was closed: reason, text and optional corrected
    product rows. Append-only; the original content is never touched."""

    chart = models.ForeignKey(Chart, on_delete=models.PROTECT, related_name="amendments")
    number = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    text = models.TextField(max_length=10000)
    product_corrections = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["chart", "number"]
        constraints = [models.UniqueConstraint(fields=["clinic", "chart", "number"], name="chartamendment_unique")]


class ChartSignature(TenantModel):
    """One signature: who (id, printed name, role), when, what it means, and the SHA-256 of
    the canonical content it binds (`content_hash`) chained into `signature_hash` with the
    signer, time, meaning and chart id. Append-only."""

    chart = models.ForeignKey(Chart, on_delete=models.PROTECT, related_name="signatures")
    amendment = models.ForeignKey(
        ChartAmendment, null=True, blank=True, on_delete=models.PROTECT, related_name="signatures"
    )
    kind = models.CharField(max_length=20, choices=SignatureKind.choices)
    signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=160)
    signer_role = models.CharField(max_length=32)
    meaning = models.CharField(max_length=120)
    signed_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64)
    signature_hash = models.CharField(max_length=64)
    image = models.ForeignKey("core.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    override_reason = models.CharField(max_length=500, blank=True)
    missing = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["chart", "signed_at"]
        indexes = [models.Index(fields=["clinic", "chart"], name="chartsignature_chart")]


class ChartReviewNote(TenantModel):
    """A message on a chart's review: the MD returning it or asking for information, the
    provider replying."""

    chart = models.ForeignKey(Chart, on_delete=models.PROTECT, related_name="review_notes")
    kind = models.CharField(max_length=16, choices=ReviewNoteKind.choices)
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(max_length=4000)

    class Meta:
        ordering = ["chart", "created_at"]
