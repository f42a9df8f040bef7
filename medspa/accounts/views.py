"""Staff pages: clinic switcher, session keep-alive, staff settings, invitation acceptance."""

from __future__ import annotations

import time

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from medspa.accounts import selectors, services, sessions
from medspa.accounts.forms import AcceptInvitationForm, InviteForm, RoleForm
from medspa.core.access import authenticated_only, public, requires
from medspa.core.errors import DomainError, NotFound
from medspa.core.http import render_page, run_action
from medspa.core.views import form_with_errors


@authenticated_only
@require_POST
def clinic_switch_view(request: HttpRequest) -> HttpResponse:
    services.clinic_switch(request=request, user=request.user, clinic_id=request.POST.get("clinic_id", ""))
    return redirect("home")


@authenticated_only
@require_POST
def session_keepalive_view(request: HttpRequest) -> HttpResponse:
    """Extend an idle session when the person answers the inactivity warning."""
    request.session[sessions.LAST_SEEN_KEY] = int(time.time())
    return HttpResponse(status=204)


@authenticated_only
def session_status_view(request: HttpRequest) -> JsonResponse:
    """Seconds left before the idle timeout (does not extend the session)."""
    actor = request.actor
    idle = (actor.clinic.session_idle_minutes if actor else 15) * 60
    left = idle - (time.time() - request.session.get(sessions.LAST_SEEN_KEY, time.time()))
    return JsonResponse({"seconds_left": max(0, int(left))})


@requires("users.manage")
def settings_staff_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    invite_form = InviteForm(request.POST or None)
    if request.method == "POST" and invite_form.is_valid():
        try:
            services.invitation_create(actor=actor, **invite_form.cleaned_data)
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            form_with_errors(invite_form, exc)
        else:
            messages.success(request, f"Invitation sent to {invite_form.cleaned_data['email']}.")
            return redirect("settings_staff")
    context = {
        "members": selectors.clinic_staff(actor=actor),
        "invitations": selectors.clinic_invitations(actor=actor),
        "invite_form": invite_form,
        "role_choices": RoleForm.base_fields["role"].choices,
        "tab": "staff",
    }
    return render_page(request, "accounts/settings/staff.html", context)


@requires("users.manage")
@require_POST
def settings_member_role_view(request: HttpRequest, membership_id) -> HttpResponse:
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
    else:
        role = form.cleaned_data["role"]
        run_action(
            request,
            lambda: services.membership_change_role(actor=request.actor, membership_id=membership_id, role=role),
            "Role updated.",
        )
    return redirect("settings_staff")


@requires("users.manage")
@require_POST
def settings_member_deactivate_view(request: HttpRequest, membership_id) -> HttpResponse:
    run_action(
        request,
        lambda: services.membership_deactivate(actor=request.actor, membership_id=membership_id),
        "Access removed.",
    )
    return redirect("settings_staff")


@requires("users.reset_mfa")
@require_POST
def settings_member_reset_mfa_view(request: HttpRequest, membership_id) -> HttpResponse:
    run_action(
        request,
        lambda: services.membership_reset_mfa(actor=request.actor, membership_id=membership_id),
        "Two-factor authentication reset: they will set it up again at their next sign-in.",
    )
    return redirect("settings_staff")


@requires("users.manage")
@require_POST
def settings_invitation_revoke_view(request: HttpRequest, invitation_id) -> HttpResponse:
    services.invitation_revoke(actor=request.actor, invitation_id=invitation_id)
    messages.success(request, "Invitation withdrawn.")
    return redirect("settings_staff")


@public
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Join a clinic from an emailed link: set up an account, or accept while signed in."""
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        raise NotFound("This invitation has expired or was already used.")
    user = request.user if request.user.is_authenticated else None
    form = AcceptInvitationForm(request.POST or None) if user is None else None
    if request.method == "POST" and (user is not None or form.is_valid()):
        try:
            data = form.cleaned_data if form is not None else {}
            services.invitation_accept(invitation=invitation, user=user, **data)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            if form is None:
                messages.error(request, exc.detail)
            else:
                form_with_errors(form, exc)
        else:
            messages.success(request, f"Welcome to {invitation.clinic.name}. Sign in to continue.")
            return redirect(reverse("home") if user else reverse("account_login"))
    return render(
        request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form, "user_signed_in": user}
    )
