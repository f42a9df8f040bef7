"""Background jobs of online booking."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from medspa.booking.services import bookings_expire


@db_periodic_task(crontab(minute="*"))
def booking_holds_expire() -> int:
    """Every minute: lapsed holds give their time back and their bookings become expired."""
    return bookings_expire()
