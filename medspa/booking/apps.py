from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "medspa.booking"
    label = "booking"
    verbose_name = "Online booking"

    def ready(self) -> None:
        from medspa.booking import notifications, tasks  # noqa: F401 - registers outbox handlers and jobs
        from medspa.booking.models import OnlineBooking
        from medspa.patients.merge import register

        # A merge moves the duplicate's online bookings to the survivor.
        register(OnlineBooking, "patient")
