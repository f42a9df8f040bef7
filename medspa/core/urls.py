from django.urls import path

from medspa.core import file_views, views
from medspa.core.navigation import SECTIONS

urlpatterns = [
    path("", views.home_view, name="home"),
    path("healthz", views.healthz_view, name="healthz"),
    path("settings/", views.settings_clinic_view, name="settings_clinic"),
    path("settings/locations/", views.settings_locations_view, name="settings_locations"),
    path("settings/locations/<uuid:location_id>/", views.settings_location_edit_view, name="settings_location_edit"),
    path("settings/audit/", views.settings_audit_view, name="settings_audit"),
    path("files/<str:token>/", file_views.file_download_view, name="file_download"),
]
urlpatterns += [
    path(f"{section.key}/", views.section_view_for(section.key), name=section.url_name)
    for section in SECTIONS
    if not section.built
]
