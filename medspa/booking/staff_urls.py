"""Staff pages of online booking: Settings → Online booking (settings, branding images and
practitioners' public profiles)."""

from django.urls import path

from medspa.booking import staff_views

urlpatterns = [
    path("settings/online-booking/", staff_views.settings_online_booking_view, name="settings_online_booking"),
    path(
        "settings/online-booking/branding/",
        staff_views.settings_online_booking_branding_view,
        name="settings_online_booking_branding",
    ),
    path(
        "settings/online-booking/practitioners/<uuid:provider_id>/",
        staff_views.settings_practitioner_profile_view,
        name="settings_practitioner_profile",
    ),
    path(
        "settings/online-booking/practitioners/<uuid:provider_id>/photo/",
        staff_views.settings_practitioner_photo_view,
        name="settings_practitioner_photo",
    ),
]
