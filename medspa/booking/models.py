"""Online booking: a clinic's portal settings and public practitioner profiles, each patient's
booking in progress, the policy they accepted, deposits and notifications."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from medspa.booking.choices import (
    DEFAULT_POLICY,
    BookingKind,
    BookingState,
    Channel,
    DepositStatus,
    NotificationKind,
    NotificationStatus,
)
from medspa.catalog.choices import DepositKind
from medspa.core.models import TenantModel

USER = settings.AUTH_USER_MODEL
HEX_COLOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour like #7c3aed.")


class BookingSettings(TenantModel):
    """A clinic's online booking (one row per clinic, created with defaults on first use).
    The minimum notice and rolling window live with the clinic's booking rules in scheduling."""

    enabled = models.BooleanField(default=False)
    hold_minutes = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(2), MaxValueValidator(60)]
    )
    link_hold_minutes = models.PositiveIntegerField(
        default=120,
        validators=[MinValueValidator(10), MaxValueValidator(7 * 24 * 60)],
        help_text="How long a finish-your-booking link keeps its time.",
    )
    require_approval_new_patients = models.BooleanField(default=False)
    max_future_bookings = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    cancellation_notice_hours = models.PositiveSmallIntegerField(default=24, validators=[MaxValueValidator(24 * 14)])
    cancellation_policy = models.TextField(max_length=5000, default=DEFAULT_POLICY)
    policy_version = models.PositiveIntegerField(default=1)
    deposit_kind = models.CharField(
        max_length=8,
        choices=DepositKind.choices,
        default=DepositKind.NONE,
        help_text="Clinic-wide deposit for services that set none of their own.",
    )
    deposit_value = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    intake_form_required = models.BooleanField(
        default=False, help_text="Ask new patients for the intake form after booking (forms module)."
    )
    headline = models.CharField(max_length=120, blank=True)
    meta_description = models.CharField(max_length=300, blank=True)
    primary_color = models.CharField(max_length=7, default="#7c3aed", validators=[HEX_COLOR])
    logo = models.OneToOneField(
        "core.StoredFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    background = models.OneToOneField(
        "core.StoredFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic"], name="booking_settings_one_per_clinic")]


class PractitionerProfile(TenantModel):
    """How a practitioner appears on the portal: name, credentials, bio, photo."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    display_name = models.CharField(max_length=80)
    credentials = models.CharField(max_length=80, blank=True, help_text="e.g. RN, CANS")
    bio = models.TextField(max_length=1500, blank=True)
    photo = models.OneToOneField(
        "core.StoredFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    listed = models.BooleanField(default=True, help_text="Offer this practitioner by name online.")

    class Meta:
        ordering = ["display_name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "user"], name="practitioner_profile_once")]


class OnlineBooking(TenantModel):
    """One patient's booking through the portal or a finish-your-booking link, from the held
    time to the booked visit. Its secret token — only the hash is stored — is the patient's
    capability: the portal keeps it in the browser session, API clients receive it once."""

    kind = models.CharField(max_length=8, choices=BookingKind.choices, default=BookingKind.PORTAL)
    state = models.CharField(max_length=16, choices=BookingState.choices, default=BookingState.HOLDING)
    hold = models.OneToOneField("scheduling.SlotHold", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    session_hash = models.CharField(max_length=64, blank=True, help_text="Hash of the browser session that holds it.")
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    email = models.EmailField(max_length=254, blank=True)
    notes = models.TextField(max_length=1000, blank=True)
    contact_email = models.EmailField(max_length=254, blank=True, help_text="Where staff sent a finish link.")
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    new_patient = models.BooleanField(default=False)
    visit = models.ForeignKey("scheduling.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    deposit_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["clinic", "state", "created_at"], name="online_booking_state"),
            models.Index(fields=["clinic", "session_hash", "state"], name="online_booking_session"),
        ]


class PolicyAcceptance(TenantModel):
    """Evidence that the patient agreed to the cancellation policy: the exact text they saw,
    its hash and version, when, and from which address and browser."""

    booking = models.ForeignKey(OnlineBooking, on_delete=models.PROTECT, related_name="acceptances")
    policy_text = models.TextField()
    policy_sha256 = models.CharField(max_length=64)
    policy_version = models.PositiveIntegerField()
    notice_hours = models.PositiveSmallIntegerField()
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["accepted_at"]


class DepositPayment(TenantModel):
    """A deposit taken to secure an online booking, through the configured payment backend.
    No card data is ever stored: the processor keeps it and returns a reference."""

    booking = models.ForeignKey(OnlineBooking, on_delete=models.PROTECT, related_name="deposits")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=DepositStatus.choices, default=DepositStatus.PENDING)
    processor = models.CharField(max_length=20)
    reference = models.CharField(max_length=120, blank=True)
    test_mode = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="deposit_amount_positive")]


class BookingNotification(TenantModel):
    """A message owed to a patient about their booking. Email is sent through the outbox;
    SMS records wait for the messaging module to send them."""

    booking = models.ForeignKey(OnlineBooking, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField(max_length=254)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["clinic", "channel", "status"], name="booking_notification_queue")]
