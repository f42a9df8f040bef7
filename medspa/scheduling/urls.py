from django.urls import path

from medspa.scheduling import settings_views

urlpatterns = [
    path("settings/schedules/", settings_views.settings_schedules_view, name="settings_schedules"),
    path("settings/schedules/<uuid:provider_id>/hours/", settings_views.schedule_hours_view, name="schedule_hours"),
    path(
        "settings/schedules/<uuid:provider_id>/exceptions/",
        settings_views.schedule_exception_add_view,
        name="schedule_exception_add",
    ),
    path(
        "settings/schedules/exceptions/<uuid:exception_id>/remove/",
        settings_views.schedule_exception_remove_view,
        name="schedule_exception_remove",
    ),
    path("settings/booking-rules/", settings_views.settings_booking_rules_view, name="settings_booking_rules"),
]
