"""Provider schedules, appointments and what they reserve, waitlist and calendar feeds."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from medspa.core.models import SoftDeleteModel, TenantModel
from medspa.scheduling.choices import (
    AppointmentStatus,
    BlockKind,
    BookingSource,
    ExceptionKind,
    HoldStatus,
    ResourceKind,
    WaitlistStatus,
)

USER = settings.AUTH_USER_MODEL
MINUTE_OF_DAY = [MinValueValidator(0), MaxValueValidator(24 * 60)]


class SchedulePolicy(TenantModel):
    """A clinic's booking rules (one row per clinic, created with defaults on first use)."""

    slot_minutes = models.PositiveSmallIntegerField(
        default=15, validators=[MinValueValidator(5), MaxValueValidator(120)]
    )
    allow_staff_double_booking = models.BooleanField(
        default=False, help_text="Staff may deliberately double-book a provider (never online), after confirming."
    )
    online_min_notice_minutes = models.PositiveIntegerField(default=120, validators=[MaxValueValidator(60 * 24 * 14)])
    online_window_days = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic"], name="schedule_policy_one_per_clinic")]


class WorkingHours(TenantModel):
    """A weekly block of a provider's time at a location, in the location's wall-clock minutes.

    Several blocks a day are allowed; `break` blocks are cut out of the working blocks."""

    provider = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey("core.Location", on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)], help_text="0 = Monday")
    kind = models.CharField(max_length=8, choices=BlockKind.choices, default=BlockKind.WORK)
    start_minute = models.PositiveSmallIntegerField(validators=MINUTE_OF_DAY)
    end_minute = models.PositiveSmallIntegerField(validators=MINUTE_OF_DAY)

    class Meta:
        ordering = ["weekday", "start_minute"]
        indexes = [models.Index(fields=["clinic", "location", "provider"], name="hours_location_provider")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_minute__lt=models.F("end_minute")), name="hours_start_before_end"
            ),
        ]


class ScheduleException(TenantModel):
    """A dated change to a provider's week: time off (whole day when no minutes are given)
    or extra hours. Without a location it applies at every location."""

    provider = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey("core.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    kind = models.CharField(max_length=12, choices=ExceptionKind.choices)
    start_minute = models.PositiveSmallIntegerField(null=True, blank=True, validators=MINUTE_OF_DAY)
    end_minute = models.PositiveSmallIntegerField(null=True, blank=True, validators=MINUTE_OF_DAY)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date", "start_minute"]
        indexes = [models.Index(fields=["clinic", "date", "provider"], name="exception_date_provider")]


class Visit(SoftDeleteModel):
    """Appointments booked together for one patient (several services back to back)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=12, choices=BookingSource.choices, default=BookingSource.ADMIN)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class AppointmentSeries(TenantModel):
    """A recurring booking: every `interval_weeks` weeks, `count` times."""

    interval_weeks = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(52)])
    count = models.PositiveSmallIntegerField(validators=[MinValueValidator(2), MaxValueValidator(52)])
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class Appointment(SoftDeleteModel):
    """One service for one patient with one provider at a time and place.

    `start_at`/`end_at` are the service time (UTC); the buffers are cleanup time around it.
    What it occupies (provider, room, equipment, buffers included) lives in `Reservation`."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="appointments")
    series = models.ForeignKey(
        AppointmentSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    addons = models.ManyToManyField("catalog.Service", through="AppointmentAddon", related_name="+", blank=True)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey("catalog.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    buffer_before = models.PositiveSmallIntegerField(default=0)
    buffer_after = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=12, choices=BookingSource.choices, default=BookingSource.ADMIN)
    notes = models.TextField(blank=True, max_length=2000)
    cancellation_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    late_cancellation = models.BooleanField(
        default=False, help_text="Cancelled inside the clinic's notice window (the fee policy applies)."
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    double_booked = models.BooleanField(default=False, help_text="Deliberately booked over the provider's time.")
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["start_at"]
        indexes = [
            models.Index(fields=["clinic", "start_at"], name="appointment_start"),
            models.Index(fields=["clinic", "provider", "start_at"], name="appointment_provider_start"),
            models.Index(fields=["clinic", "patient", "start_at"], name="appointment_patient_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_at__lt=models.F("end_at")), name="appointment_start_before_end"
            )
        ]


class AppointmentAddon(TenantModel):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    duration_minutes = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "appointment", "service"], name="addon_once")]


class SlotHold(TenantModel):
    """Time kept for someone who is still booking (the online portal, a finish-your-booking
    link): its reservations block the engine exactly like an appointment's until `expires_at`.
    A hold becomes a visit (`booked`), is let go (`released`) or lapses (`expired`); after
    `expires_at` it blocks nothing even before the release job has run."""

    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    service_ids = models.JSONField(help_text="The visit's services, in order.")
    addon_ids = models.JSONField(default=list, blank=True)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    plan = models.JSONField(help_text="The placed appointments: minutes, buffers, room and equipment units.")
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.HELD)
    source = models.CharField(max_length=12, choices=BookingSource.choices, default=BookingSource.ONLINE)
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["start_at"]
        indexes = [
            models.Index(fields=["clinic", "start_at"], name="hold_start"),
            models.Index(fields=["clinic", "expires_at"], name="hold_live_expiry", condition=models.Q(status="held")),
        ]


class Reservation(TenantModel):
    """Time an appointment takes from one unit of one resource (a provider, a room, a piece of
    equipment), buffers included, in minutes since the Unix epoch (UTC) — the unit the
    availability engine computes in. Two active reservations of the same unit never overlap:
    PostgreSQL enforces it with an exclusion constraint (migration 0002); on SQLite booking
    writes are serialised (`BEGIN IMMEDIATE`) and checked inside the transaction.

    A reservation belongs to an appointment or to a hold; a hold's carries `expires_minute`
    and stops counting as busy from then on (the booking services release lapsed holds
    before they write, so the database constraint never meets one)."""

    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.CASCADE, related_name="reservations"
    )
    hold = models.ForeignKey(SlotHold, null=True, blank=True, on_delete=models.CASCADE, related_name="reservations")
    expires_minute = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=ResourceKind.choices)
    resource_id = models.UUIDField()
    unit = models.PositiveSmallIntegerField(default=0)
    start_minute = models.BigIntegerField()
    end_minute = models.BigIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        indexes = [
            # Busy-time reads: bounded on start_minute from both sides, index-only.
            models.Index(
                fields=["clinic", "start_minute", "end_minute", "resource_id", "unit", "kind"],
                name="reservation_busy",
                condition=models.Q(active=True),
            ),
            models.Index(fields=["clinic", "resource_id", "start_minute"], name="reservation_resource"),
            models.Index(
                fields=["clinic", "expires_minute"],
                name="reservation_hold_expiry",
                condition=models.Q(active=True, expires_minute__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_minute__lt=models.F("end_minute")), name="reservation_start_before_end"
            ),
            models.CheckConstraint(
                condition=models.Q(appointment__isnull=False, hold__isnull=True)
                | models.Q(appointment__isnull=True, hold__isnull=False),
                name="reservation_appointment_or_hold",
            ),
        ]


class AppointmentChange(TenantModel):
    """One reschedule: where and when the appointment was, and where it went."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_start = models.DateTimeField()
    from_end = models.DateTimeField()
    from_provider = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    from_room = models.ForeignKey("catalog.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_start = models.DateTimeField()
    to_end = models.DateTimeField()
    to_provider = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    to_room = models.ForeignKey("catalog.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]


class WaitlistEntry(TenantModel):
    """A patient waiting for a service, optionally with one provider, between two dates, at
    certain times of day. Openings are offered in the order entries joined."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    date_from = models.DateField()
    date_to = models.DateField()
    times_of_day = models.JSONField(default=list, blank=True, help_text="Empty: any time.")
    notes = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING)
    booked_appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["clinic", "status", "service", "date_to"], name="waitlist_open")]


class WaitlistOffer(TenantModel):
    """An opening offered to a waitlist entry (a notification record; messaging sends it)."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    provider = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    freed_by = models.ForeignKey(Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    booked = models.BooleanField(default=False)

    class Meta:
        ordering = ["start_at"]
        indexes = [models.Index(fields=["clinic", "start_at"], name="waitlist_offer_start")]


class CalendarFeed(TenantModel):
    """A provider's private iCalendar subscription URL. Only the token's hash is stored."""

    provider = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    show_patient_names = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
