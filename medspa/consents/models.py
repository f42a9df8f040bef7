"""Forms and their versions, requirements, links sent to patients, drafts, submissions and
revocations.

A form is edited as a draft definition and published into numbered, immutable versions; a
submission answers exactly one version and stores what the patient saw (`document`) with
its SHA-256 (`content_hash`) chained into `signature_hash` with the signer, time, IP and user
agent. Submissions, versions and revocations are append-only (the database refuses changes,
migration 0002); a draft is the only thing that is edited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from medspa.consents.choices import FormKind, ProfileReview, SubmissionVia
from medspa.core.models import TenantModel

USER = settings.AUTH_USER_MODEL


class Form(TenantModel):
    """A clinic's form or consent. `draft` holds the definition being edited (None when the
    published version is current); `current_version` is the latest published number (0 before
    the first publish); `material_version` is the latest version whose change was material:
    submissions of earlier versions no longer count for future treatments.

    `valid_days` is how long a completed form counts (None: until revoked). `prefill` lets a
    patient start from their previous answers and profile."""

    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=16, choices=FormKind.choices, default=FormKind.INTAKE)
    valid_days = models.PositiveIntegerField(null=True, blank=True)
    prefill = models.BooleanField(default=True)
    draft = models.JSONField(null=True, blank=True)
    current_version = models.PositiveIntegerField(default=0)
    material_version = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    from_library = models.BooleanField(default=False)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="form_unique_key")]

    def __str__(self) -> str:
        return self.name


class FormVersion(TenantModel):
    """One published version: its definition, whether the change was material, and the
    SHA-256 of the definition (append-only)."""

    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    definition = models.JSONField()
    material = models.BooleanField(default=True)
    change_note = models.CharField(max_length=300, blank=True)
    definition_hash = models.CharField(max_length=64)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["form", "-number"]
        constraints = [models.UniqueConstraint(fields=["clinic", "form", "number"], name="formversion_unique")]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class FormRequirement(TenantModel):
    """A form a visit needs: for one service, one practitioner, both, or (neither) every visit."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="requirements")
    service = models.ForeignKey("catalog.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(USER, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        # One row per (form, service, provider) is kept by `requirements_set`, which replaces
        # a form's rules as a whole (SQLite cannot enforce uniqueness across NULLs).
        indexes = [models.Index(fields=["clinic", "form"], name="formrequirement_form")]


class FormLink(TenantModel):
    """A form sent to one patient: the secret's SHA-256 (the token is only ever in the link),
    the version it opens, the visit it is for, when it stops working, and the submission it
    produced (a link submits once)."""

    token_hash = models.CharField(max_length=64, unique=True)
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    via = models.CharField(max_length=8, choices=SubmissionVia.choices, default=SubmissionVia.LINK)
    channel = models.CharField(max_length=8, blank=True)
    sent_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sent_to = models.CharField(max_length=254, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    submission = models.OneToOneField(
        "FormSubmission", null=True, blank=True, on_delete=models.PROTECT, related_name="link"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["clinic", "patient", "form"], name="formlink_patient"),
            models.Index(fields=["clinic", "appointment"], name="formlink_appointment"),
        ]


class FormDraft(TenantModel):
    """A patient's answers in progress (save and resume), kept apart from submissions; it
    disappears when the form is submitted. `uploads` are the files uploaded for it."""

    link = models.OneToOneField(FormLink, on_delete=models.CASCADE, related_name="draft")
    answers = models.JSONField(default=dict)
    step = models.PositiveSmallIntegerField(default=0)
    uploads = models.JSONField(default=list, blank=True)


class FormSubmission(TenantModel):
    """A completed form: the version answered, the answers shown, the signatures (each drawn
    image by its file's SHA-256, or the typed name), computed scores, and the rendered
    document with its hashes. Immutable; only the staff review of profile updates moves."""

    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="submissions")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="submissions")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answers = models.JSONField(default=dict)
    signatures = models.JSONField(default=list)
    computed = models.JSONField(default=dict, blank=True)
    document = models.JSONField(default=dict)
    via = models.CharField(max_length=8, choices=SubmissionVia.choices)
    signer_name = models.CharField(max_length=160)
    submitted_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    entered_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    content_hash = models.CharField(max_length=64)
    signature_hash = models.CharField(max_length=64)
    profile_updates = models.JSONField(default=dict, blank=True)
    profile_review = models.CharField(max_length=10, choices=ProfileReview.choices, blank=True, default="")

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["clinic", "patient", "form", "submitted_at"], name="formsubmission_patient"),
            models.Index(fields=["clinic", "form", "submitted_at"], name="formsubmission_form"),
        ]


class FormRevocation(TenantModel):
    """A patient withdrawing a submitted consent (recorded by staff or by the patient through
    a link). Appended, never deleted; the consent stops counting at `revoked_at`."""

    submission = models.ForeignKey(FormSubmission, on_delete=models.PROTECT, related_name="revocations")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    by_patient = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField()

    class Meta:
        ordering = ["-revoked_at"]
        indexes = [models.Index(fields=["clinic", "patient"], name="formrevocation_patient")]
