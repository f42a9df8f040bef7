"""Writes of scheduling: booking, moving, cancelling, status changes, recurring series,
provider schedules, the clinic's booking rules and the waitlist. Each function is one
transaction, checks the actor's permission, scopes by clinic and records an audit event."""

from medspa.scheduling.booking import as_datetime
from medspa.scheduling.services.appointments import (
    SeriesResult,
    appointment_cancel,
    appointment_move,
    appointment_set_status,
    book,
    book_series,
    booking_check,
    release_lapsed_holds,
    visit_move,
)
from medspa.scheduling.services.common import (
    BOOK,
    BOOK_OWN,
    MANAGE,
    PORTAL,
    BookingRequest,
    as_uuid,
    default_location,
    require_booking,
)
from medspa.scheduling.services.feeds import (
    CreatedFeed,
    feed_create,
    feed_record_read,
    feed_revoke,
    feed_set_patient_names,
)
from medspa.scheduling.services.holds import (
    HoldRequest,
    active_holds,
    hold_book,
    hold_place,
    hold_release,
    holds_expire,
)
from medspa.scheduling.services.schedules import Block, exception_add, exception_remove, hours_replace, policy_update
from medspa.scheduling.services.waitlist import book_offer, waitlist_join, waitlist_remove

__all__ = [
    "BOOK",
    "BOOK_OWN",
    "MANAGE",
    "PORTAL",
    "Block",
    "BookingRequest",
    "CreatedFeed",
    "HoldRequest",
    "SeriesResult",
    "active_holds",
    "appointment_cancel",
    "appointment_move",
    "appointment_set_status",
    "as_datetime",
    "as_uuid",
    "book",
    "book_offer",
    "book_series",
    "booking_check",
    "default_location",
    "exception_add",
    "exception_remove",
    "feed_create",
    "feed_record_read",
    "feed_revoke",
    "feed_set_patient_names",
    "hold_book",
    "hold_place",
    "hold_release",
    "holds_expire",
    "hours_replace",
    "policy_update",
    "release_lapsed_holds",
    "require_booking",
    "visit_move",
    "waitlist_join",
    "waitlist_remove",
]
