"""Staff routes of online booking on the calendar: hold blocks and finish-your-booking links."""

from django.urls import path

from medspa.booking import link_views

urlpatterns = [
    path("calendar/holds/", link_views.calendar_holds_view, name="booking_calendar_holds"),
    path("calendar/links/", link_views.links_view, name="booking_links"),
    path("calendar/links/withdraw/", link_views.link_withdraw_view, name="booking_link_withdraw"),
]
