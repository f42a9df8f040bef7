"""The chart's printable PDF (charting.export_views)."""

from django.urls import path

from medspa.charting import export_views as views

urlpatterns = [
    path("charts/<uuid:chart_id>/pdf/", views.chart_pdf_view, name="chart_pdf"),
]
