"""States of an online booking, deposits and notifications; the portal's limits."""

from django.db import models


class BookingKind(models.TextChoices):
    PORTAL = "portal", "Booking portal"
    LINK = "link", "Finish-your-booking link"


class BookingState(models.TextChoices):
    HOLDING = "holding", "Time held"
    AWAITING_PAYMENT = "awaiting_payment", "Awaiting deposit"
    REQUESTED = "requested", "Awaiting approval"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Expired"
    RELEASED = "released", "Released"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATES = frozenset({BookingState.HOLDING, BookingState.AWAITING_PAYMENT})
DONE_STATES = frozenset({BookingState.BOOKED, BookingState.REQUESTED})


class DepositStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Paid"
    FAILED = "failed", "Declined"


class NotificationKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Booking confirmed"
    REQUESTED = "requested", "Booking awaiting approval"
    APPROVED = "approved", "Booking approved"
    CANCELLED = "cancelled", "Booking cancelled"
    RESCHEDULED = "rescheduled", "Booking rescheduled"
    FINISH_LINK = "finish_link", "Finish-your-booking link"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    WAITING_FOR_CHANNEL = "waiting", "Waiting for the messaging module"


DEFAULT_POLICY = (
    "We hold this time for you. If you need to cancel or reschedule, please do so at least "
    "{hours} hours before your appointment. Cancellations inside that window and missed "
    "appointments may be charged a fee and forfeit any deposit."
)
# Portal limits (SECURITY AUTH-2): requests per IP per minute on hold and booking writes,
# bookings per phone number or email per hour, live holds per browser session.
HOLDS_PER_SESSION = 3
WRITES_PER_IP_PER_MINUTE = 20
READS_PER_IP_PER_MINUTE = 160
BOOKINGS_PER_CONTACT_PER_HOUR = 5
