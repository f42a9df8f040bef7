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

        # The patient profile's Appointments tab and timeline entries (patients never imports us).
        from medspa.patients.tabs import register_tab
        from medspa.patients.timeline import register_timeline_source
        from medspa.scheduling.profile_views import appointments_tab, can_see_appointments
        from medspa.scheduling.selectors import patient_timeline_entries

        register_tab("appointments", appointments_tab, visible=can_see_appointments)
        register_timeline_source("scheduling", patient_timeline_entries)
