"""Routing: pages from each app, the API, allauth (login, MFA) and a guarded admin."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from medspa.api import api_urls

# The Django admin signs in through allauth, so MFA and lockouts apply there too.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("api/", api_urls()),
    path("accounts/", include("allauth.urls")),
    path("ops/admin/", admin.site.urls),
    path("", include("medspa.accounts.urls")),
    path("", include("medspa.core.urls")),
    path("", include("medspa.patients.urls")),
    path("", include("medspa.catalog.urls")),
    path("", include("medspa.scheduling.urls")),
    path("", include("medspa.booking.urls")),
    path("", include("medspa.photos.urls")),
    path("", include("medspa.charting.urls")),
    path("", include("medspa.charting.review_urls")),
    path("", include("medspa.charting.settings_urls")),
    path("", include("medspa.charting.export_urls")),
    path("", include("medspa.consents.urls")),
    path("", include("medspa.consents.builder_urls")),
    path("", include("medspa.consents.patient_urls")),
    path("", include("medspa.consents.kiosk_urls")),
]

handler403 = "medspa.core.views.error_403_view"
handler404 = "medspa.core.views.error_404_view"
handler500 = "medspa.core.views.error_500_view"
