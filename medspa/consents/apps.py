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
