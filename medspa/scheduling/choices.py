"""Appointment statuses and their transitions, booking sources, waitlist states."""

from django.db import models


class AppointmentStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    SCHEDULED = "scheduled", "Scheduled"
    CONFIRMED = "confirmed", "Confirmed"
    ARRIVED = "arrived", "Arrived"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


S = AppointmentStatus
# Where each status may go next. Cancelled and no-show are reachable from the open states.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.SCHEDULED, S.CONFIRMED, S.CANCELLED, S.NO_SHOW}),
    S.SCHEDULED: frozenset({S.CONFIRMED, S.ARRIVED, S.CANCELLED, S.NO_SHOW}),
    S.CONFIRMED: frozenset({S.ARRIVED, S.CANCELLED, S.NO_SHOW}),
    S.ARRIVED: frozenset({S.IN_PROGRESS, S.COMPLETED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}
OPEN_STATUSES = frozenset({S.REQUESTED, S.SCHEDULED, S.CONFIRMED})
# Statuses that hold the time: the provider, room and equipment cannot be booked over them.
ACTIVE_STATUSES = frozenset({S.REQUESTED, S.SCHEDULED, S.CONFIRMED, S.ARRIVED, S.IN_PROGRESS, S.COMPLETED})
# Statuses whose time, place or people can still change.
MOVABLE_STATUSES = frozenset({S.REQUESTED, S.SCHEDULED, S.CONFIRMED, S.ARRIVED})


class BookingSource(models.TextChoices):
    ONLINE = "online", "Online"
    ADMIN = "admin", "Front desk"
    PHONE = "phone", "Phone"
    WALK_IN = "walk_in", "Walk-in"
    ASSISTANT = "assistant", "Assistant"


class HoldStatus(models.TextChoices):
    HELD = "held", "Held"
    BOOKED = "booked", "Booked"
    RELEASED = "released", "Released"
    EXPIRED = "expired", "Expired"


class ResourceKind(models.TextChoices):
    PROVIDER = "provider", "Provider"
    ROOM = "room", "Room"
    EQUIPMENT = "equipment", "Equipment"


class ExceptionKind(models.TextChoices):
    TIME_OFF = "time_off", "Time off"
    EXTRA_HOURS = "extra_hours", "Extra hours"


class BlockKind(models.TextChoices):
    WORK = "work", "Working hours"
    BREAK = "break", "Break"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered a time"
    BOOKED = "booked", "Booked"
    REMOVED = "removed", "Removed"


class TimeOfDay(models.TextChoices):
    MORNING = "morning", "Morning (before 12:00)"
    AFTERNOON = "afternoon", "Afternoon (12:00–17:00)"
    EVENING = "evening", "Evening (after 17:00)"


TIME_OF_DAY_MINUTES = {
    TimeOfDay.MORNING: (0, 12 * 60),
    TimeOfDay.AFTERNOON: (12 * 60, 17 * 60),
    TimeOfDay.EVENING: (17 * 60, 24 * 60),
}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# The longest time one reservation may block (service, add-ons and buffers). Busy-time reads
# bound `start_at` below by the window start minus this, so old rows cost nothing.
MAX_BLOCK_MINUTES = 12 * 60
