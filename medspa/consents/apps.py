from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "medspa.consents"
    label = "consents"
    verbose_name = "Forms and consents"

    def ready(self) -> None:
        # Charts check the appointment's required consents before signing (charting never
        # imports us; it asks the registered check).
        from medspa.charting.checklist import register_sign_check
        from medspa.consents.guard import consent_check

        register_sign_check("consents", consent_check)

        # The calendar, Today list and appointment card mark each appointment's consents.
        from medspa.consents.guard import appointment_consent_flags
        from medspa.scheduling.hooks import register_appointment_flags

        register_appointment_flags(appointment_consent_flags)

        # A booked visit sends the patient the forms it still needs.
        from medspa.consents.services.links import forms_send_for_visit
        from medspa.scheduling.hooks import after_visit_booked

        @after_visit_booked
        def _send_forms(*, actor, visit, appointments):
            forms_send_for_visit(clinic=visit.clinic, appointments=appointments)

        # Submissions, links and revocations stay on the profile they were made for (a
        # submission's hash binds the patient id); the survivor reads them through merges.
        from medspa.consents.models import FormLink, FormRevocation, FormSubmission
        from medspa.patients.merge import keep_in_place, register

        for model in (FormSubmission, FormLink, FormRevocation):
            register(model, "patient", keep_in_place)

        # The profile's Consents tab and timeline entries (patients never imports us), and
        # the sidebar's "Consents" badge: answers waiting to update a profile, for those who
        # may apply them (core never imports us either).
        from medspa.consents.profile import can_see_consents, consents_tab, patient_timeline_entries, review_badge
        from medspa.core.navigation import register_badge
        from medspa.patients.tabs import register_tab
        from medspa.patients.timeline import register_timeline_source

        register_tab("consents", consents_tab, visible=can_see_consents)
        register_timeline_source("consents", patient_timeline_entries)
        register_badge("consents", review_badge)
