"""Shared pages: health, home, the product sections, clinic settings, audit log, errors."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from medspa.core import selectors, services
from medspa.core.access import authenticated_only, public, requires
from medspa.core.errors import DomainError
from medspa.core.forms import AuditFilterForm, ClinicForm, LocationForm
from medspa.core.http import render_page
from medspa.core.navigation import SECTIONS_BY_KEY, section_url_name, visible_sections


@public
@require_GET
def healthz_view(request: HttpRequest) -> JsonResponse:
    """200 with every dependency "ok", or 503 naming the ones that are down."""
    status = {"status": "ok", "database": "ok", "jobs": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means "down"
        status["database"] = "down"
    try:
        from huey.contrib.djhuey import HUEY

        HUEY.pending_count()
    except Exception:  # noqa: BLE001
        status["jobs"] = "down"
    healthy = status["database"] == "ok" and status["jobs"] == "ok"
    if not healthy:
        status["status"] = "degraded"
    return JsonResponse(status, status=200 if healthy else 503)


@authenticated_only
def home_view(request: HttpRequest) -> HttpResponse:
    """Open the first section this person may use."""
    sections = visible_sections(request.actor)
    if not sections:
        return render(request, "core/no_clinic.html", status=403 if request.actor else 200)
    return redirect(reverse(section_url_name(sections[0], request.actor)))


def section_view_for(key: str):
    """A product section that is not built yet: an honest empty state, permission-checked."""
    section = SECTIONS_BY_KEY[key]

    @requires(*section.any_of)
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "core/coming_soon.html", {"section": section})

    view.__name__ = f"section_{key}_view"
    return view


def form_with_errors(form, exc: DomainError):
    """Show a service's refusal on the form: per-field messages, else a form-wide one."""
    for field, message in exc.fields.items():
        form.add_error(field if field in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, exc.detail)
    return form


def _save_form(request, form, save, success: str, redirect_to: str):
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            form_with_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(redirect_to)
    return None


@requires("settings.manage")
def settings_clinic_view(request: HttpRequest) -> HttpResponse:
    # The form validates a private copy; the service writes (and audits) from a locked row.
    form = ClinicForm(request.POST or None, instance=selectors.clinic_get(actor=request.actor))
    if request.method == "POST":
        done = _save_form(
            request,
            form,
            lambda data: services.clinic_update(actor=request.actor, data=data),
            "Clinic settings saved.",
            reverse("settings_clinic"),
        )
        if done:
            return done
    return render_page(request, "core/settings/clinic.html", {"form": form, "tab": "clinic"})


@requires("settings.manage")
def settings_locations_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    form = LocationForm(request.POST or None, initial={"timezone": actor.clinic.timezone})
    if request.method == "POST":
        form.instance.clinic = actor.clinic
        done = _save_form(
            request,
            form,
            lambda data: services.location_create(actor=actor, data=data),
            "Location added.",
            reverse("settings_locations"),
        )
        if done:
            return done
    locations = selectors.location_list(actor=actor)
    return render_page(
        request, "core/settings/locations.html", {"form": form, "locations": locations, "tab": "locations"}
    )


@requires("settings.manage")
def settings_location_edit_view(request: HttpRequest, location_id) -> HttpResponse:
    actor = request.actor
    location = selectors.location_get(actor=actor, location_id=location_id)
    form = LocationForm(request.POST or None, instance=location)
    if request.method == "POST":
        done = _save_form(
            request,
            form,
            lambda data: services.location_update(actor=actor, location_id=location.pk, data=data),
            "Location saved.",
            reverse("settings_locations"),
        )
        if done:
            return done
    return render_page(
        request, "core/settings/location_edit.html", {"form": form, "location": location, "tab": "locations"}
    )


@requires("audit.view")
def settings_audit_view(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_events(actor=request.actor, **{k: v for k, v in filters.items() if v})
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_page(
        request,
        "core/settings/audit.html",
        {"form": form, "page": page, "query": query.urlencode(), "tab": "audit"},
        partial="core/settings/partials/audit_rows.html",
    )


# Error pages --------------------------------------------------------------------------


def error_403_view(request: HttpRequest, exception=None) -> HttpResponse:
    return render(
        request, "errors/error.html", {"status": 403, "message": "You do not have access to this page."}, status=403
    )


def error_404_view(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found", "fields": {}}, status=404)
    return render(request, "errors/error.html", {"status": 404, "message": "We could not find that page."}, status=404)


def error_500_view(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Something went wrong on our side.", "code": "server_error", "fields": {}}, status=500
        )
    return render(request, "errors/500.html", status=500)


def csrf_failure_view(request: HttpRequest, reason: str = "") -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "CSRF verification failed.", "code": "csrf_failed", "fields": {}}, status=403)
    return render(
        request,
        "errors/error.html",
        {"status": 403, "message": "Your form expired. Reload the page and try again."},
        status=403,
    )
