from django.urls import path

from medspa.scheduling import settings_views, views

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

# The calendar and the Today page.
urlpatterns += [
    path("calendar/", views.calendar_view, name="scheduling_calendar"),
    path("calendar/hours/", views.calendar_hours_view, name="scheduling_calendar_hours"),
    path("calendar/book/", views.appointment_new_view, name="scheduling_appointment_new"),
    path("calendar/book/suggest/", views.appointment_suggest_view, name="scheduling_appointment_suggest"),
    path("calendar/book/patients/", views.calendar_patient_search_view, name="scheduling_patient_search"),
    path(
        "calendar/appointments/<uuid:appointment_id>/",
        views.appointment_detail_view,
        name="scheduling_appointment_detail",
    ),
    path(
        "calendar/appointments/<uuid:appointment_id>/status/",
        views.appointment_status_view,
        name="scheduling_appointment_status",
    ),
    path("today/", views.today_view, name="scheduling_today"),
]
