from django.urls import path

from medspa.charting import views

urlpatterns = [
    path(
        "appointments/<uuid:appointment_id>/chart/",
        views.chart_open_for_appointment_view,
        name="chart_open_for_appointment",
    ),
    path("patients/<uuid:patient_id>/charts/new/", views.chart_new_view, name="chart_new"),
    path("charts/<uuid:chart_id>/", views.chart_detail_view, name="chart_detail"),
    path("charts/<uuid:chart_id>/guard/", views.chart_guard_acknowledge_view, name="chart_guard_acknowledge"),
    path("charts/<uuid:chart_id>/checklist/", views.chart_checklist_view, name="chart_checklist"),
    path("charts/<uuid:chart_id>/sign/", views.chart_sign_view, name="chart_sign"),
    path("charts/<uuid:chart_id>/reply/", views.chart_reply_view, name="chart_reply"),
    path("charts/<uuid:chart_id>/lock/", views.chart_lock_view, name="chart_lock"),
    path("charts/<uuid:chart_id>/amend/", views.chart_amend_view, name="chart_amend"),
    path("charts/<uuid:chart_id>/discard/", views.chart_delete_view, name="chart_delete"),
]
