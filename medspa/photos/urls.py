from django.urls import path

from medspa.photos import views

app_name = "photos"

urlpatterns = [
    path("photos/compare/", views.photo_compare_view, name="photo_compare"),
    path("photos/<uuid:photo_id>/", views.photo_detail_view, name="photo_detail"),
    path("photos/<uuid:photo_id>/annotations/", views.photo_annotation_save_view, name="photo_annotation_save"),
    path("photos/<uuid:photo_id>/export/", views.photo_export_view, name="photo_export"),
    path("photos/<uuid:photo_id>/edit/", views.photo_update_view, name="photo_update"),
    path("photos/<uuid:photo_id>/delete/", views.photo_delete_view, name="photo_delete"),
    path("patients/<uuid:patient_id>/photos/upload/", views.patient_photo_upload_view, name="patient_photo_upload"),
    path("patients/<uuid:patient_id>/photos/capture/", views.photo_capture_view, name="photo_capture"),
    path("charts/<uuid:chart_id>/photos/", views.chart_photos_view, name="chart_photos"),
    path("charts/<uuid:chart_id>/photos/upload/", views.chart_photo_upload_view, name="chart_photo_upload"),
]
