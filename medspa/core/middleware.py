"""Request plumbing shared by every app: request facts, body limits, domain errors."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from medspa.core.context import RequestInfo, reset_request_info, set_request_info
from medspa.core.errors import DomainError, PermissionDenied, ServiceUnavailable, error_body


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


class RequestContextMiddleware:
    """Expose the caller's IP, user agent and a request id to the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        token = set_request_info(
            RequestInfo(ip=client_ip(request), user_agent=request.headers.get("User-Agent", ""), request_id=request_id)
        )
        try:
            response = self.get_response(request)
        finally:
            reset_request_info(token)
        response["X-Request-ID"] = request_id
        return response


class BodySizeLimitMiddleware:
    """Refuse request bodies above MAX_REQUEST_BODY_BYTES (or the path's allowance in
    LARGE_BODY_PATHS / LARGE_BODY_PATTERNS) with 413 before reading them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.LARGE_BODY_PATHS.get(request.path_info) or next(
            (size for pattern, size in settings.LARGE_BODY_PATTERNS.items() if re.match(pattern, request.path_info)),
            settings.MAX_REQUEST_BODY_BYTES,
        )
        if length > limit:
            detail = f"The request body is larger than {limit} bytes."
            if wants_json(request):
                return JsonResponse(error_body(detail, "payload_too_large"), status=413)
            return HttpResponse(detail, status=413, content_type="text/plain")
        return self.get_response(request)


class DomainErrorMiddleware:
    """Turn a `DomainError` escaping a page view into its status, and audit denials."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            # The database went away mid-request: the transaction rolled back; say so cleanly.
            exception = ServiceUnavailable()
        if not isinstance(exception, DomainError):
            return None
        if isinstance(exception, PermissionDenied):
            record_denial(request, exception)
        if wants_json(request):
            return JsonResponse(error_body(exception.detail, exception.code, exception.fields), status=exception.status)
        from django.shortcuts import render

        return render(
            request,
            "errors/error.html",
            {"status": exception.status, "message": exception.detail},
            status=exception.status,
        )


def record_denial(request: HttpRequest, exception: PermissionDenied) -> None:
    """Write the audit event for a refused action (after the failed transaction rolled back)."""
    from medspa.core.audit import audit_record
    from medspa.core.choices import AuditOutcome

    actor = getattr(request, "actor", None)
    audit_record(
        action="permission.denied",
        actor=actor,
        outcome=AuditOutcome.DENIED,
        summary=f"{request.method} {request.path}"[:300],
        changes={"permission": exception.permission},
    )


# The session flag of a browser handed to a patient (kiosk mode), set and cleared by the
# kiosk pages. Core knows only the flag and the paths a locked session may still reach.
KIOSK_SESSION_KEY = "kiosk_lock"
KIOSK_HOME = "/kiosk/"
KIOSK_OPEN_PREFIXES = ("/kiosk/", "/f/", settings.STATIC_URL, "/favicon")


class KioskLockMiddleware:
    """A session in kiosk mode reaches only the kiosk pages, form links and static files:
    any other page sends it back to the kiosk screen and any other call is refused (403),
    so the patient holding the tablet never sees the staff member's pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None or not session.get(KIOSK_SESSION_KEY) or request.path.startswith(KIOSK_OPEN_PREFIXES):
            return self.get_response(request)
        detail = "This device is in kiosk mode. Ask a staff member to unlock it."
        if wants_json(request):
            return JsonResponse(error_body(detail, "kiosk_locked"), status=403)
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = KIOSK_HOME
            return response
        response = HttpResponse(status=302 if request.method in ("GET", "HEAD") else 303)
        response["Location"] = KIOSK_HOME
        return response
