"""Charting settings: the medical director, templates and their builder, per-service rules."""

from django.urls import path

from medspa.charting import settings_views as views

urlpatterns = [
    path("settings/charting/", views.charting_settings_view, name="charting_settings"),
    path("settings/charting/services/", views.charting_services_view, name="charting_services"),
    path(
        "settings/charting/services/<uuid:service_id>/",
        views.charting_service_update_view,
        name="charting_service_update",
    ),
    path("settings/chart-templates/", views.chart_template_list_view, name="chart_template_list"),
    path("settings/chart-templates/new/", views.chart_template_new_view, name="chart_template_new"),
    path("settings/chart-templates/<uuid:template_id>/", views.chart_template_edit_view, name="chart_template_edit"),
    path(
        "settings/chart-templates/<uuid:template_id>/active/",
        views.chart_template_active_view,
        name="chart_template_active",
    ),
]
