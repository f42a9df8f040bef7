from django.urls import path

from medspa.catalog import views

urlpatterns = [
    path("settings/services/", views.settings_services_view, name="settings_services"),
    path("settings/services/new/", views.service_create_view, name="service_create"),
    path("settings/services/<uuid:service_id>/", views.service_edit_view, name="service_edit"),
    path("settings/services/<uuid:service_id>/archive/", views.service_archive_view, name="service_archive"),
    path("settings/categories/", views.settings_categories_view, name="settings_categories"),
    path("settings/categories/<uuid:category_id>/", views.category_edit_view, name="category_edit"),
    path("settings/categories/<uuid:category_id>/delete/", views.category_delete_view, name="category_delete"),
    path("settings/rooms/", views.settings_rooms_view, name="settings_rooms"),
    path("settings/rooms/new/", views.room_create_view, name="room_create"),
    path("settings/rooms/<uuid:room_id>/", views.room_edit_view, name="room_edit"),
    path("settings/rooms/<uuid:room_id>/archive/", views.room_archive_view, name="room_archive"),
    path("settings/equipment/new/", views.equipment_create_view, name="equipment_create"),
    path("settings/equipment/<uuid:equipment_id>/", views.equipment_edit_view, name="equipment_edit"),
    path("settings/equipment/<uuid:equipment_id>/archive/", views.equipment_archive_view, name="equipment_archive"),
    path("settings/tax-rates/", views.settings_tax_rates_view, name="settings_tax_rates"),
    path("settings/tax-rates/new/", views.tax_rate_create_view, name="tax_rate_create"),
    path("settings/tax-rates/<uuid:tax_rate_id>/", views.tax_rate_edit_view, name="tax_rate_edit"),
    path("settings/tax-rates/<uuid:tax_rate_id>/archive/", views.tax_rate_archive_view, name="tax_rate_archive"),
]
