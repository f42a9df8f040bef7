from django.urls import path

from medspa.patients import import_views, merge_views, settings_views, views

urlpatterns = [
    path("patients/", views.patients_list_view, name="patients_list"),
    path("patients/new/", views.patient_create_view, name="patient_create"),
    path("patients/<uuid:patient_id>/", views.patient_detail_view, name="patient_detail"),
    path("patients/<uuid:patient_id>/edit/", views.patient_edit_view, name="patient_edit"),
    path("patients/<uuid:patient_id>/contact/", views.patient_contact_edit_view, name="patient_contact_edit"),
    path("patients/<uuid:patient_id>/overview/", views.patient_detail_view, name="patient_overview"),
    path("patients/<uuid:patient_id>/timeline/", views.patient_timeline_view, name="patient_timeline"),
    path(
        "patients/<uuid:patient_id>/communications/",
        views.patient_communications_view,
        name="patient_communications",
    ),
    path(
        "patients/<uuid:patient_id>/communications/log/",
        views.patient_communication_create_view,
        name="patient_communication_create",
    ),
    path("patients/<uuid:patient_id>/family/", views.patient_family_view, name="patient_family"),
    path("patients/<uuid:patient_id>/family/search/", views.patient_family_search_view, name="patient_family_search"),
    path(
        "patients/<uuid:patient_id>/family/add/",
        views.patient_relationship_create_view,
        name="patient_relationship_create",
    ),
    path("patients/<uuid:patient_id>/photo/", views.patient_photo_view, name="patient_photo"),
    path("patients/<uuid:patient_id>/photo/remove/", views.patient_photo_remove_view, name="patient_photo_remove"),
    path("patients/<uuid:patient_id>/merge/", merge_views.patient_merge_pick_view, name="patient_merge_pick"),
    path(
        "patients/<uuid:patient_id>/merge/<uuid:duplicate_id>/",
        merge_views.patient_merge_view,
        name="patient_merge",
    ),
    path("settings/tags/", settings_views.settings_tags_view, name="settings_tags"),
    path("settings/tags/<uuid:tag_id>/", settings_views.settings_tag_edit_view, name="settings_tag_edit"),
    path("settings/tags/<uuid:tag_id>/delete/", settings_views.settings_tag_delete_view, name="settings_tag_delete"),
    path("settings/import/", import_views.settings_import_view, name="settings_import"),
    path("settings/import/<uuid:import_id>/", import_views.settings_import_job_view, name="settings_import_job"),
    path(
        "patients/<uuid:patient_id>/family/remove/",
        views.patient_relationship_delete_view,
        name="patient_relationship_delete",
    ),
]
urlpatterns += [
    path(f"patients/<uuid:patient_id>/{tab}/", views.patient_tab_unavailable_view, {"tab": tab}, name=f"patient_{tab}")
    for tab in views.UNBUILT_TABS
]
