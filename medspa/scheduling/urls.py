from django.urls import path

from medspa.scheduling import feed_views, settings_views, views, waitlist_views

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

# The waitlist.
urlpatterns += [
    path("waitlist/", waitlist_views.waitlist_view, name="scheduling_waitlist"),
    path("waitlist/join/", waitlist_views.waitlist_join_view, name="waitlist_join"),
    path("waitlist/patients/", waitlist_views.waitlist_patient_search_view, name="waitlist_patient_search"),
    path("waitlist/<uuid:entry_id>/remove/", waitlist_views.waitlist_remove_view, name="waitlist_remove"),
    path("waitlist/offers/<uuid:offer_id>/book/", waitlist_views.waitlist_offer_book_view, name="waitlist_offer_book"),
]

# Providers' calendar feeds (the .ics route is public: the token is the credential).
urlpatterns += [
    path("calendar/feed/<str:token>.ics", feed_views.calendar_feed_view, name="calendar_feed"),
    path("settings/calendar-feed/", feed_views.calendar_feed_settings_view, name="settings_calendar_feed"),
    path(
        "settings/calendar-feed/<uuid:feed_id>/revoke/",
        feed_views.calendar_feed_revoke_view,
        name="calendar_feed_revoke",
    ),
    path(
        "settings/calendar-feed/<uuid:feed_id>/names/",
        feed_views.calendar_feed_names_view,
        name="calendar_feed_names",
    ),
]
