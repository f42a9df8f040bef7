"""Patient profiles and what hangs off them: tags, allergies, relationships, communications."""

from django.db import models
from django.utils import timezone

from medspa.core.models import SoftDeleteModel, TenantModel
from medspa.patients.choices import (
    AllergySeverity,
    CommunicationKind,
    Direction,
    ImportMode,
    ImportStatus,
    PatientSource,
    PatientStatus,
    ProfileType,
    RelationshipKind,
    SexAtBirth,
    SkinType,
)


class Tag(TenantModel):
    """A clinic-defined, coloured label (VIP, Botox regular, …)."""

    name = models.CharField(max_length=40)
    color = models.CharField(max_length=7, default="#a855f7", help_text="Hex colour, e.g. #a855f7")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


LIVE = models.Q(deleted_at__isnull=True)


class Patient(SoftDeleteModel):
    """A person the clinic knows: a treated patient or a contact (a family member).

    `*_key`, `phone_digits`, `phone_last4` and `email_lower` are search columns kept in
    step by the services; `version` increments on every change (stale writes get 409).
    """

    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    preferred_name = models.CharField(max_length=80, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex_at_birth = models.CharField(max_length=16, choices=SexAtBirth.choices, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    alternate_phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")
    emergency_contact_name = models.CharField(max_length=160, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=16, choices=PatientStatus.choices, default=PatientStatus.ACTIVE)
    status_changed_at = models.DateTimeField(default=timezone.now)
    profile_type = models.CharField(max_length=16, choices=ProfileType.choices, default=ProfileType.PATIENT)
    referral_source = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=16, choices=PatientSource.choices, default=PatientSource.STAFF, editable=False)
    possible_duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="Created online with contact details that match this profile: staff should review.",
    )
    primary_contact = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dependants",
        help_text="For a minor: the profile to contact and bill.",
    )
    # Safety information: shown to every role that can see the patient.
    medical_alerts = models.JSONField(default=list, blank=True)
    # Clinical information: only for roles with patients.view_clinical.
    medications = models.JSONField(default=list, blank=True)
    medical_history = models.TextField(blank=True, max_length=10000)
    clinical_notes = models.TextField(blank=True, max_length=10000)
    skin_type = models.CharField(max_length=3, choices=SkinType.choices, blank=True)
    aesthetic_concerns = models.JSONField(default=list, blank=True)
    preferred_treatment_areas = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True, max_length=10000, help_text="Front-desk notes (not clinical).")
    email_reminders = models.BooleanField(default=True)
    sms_reminders = models.BooleanField(default=True)
    marketing_emails = models.BooleanField(default=False)
    marketing_sms = models.BooleanField(default=False)
    photo_marketing_consent = models.BooleanField(default=False)
    # Consent to clinical photography (kept in the record): what the photo upload checks. Both
    # photo flags follow the newest unrevoked photo release (consents), or staff's record.
    clinical_photo_consent = models.BooleanField(default=False)
    # The profile photo (a private, encrypted StoredFile); a replaced one stays, soft-deleted.
    photo = models.OneToOneField(
        "core.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_visit_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Search columns.
    first_key = models.CharField(max_length=80, blank=True)
    last_key = models.CharField(max_length=80, blank=True)
    preferred_key = models.CharField(max_length=80, blank=True)
    phone_digits = models.CharField(max_length=20, blank=True)
    phone_last4 = models.CharField(max_length=4, blank=True)
    alt_phone_digits = models.CharField(max_length=20, blank=True)
    email_lower = models.CharField(max_length=254, blank=True)

    tags = models.ManyToManyField(Tag, through="PatientTag", related_name="patients", blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            # Search ranges read these in index order (selectors.INDEX_ORDER). Partial (live rows)
            # and covering every column a search condition or ordering reads: index-only scans.
            models.Index(
                fields=["clinic", "last_key", "first_key", "id", "preferred_key", "status"],
                name="patient_last_first_live",
                condition=LIVE,
            ),
            models.Index(
                fields=["clinic", "first_key", "last_key", "id", "preferred_key", "status"],
                name="patient_first_last_live",
                condition=LIVE,
            ),
            models.Index(
                fields=["clinic", "preferred_key", "last_key", "id", "first_key", "status"],
                name="patient_preferred_live",
                condition=LIVE,
            ),
            models.Index(fields=["clinic", "phone_digits", "id", "status"], name="patient_phone_live", condition=LIVE),
            models.Index(
                fields=["clinic", "alt_phone_digits", "id", "phone_digits", "status"],
                name="patient_alt_phone_live",
                condition=LIVE,
            ),
            models.Index(
                fields=["clinic", "phone_last4", "id", "phone_digits", "status"],
                name="patient_last4_live",
                condition=LIVE,
            ),
            models.Index(fields=["clinic", "email_lower", "id", "status"], name="patient_email_live", condition=LIVE),
            models.Index(
                fields=["clinic", "date_of_birth", "last_key", "first_key", "id", "status"],
                name="patient_dob_live",
                condition=LIVE,
            ),
            models.Index(fields=["clinic", "status", "last_key"], name="patient_status_name"),
            models.Index(fields=["clinic", "created_at"], name="patient_created"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name as the patient prefers it: 'Jen Smith' for Jennifer 'Jen' Smith."""
        return f"{self.preferred_name or self.first_name} {self.last_name}".strip()

    @property
    def age(self) -> int | None:
        if not self.date_of_birth:
            return None
        today = timezone.localdate()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class PatientTag(TenantModel):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "patient", "tag"], name="patienttag_unique")]


class Allergy(TenantModel):
    """Safety information: what the patient reacts to, how, and how badly."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    substance = models.CharField(max_length=120)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=12, choices=AllergySeverity.choices, default=AllergySeverity.UNKNOWN)

    class Meta:
        ordering = ["substance"]
        indexes = [models.Index(fields=["clinic", "patient"], name="allergy_patient")]

    def __str__(self) -> str:
        return self.substance


class Relationship(TenantModel):
    """One direction of a link between two profiles; the service always writes both."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="relationships")
    related = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=RelationshipKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "patient", "related"], name="relationship_unique_pair"),
            models.CheckConstraint(condition=~models.Q(patient=models.F("related")), name="relationship_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.kind} {self.related_id}"


class Communication(TenantModel):
    """A logged interaction: a call, text, email, visit at the desk, or a note."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="communications")
    kind = models.CharField(max_length=16, choices=CommunicationKind.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices, default=Direction.OUTBOUND)
    staff = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=5000)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["clinic", "patient", "occurred_at"], name="communication_patient_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d}"


class PatientImport(TenantModel):
    """One CSV import: checked first (a dry run), then committed from the same stored file.

    `payload` is the uploaded file encrypted with a key derived from MEDSPA_FILE_KEY; it is
    kept only between the check and the import and cleared when the job ends, fails or
    goes stale. `report` holds the counts and the first problem rows (errors, duplicates).
    """

    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    mode = models.CharField(max_length=8, choices=ImportMode.choices, default=ImportMode.CHECK)
    source_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict, blank=True)
    payload = models.BinaryField(null=True, blank=True, editable=False)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0, help_text="Rows that already exist.")
    error_count = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0, help_text="Rows the check found new.")
    report = models.JSONField(default=dict, blank=True)
    failure = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    committed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["clinic", "-created_at"], name="patientimport_recent"),
            models.Index(fields=["clinic", "status", "updated_at"], name="patientimport_status"),
        ]

    def __str__(self) -> str:
        return f"{self.source_name or 'import'} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.IMPORTING)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.processed_rows / self.total_rows)) if self.total_rows else 0
