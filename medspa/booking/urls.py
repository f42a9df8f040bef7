"""Routes of online booking: the public portal, the patient's manage and finish links, and
the staff pages."""

from django.urls import include, path

urlpatterns = [
    path("", include("medspa.booking.portal_urls")),
    path("", include("medspa.booking.manage_urls")),
    path("", include("medspa.booking.staff_urls")),
    path("", include("medspa.booking.link_urls")),
]
