"""The clinic's tablet (kiosk): staff start it for a patient, the patient fills in the queued
forms, staff unlock it with their password. See `kiosk_views`."""

from django.urls import path

from medspa.consents import kiosk_views as views

urlpatterns = [
    path("kiosk/", views.kiosk_view, name="kiosk"),
    path("kiosk/search/", views.kiosk_search_view, name="kiosk_search"),
    path("kiosk/start/", views.kiosk_start_view, name="kiosk_start"),
    path("kiosk/form/", views.kiosk_form_view, name="kiosk_form"),
    path("kiosk/form/save/", views.kiosk_form_save_view, name="kiosk_form_save"),
    path("kiosk/form/upload/", views.kiosk_form_upload_view, name="kiosk_form_upload"),
    path("kiosk/unlock/", views.kiosk_unlock_view, name="kiosk_unlock"),
]
