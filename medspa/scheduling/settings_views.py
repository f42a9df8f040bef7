"""Settings → Schedules (each provider's weekly hours per location, breaks, dated exceptions
and the services they perform) and Settings → Booking rules (the clinic's SchedulePolicy).

Who sees what: `scheduling.manage` edits every schedule; `scheduling.view` reads every
schedule; a provider with only `scheduling.view_own` reads their own. Booking rules need
`settings.manage`. Views parse and render; the services validate, write and audit."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from medspa.catalog import selectors as catalog
from medspa.core.access import requires
from medspa.core.errors import DomainError, NotFound
from medspa.core.http import render_page, run_action
from medspa.core.views import form_with_errors
from medspa.scheduling import selectors, services, settings_selectors
from medspa.scheduling.choices import BlockKind
from medspa.scheduling.selectors import VIEW, VIEW_OWN
from medspa.scheduling.services import MANAGE
from medspa.scheduling.settings_forms import BookingRulesForm, ExceptionForm, HoursGrid, hhmm

SETTINGS = "settings.manage"


def _only(request: HttpRequest, *methods: str) -> HttpResponse | None:
    """405 for other methods, checked after the rows loaded (another clinic's id is a 404)."""
    return None if request.method in methods else HttpResponseNotAllowed(methods)


def _providers(actor) -> list:
    """The practitioners whose schedules the actor may open."""
    rows = list(catalog.provider_candidates(actor=actor))
    own = settings_selectors.schedule_readers(actor)
    return [p for p in rows if str(p.pk) == own] if own is not None else rows


def _pick(rows: list, wanted, what: str):
    """The row whose id is `wanted` (404 when it is not one of `rows`), else the first."""
    if not wanted:
        return rows[0] if rows else None
    found = next((r for r in rows if str(r.pk) == str(wanted)), None)
    if found is None:
        raise NotFound(f"{what} not found.")
    return found


def _page_url(provider, location) -> str:
    query = {"provider": provider.pk, **({"location": location.pk} if location else {})}
    return f"{reverse('settings_schedules')}?{urlencode(query)}"


def _render_schedule(
    request, provider, location, *, grid=None, exception_form=None, status=200, providers=None, locations=None
) -> HttpResponse:
    actor = request.actor
    providers = providers if providers is not None else _providers(actor)
    locations = locations if locations is not None else list(catalog.locations_for(actor=actor))
    context = {
        "tab": "schedules",
        "providers": providers,
        "locations": locations,
        "provider": provider,
        "location": location,
        "can_manage": actor.can(MANAGE),
        "can_edit_services": actor.can("catalog.manage"),
    }
    if provider is not None and location is not None:
        if grid is None:
            hours = selectors.working_hours(actor, location_id=location.pk, provider_id=provider.pk)
            grid = HoursGrid.from_hours(hours)
        today = timezone.localdate(timezone=ZoneInfo(location.timezone))
        exceptions = [
            {
                "row": row,
                "hours": f"{hhmm(row.start_minute)}–{hhmm(row.end_minute)}" if row.start_minute is not None else "",
            }
            for row in settings_selectors.upcoming_exceptions(actor, provider_id=provider.pk, since=today)
        ]
        context |= {
            "grid": grid,
            "weekly_hours": round(grid.total_minutes / 60, 1),
            "kinds": [(BlockKind.WORK, "Work"), (BlockKind.BREAK, "Break")],
            "exceptions": exceptions,
            "exception_form": exception_form or ExceptionForm(locations=locations, initial={"day": today}),
            "performed": catalog.services_for(actor=actor, provider=provider, include_inactive=False),
            "zone": location.timezone,
        }
    return render_page(request, "scheduling/settings/schedules.html", context, status=status)


@requires(MANAGE, VIEW, VIEW_OWN)
def settings_schedules_view(request: HttpRequest) -> HttpResponse:
    """Pick a location and a provider; their week, their exceptions and their services."""
    if refused := _only(request, "GET", "HEAD"):
        return refused
    actor = request.actor
    providers = _providers(actor)
    locations = list(catalog.locations_for(actor=actor))
    provider = _pick(providers, request.GET.get("provider"), "Provider")
    location = _pick(locations, request.GET.get("location"), "Location")
    return _render_schedule(request, provider, location, providers=providers, locations=locations)


def _provider_and_location(request, provider_id, field: str = "location_id"):
    """The provider from the URL and the page's location from the form, both in the actor's clinic."""
    actor = request.actor
    providers = _providers(actor)
    provider = _pick(providers, provider_id, "Provider")
    locations = list(catalog.locations_for(actor=actor))
    location = _pick(locations, request.POST.get(field), "Location")
    return provider, location, providers, locations


@requires(MANAGE)
def schedule_hours_view(request: HttpRequest, provider_id) -> HttpResponse:
    """Save the weekly grid (or copy Monday to the other weekdays, unsaved, and show it)."""
    provider, location, providers, locations = _provider_and_location(request, provider_id)
    if refused := _only(request, "POST"):
        return refused
    page = {"providers": providers, "locations": locations}
    if location is None:
        raise NotFound("Add a location first.")
    if request.POST.get("grid") != "1":
        grid = HoursGrid.from_hours([])
        grid.errors.append("Nothing was sent; reload the page and try again.")
        return _render_schedule(request, provider, location, grid=grid, status=422, **page)
    grid = HoursGrid.from_post(request.POST)
    if request.POST.get("action") == "copy_monday":
        grid.copy_monday()
        messages.info(request, "Monday copied to Tuesday–Friday. Save to keep it.")
        return _render_schedule(request, provider, location, grid=grid, **page)
    blocks = grid.blocks()
    if blocks is not None:
        try:
            services.hours_replace(request.actor, provider_id=provider.pk, location_id=location.pk, blocks=blocks)
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            grid.add_service_errors(exc.fields, exc.detail)
        else:
            messages.success(request, f"Hours saved for {provider.full_name or provider.email}.")
            return redirect(_page_url(provider, location))
    grid.padded()
    return _render_schedule(request, provider, location, grid=grid, status=422, **page)


@requires(MANAGE)
def schedule_exception_add_view(request: HttpRequest, provider_id) -> HttpResponse:
    """Add time off or extra hours on a date; errors show next to the fields."""
    provider, location, providers, locations = _provider_and_location(request, provider_id, "page_location")
    if refused := _only(request, "POST"):
        return refused
    form = ExceptionForm(request.POST, locations=locations)
    if form.is_valid():
        try:
            services.exception_add(request.actor, provider_id=provider.pk, **form.to_kwargs())
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            exc.fields = {ExceptionForm.SERVICE_FIELDS.get(k, k): v for k, v in (exc.fields or {}).items()}
            form_with_errors(form, exc)
        else:
            messages.success(request, "Exception added.")
            return redirect(_page_url(provider, location))
    return _render_schedule(
        request, provider, location, exception_form=form, status=422, providers=providers, locations=locations
    )


@requires(MANAGE)
def schedule_exception_remove_view(request: HttpRequest, exception_id) -> HttpResponse:
    actor = request.actor
    row = settings_selectors.schedule_exception_get(actor, exception_id=exception_id)
    if refused := _only(request, "POST"):
        return refused
    run_action(request, lambda: services.exception_remove(actor, exception_id=row.pk), "Exception removed.")
    query = {"provider": row.provider_id}
    location = request.POST.get("location_id", "")
    if location and any(str(loc.pk) == location for loc in catalog.locations_for(actor=actor)):
        query["location"] = location
    return redirect(f"{reverse('settings_schedules')}?{urlencode(query)}")


@requires(SETTINGS)
def settings_booking_rules_view(request: HttpRequest) -> HttpResponse:
    """The clinic's booking rules: slot size, staff double booking, online notice and window."""
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    actor = request.actor
    current = settings_selectors.policy_values(actor)
    form = BookingRulesForm(request.POST or None, initial=current)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.policy_update(actor, **form.cleaned_data)
            except DomainError as exc:
                if exc.status in (401, 403, 404):
                    raise
                form_with_errors(form, exc)
            else:
                messages.success(request, "Booking rules saved.")
                return redirect("settings_booking_rules")
        status = 422
    return render_page(
        request, "scheduling/settings/booking_rules.html", {"form": form, "tab": "booking_rules"}, status=status
    )
