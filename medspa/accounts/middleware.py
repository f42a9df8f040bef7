"""Per-request staff context: the actor, session lifetime rules and required MFA."""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from medspa.accounts import sessions
from medspa.accounts.selectors import actor_for_user
from medspa.core.audit import audit_record
from medspa.core.errors import error_body
from medspa.core.middleware import wants_json

# Paths a signed-in user may reach while enrolment in MFA is pending.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/session/", "/favicon")


def _is_api_bearer(request: HttpRequest) -> bool:
    return request.headers.get("Authorization", "").startswith("Bearer ")


class ActorMiddleware:
    """Resolve `request.actor` (and `request.memberships`) for signed-in staff sessions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = None
        request.memberships = []
        if request.user.is_authenticated and not _is_api_bearer(request):
            actor, memberships = actor_for_user(request.user, request.session.get(sessions.ACTIVE_CLINIC_KEY))
            request.actor, request.memberships = actor, memberships
        if request.actor is None:
            return self.get_response(request)
        # Pages show times in the clinic's zone (locations refine it where they matter).
        with timezone.override(zoneinfo.ZoneInfo(request.actor.clinic.timezone)):
            return self.get_response(request)


class SessionPolicyMiddleware:
    """End sessions past the 12-hour limit or idle longer than the clinic allows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not _is_api_bearer(request):
            actor = request.actor
            idle = actor.clinic.session_idle_minutes if actor else 15
            reason = sessions.expired_reason(request.session, idle)
            if reason:
                return self._end(request, reason)
            if not request.path.startswith("/session/status"):
                sessions.touch(request.session)
        return self.get_response(request)

    @staticmethod
    def _end(request: HttpRequest, reason: str) -> HttpResponse:
        actor = request.actor
        audit_record(
            action=f"auth.session_{reason}_timeout",
            actor=actor,
            clinic=actor.clinic if actor else None,
            actor_label=request.user.email,
        )
        logout(request)
        request.actor = None
        detail = "Your session ended after inactivity." if reason == "idle" else "Your session reached its time limit."
        if wants_json(request):
            return JsonResponse(error_body(detail, "session_expired"), status=401)
        messages.info(request, detail + " Please sign in again.")
        login_url = reverse("account_login")
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
            return response
        return redirect(f"{login_url}?next={request.path}")


class MfaRequiredMiddleware:
    """Close allauth's gap: a clinic requiring MFA forces enrolment and verified sessions.

    A member of a clinic that requires MFA, without an authenticator, is sent to enrol
    before anything else. A user who has MFA but whose session never proved it (signed in
    before enrolling elsewhere) must sign in again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated or _is_api_bearer(request) or request.path.startswith(MFA_EXEMPT_PREFIXES):
            return self.get_response(request)
        has_mfa = sessions.user_has_mfa(request.user)
        if has_mfa and not sessions.mfa_verified(request):
            logout(request)
            return self._refuse(
                request, "Sign in again with your second factor.", "mfa_verification_required", reverse("account_login")
            )
        actor = request.actor
        if actor is not None and actor.clinic.require_mfa and not has_mfa:
            return self._refuse(
                request,
                f"{actor.clinic.name} requires two-factor authentication. Set it up to continue.",
                "mfa_enrollment_required",
                reverse("mfa_activate_totp"),
            )
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, detail: str, code: str, url: str) -> HttpResponse:
        if wants_json(request):
            return JsonResponse(error_body(detail, code), status=403)
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        messages.warning(request, detail)
        return redirect(url)
