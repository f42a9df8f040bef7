"""The public booking portal's pages: services → practitioner → time → details → deposit → done."""

from django.urls import path

from medspa.booking import views

urlpatterns = [
    path("book/<slug:slug>/", views.services_view, name="booking_portal_services"),
    path("book/<slug:slug>/practitioner/", views.practitioner_view, name="booking_portal_practitioner"),
    path("book/<slug:slug>/time/", views.time_view, name="booking_portal_time"),
    path("book/<slug:slug>/times/", views.times_view, name="booking_portal_times"),
    path("book/<slug:slug>/hold/", views.hold_view, name="booking_portal_hold"),
    path("book/<slug:slug>/checkout/<uuid:booking_id>/", views.checkout_view, name="booking_portal_checkout"),
    path("book/<slug:slug>/pay/<uuid:booking_id>/", views.pay_view, name="booking_portal_pay"),
    path("book/<slug:slug>/done/<uuid:booking_id>/", views.done_view, name="booking_portal_done"),
    path("book/<slug:slug>/done/<uuid:booking_id>/calendar.ics", views.calendar_view, name="booking_portal_ics"),
    path("book/<slug:slug>/brand/<str:kind>/", views.brand_view, name="booking_portal_brand"),
    path(
        "book/<slug:slug>/practitioners/<uuid:user_id>/photo/",
        views.practitioner_photo_view,
        name="booking_portal_photo",
    ),
]
