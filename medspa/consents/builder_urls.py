"""Forms & consents settings: the clinic's forms, the builder, versions and requirements."""

from django.urls import path

from medspa.consents import builder_views as views

urlpatterns = [
    path("settings/forms/", views.consent_form_list_view, name="consent_form_list"),
    path("settings/forms/install/", views.consent_form_install_view, name="consent_form_install"),
    path("settings/forms/new/", views.consent_form_new_view, name="consent_form_new"),
    path("settings/forms/<uuid:form_id>/", views.consent_form_edit_view, name="consent_form_edit"),
    path("settings/forms/<uuid:form_id>/publish/", views.consent_form_publish_view, name="consent_form_publish"),
    path("settings/forms/<uuid:form_id>/discard/", views.consent_form_discard_view, name="consent_form_discard"),
    path("settings/forms/<uuid:form_id>/active/", views.consent_form_active_view, name="consent_form_active"),
    path(
        "settings/forms/<uuid:form_id>/requirements/",
        views.consent_form_requirements_view,
        name="consent_form_requirements",
    ),
    path(
        "settings/forms/<uuid:form_id>/versions/<int:number>/",
        views.consent_form_version_view,
        name="consent_form_version",
    ),
]
