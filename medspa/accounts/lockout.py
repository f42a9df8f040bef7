"""Brute-force protection glue for django-axes: how to name the account, what to answer."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from medspa.core.errors import error_body
from medspa.core.middleware import wants_json

LOCKOUT_DETAIL = "Too many failed sign-in attempts. Try again in 15 minutes."


def username_from_request(request: HttpRequest, credentials: dict | None) -> str:
    """The attempted account: API credentials use `email`, the sign-in form `login`."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login") or request.POST.get("email")
    return (value or "").strip().lower()


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse(error_body(LOCKOUT_DETAIL, "locked_out"), status=429)
    return render(request, "errors/error.html", {"status": 429, "message": LOCKOUT_DETAIL}, status=429)
