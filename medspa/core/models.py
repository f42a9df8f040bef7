"""Tenancy, the audit log and the infrastructure tables every module shares."""

import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from medspa.core.choices import CURRENCIES, DEFAULT_IDLE_MINUTES, AuditOutcome, OutboxStatus


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


class TimeStampedModel(models.Model):
    """UUID primary key (the public id) with created/updated timestamps."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantModel(TimeStampedModel):
    """A row owned by one clinic. Services scope every query to `actor.clinic`."""

    clinic = models.ForeignKey("core.Clinic", on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class LiveManager(models.Manager):
    """Hides soft-deleted rows; `all_objects` still sees them."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(TenantModel):
    """Clinical and financial records: never hard-deleted, hidden once `deleted_at` is set."""

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LiveManager()  # first manager = default manager: hides deleted rows everywhere
    all_objects = models.Manager()  # noqa: DJ012

    class Meta:
        abstract = True


class Clinic(TimeStampedModel):
    """The tenant: one business with its own staff, patients, money and audit chain."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="USD")
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])
    require_mfa = models.BooleanField(default=True, help_text="Staff must enrol in two-factor authentication.")
    session_idle_minutes = models.PositiveSmallIntegerField(
        default=DEFAULT_IDLE_MINUTES, validators=[MinValueValidator(5), MaxValueValidator(120)]
    )
    settings = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Location(TenantModel):
    """A place where a clinic treats patients; times there are shown in its time zone."""

    name = models.CharField(max_length=120)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("State / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    phone = models.CharField(max_length=32, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="location_unique_name")]

    def __str__(self) -> str:
        return self.name


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit log.

    Each clinic has its own chain (`chain` = the clinic id); events that happen before a
    clinic is known (a failed login for an unknown address) go to the "system" chain.
    The database refuses UPDATE and DELETE on this table (see migration 0002).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    chain = models.CharField(max_length=40)
    seq = models.BigIntegerField()
    clinic = models.ForeignKey(Clinic, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+")
    created_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq")]
        indexes = [
            models.Index(fields=["clinic", "created_at"], name="audit_clinic_time"),
            models.Index(fields=["clinic", "actor_id", "created_at"], name="audit_clinic_actor"),
            models.Index(fields=["clinic", "object_type", "object_id"], name="audit_clinic_object"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"


class AuditHead(models.Model):
    """The newest sequence number and hash of each chain; locked while appending."""

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain} @ {self.seq}"


class OutboxMessage(TenantModel):
    """A side effect (email, SMS, processor call) committed with the change that caused it.

    The sweeper hands pending rows to the job queue until a handler marks them done, so a
    killed worker delays a message but never loses it; handlers are idempotent by `id`.
    """

    topic = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=128)
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "topic", "idempotency_key"], name="outbox_unique_key")]
        indexes = [models.Index(fields=["clinic", "status", "available_at"], name="outbox_clinic_due")]

    def __str__(self) -> str:
        return f"{self.topic} {self.idempotency_key} ({self.status})"


class LiveEvent(models.Model):
    """Relay row carrying a live event from a worker process to the web server's sockets.

    Used only in the embedded setup (no Redis); rows live for seconds and are purged.
    """

    id = models.BigAutoField(primary_key=True)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.event} #{self.id}"


class StoredFile(SoftDeleteModel):
    """An uploaded file (a profile photo, later clinical photos and attachments), private.

    The bytes live in the default storage under `storage_key` (a random UUID, never a
    name from the uploader), sealed with their own AES-GCM key; `wrapped_key` is that key
    wrapped by the MEDSPA_FILE_KEY with id `key_id` (see `medspa.core.files`). Replaced
    files are soft-deleted, never removed, so the audit trail can still point at them.
    """

    kind = models.CharField(max_length=32)
    storage_key = models.CharField(max_length=100, unique=True, editable=False)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=100, blank=True)
    key_id = models.CharField(max_length=16)
    wrapped_key = models.BinaryField(max_length=64, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "kind", "created_at"], name="storedfile_clinic_kind"),
            models.Index(fields=["key_id"], name="storedfile_key_id"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name or self.pk}"


class IdempotencyKey(TenantModel):
    """The first result of a request sent with an `Idempotency-Key` header, for replay.

    One row per (clinic, scope, key); `fingerprint` is the SHA-256 of the request body, so the
    same key with a different body is refused. Kept at least 24 hours (purged by a job)."""

    scope = models.CharField(max_length=60)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "scope", "key"], name="idempotency_key_once")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
