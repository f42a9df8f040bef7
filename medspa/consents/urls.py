"""Staff pages of forms and consents (consents.views): the dashboard, the submission viewer
and its PDF, revocation, profile review, and sending forms."""

from django.urls import path

from medspa.consents import views

urlpatterns = [
    path("consents/", views.consents_dashboard_view, name="consents_dashboard"),
    path(
        "consents/appointments/<uuid:appointment_id>/send/",
        views.appointment_forms_send_view,
        name="consents_appointment_send",
    ),
    path("consents/submissions/<uuid:submission_id>/", views.submission_detail_view, name="consents_submission"),
    path("consents/submissions/<uuid:submission_id>/pdf/", views.submission_pdf_view, name="consents_submission_pdf"),
    path(
        "consents/submissions/<uuid:submission_id>/revoke/",
        views.submission_revoke_view,
        name="consents_submission_revoke",
    ),
    path(
        "consents/submissions/<uuid:submission_id>/profile/",
        views.submission_profile_review_view,
        name="consents_submission_profile",
    ),
    path("consents/patients/<uuid:patient_id>/send/", views.patient_form_send_view, name="consents_patient_send"),
    path("consents/links/<uuid:form_link_id>/cancel/", views.form_link_cancel_view, name="consents_link_cancel"),
]
