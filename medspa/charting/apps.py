from django.apps import AppConfig


class ChartingConfig(AppConfig):
    name = "medspa.charting"
    label = "charting"
    verbose_name = "Charting"

    def ready(self) -> None:
        # The sidebar's "Sign-off" badge: charts waiting for the medical director (core
        # never imports us; it asks the registered callback).
        from medspa.charting.selectors import review_queue_count
        from medspa.core.navigation import register_badge

        register_badge("signoff", lambda actor: review_queue_count(actor=actor))

        # The patient profile's Charts tab and timeline entries (patients never imports us).
        from medspa.charting.profile import can_see_charts, charts_tab, patient_timeline_entries
        from medspa.patients.tabs import register_tab
        from medspa.patients.timeline import register_timeline_source

        register_tab("charts", charts_tab, visible=can_see_charts)
        register_timeline_source("charting", patient_timeline_entries)

        # A merge leaves charts on the profile they were written for (a signature binds the
        # patient id); the survivor's Charts tab reads them through patient_record_ids.
        from medspa.charting.models import Chart
        from medspa.patients.merge import keep_in_place, register

        register(Chart, "patient", keep_in_place)
