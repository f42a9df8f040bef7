from django.urls import path

from medspa.accounts import views

urlpatterns = [
    path("clinic/switch/", views.clinic_switch_view, name="clinic_switch"),
    path("session/keepalive/", views.session_keepalive_view, name="session_keepalive"),
    path("session/status/", views.session_status_view, name="session_status"),
    path("settings/staff/", views.settings_staff_view, name="settings_staff"),
    path("settings/staff/<uuid:membership_id>/role/", views.settings_member_role_view, name="settings_member_role"),
    path(
        "settings/staff/<uuid:membership_id>/deactivate/",
        views.settings_member_deactivate_view,
        name="settings_member_deactivate",
    ),
    path(
        "settings/staff/<uuid:membership_id>/reset-mfa/",
        views.settings_member_reset_mfa_view,
        name="settings_member_reset_mfa",
    ),
    path(
        "settings/invitations/<uuid:invitation_id>/revoke/",
        views.settings_invitation_revoke_view,
        name="settings_invitation_revoke",
    ),
    path("invite/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
]
