"""Routes of the patient's own pages: the manage link, the finish-your-booking link and the
waitlist. All public; see `manage_views`."""

from django.urls import path

from medspa.booking import manage_views as views

urlpatterns = [
    path("book/manage/<str:token>/", views.booking_manage_view, name="booking_manage"),
    path("book/manage/<str:token>/calendar.ics", views.booking_manage_calendar_view, name="booking_manage_calendar"),
    path("book/manage/<str:token>/cancel/", views.booking_manage_cancel_view, name="booking_manage_cancel"),
    path("book/manage/<str:token>/reschedule/", views.booking_manage_reschedule_view, name="booking_manage_reschedule"),
    path("book/finish/<str:token>/", views.booking_finish_view, name="booking_finish"),
    path("book/<slug:slug>/waitlist/", views.booking_waitlist_view, name="booking_waitlist"),
]
