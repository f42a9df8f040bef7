"""Writes of online booking: the patient's portal flow, the manage link, and the staff
side (settings, practitioner profiles, finish-your-booking links). Each function is one
transaction, scoped to one clinic, acting only with the capability it was given."""

from medspa.booking.services.branding import (
    branding_image_remove,
    branding_image_set,
    practitioner_photo_remove,
    practitioner_photo_set,
)
from medspa.booking.services.manage import is_late, manage_cancel, manage_reschedule
from medspa.booking.services.portal import (
    HeldBooking,
    alternatives,
    deposit_pay,
    policy_text,
    portal_hold,
    portal_release,
    portal_submit,
)
from medspa.booking.services.staff import (
    FinishLink,
    bookings_expire,
    link_cancel,
    link_create,
    profile_update,
    settings_save,
    settings_update,
)
from medspa.booking.services.waitlist import portal_waitlist_join

__all__ = [
    "FinishLink",
    "HeldBooking",
    "alternatives",
    "bookings_expire",
    "branding_image_remove",
    "branding_image_set",
    "deposit_pay",
    "is_late",
    "link_cancel",
    "link_create",
    "manage_cancel",
    "manage_reschedule",
    "policy_text",
    "portal_hold",
    "portal_release",
    "portal_submit",
    "portal_waitlist_join",
    "practitioner_photo_remove",
    "practitioner_photo_set",
    "profile_update",
    "settings_save",
    "settings_update",
]
