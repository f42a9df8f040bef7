"""The patient's form link: the form, its autosave and photo uploads, and withdrawing a
submitted consent. All public; the token is the capability (see `patient_views`)."""

from django.urls import path

from medspa.consents import patient_views as views

urlpatterns = [
    path("f/<str:token>/", views.consent_form_view, name="consent_form"),
    path("f/<str:token>/save/", views.consent_form_save_view, name="consent_form_save"),
    path("f/<str:token>/upload/", views.consent_form_upload_view, name="consent_form_upload"),
    path("f/<str:token>/withdraw/", views.consent_form_withdraw_view, name="consent_form_withdraw"),
]
