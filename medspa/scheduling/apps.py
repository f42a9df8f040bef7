from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "medspa.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from medspa.patients.merge import register
        from medspa.scheduling import waitlist  # noqa: F401  (registers the opening handler)
        from medspa.scheduling.models import Appointment, Visit, WaitlistEntry

        # A merge moves the duplicate's appointments, visits and waitlist places to the survivor.
        for model in (Appointment, Visit, WaitlistEntry):
            register(model, "patient")
