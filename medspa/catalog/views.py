"""Catalog settings pages: the service menu, categories, rooms and equipment per location,
tax rates. Everyone with `catalog.view` sees the lists; `catalog.manage` opens the forms.
Views parse and render; the services validate, write and audit."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse

from medspa.catalog import selectors, services
from medspa.catalog.forms import CategoryForm, EquipmentForm, RoomForm, ServiceForm, TaxRateForm
from medspa.core.access import requires
from medspa.core.errors import DomainError
from medspa.core.http import render_page, run_action
from medspa.core.views import form_with_errors

VIEW = "catalog.view"
MANAGE = "catalog.manage"


def _only(request: HttpRequest, *methods: str) -> HttpResponse | None:
    """405 for other methods — checked after the row loaded, so another clinic's row is a
    404 whatever the method."""
    return None if request.method in methods else HttpResponseNotAllowed(methods)


def _form_page(request, form, save: Callable[[dict], object], *, success: str, done_url: str, template: str, context):
    """GET: the form. POST: save through the service and go back to the list, or show every
    error next to its field (422) with nothing written."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                save(form.to_data())
            except DomainError as exc:
                if exc.status in (401, 403, 404):
                    raise
                form_with_errors(form, exc)
            else:
                messages.success(request, success)
                return redirect(done_url)
        status = 422
    return render_page(request, template, {**context, "form": form}, status=status)


# Services -----------------------------------------------------------------------------


@requires(VIEW)
def settings_services_view(request: HttpRequest) -> HttpResponse:
    """The menu grouped by category (uncategorised last), paused services included."""
    if refused := _only(request, "GET", "HEAD"):
        return refused
    menu = list(selectors.services_for(actor=request.actor, include_inactive=True))
    groups = [(category, list(rows)) for category, rows in groupby(menu, key=lambda s: s.category)]
    return render_page(
        request,
        "catalog/settings/services.html",
        {"groups": groups, "service_count": len(menu), "tab": "services", "can_manage": request.actor.can(MANAGE)},
    )


def _service_form_page(request, form, save, *, service=None) -> HttpResponse:
    return _form_page(
        request,
        form,
        save,
        success="Service saved." if service else "Service added.",
        done_url=reverse("settings_services"),
        template="catalog/settings/service_form.html",
        context={"service": service, "tab": "services"},
    )


@requires(MANAGE)
def service_create_view(request: HttpRequest) -> HttpResponse:
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    actor = request.actor
    form = ServiceForm(request.POST or None, actor=actor)
    return _service_form_page(request, form, lambda data: services.service_create(actor=actor, data=data))


@requires(MANAGE)
def service_edit_view(request: HttpRequest, service_id) -> HttpResponse:
    actor = request.actor
    service = selectors.service_get(actor=actor, service_id=service_id)
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    form = ServiceForm(request.POST or None, actor=actor, service=service)

    def save(data):
        version = form.cleaned_data.get("version")
        return services.service_update(actor=actor, service_id=service.pk, data=data, version=version)

    return _service_form_page(request, form, save, service=service)


@requires(MANAGE)
def service_archive_view(request: HttpRequest, service_id) -> HttpResponse:
    actor = request.actor
    service = selectors.service_get(actor=actor, service_id=service_id)
    if refused := _only(request, "POST"):
        return refused
    done = run_action(
        request, lambda: services.service_archive(actor=actor, service_id=service.pk), f"“{service.name}” archived."
    )
    return redirect("settings_services" if done else "service_edit", *([] if done else [service.pk]))


# Categories ---------------------------------------------------------------------------


@requires(MANAGE)
def settings_categories_view(request: HttpRequest) -> HttpResponse:
    """The menu's categories with their service counts, and a form to add one."""
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    actor = request.actor
    form = CategoryForm(request.POST or None)
    return _form_page(
        request,
        form,
        lambda data: services.category_create(actor=actor, data=data),
        success="Category added.",
        done_url=reverse("settings_categories"),
        template="catalog/settings/categories.html",
        context={"categories": selectors.categories_for(actor=actor), "tab": "services"},
    )


@requires(MANAGE)
def category_edit_view(request: HttpRequest, category_id) -> HttpResponse:
    actor = request.actor
    category = selectors.category_get(actor=actor, category_id=category_id)
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    form = CategoryForm(request.POST or None, initial={"name": category.name, "position": category.position})
    return _form_page(
        request,
        form,
        lambda data: services.category_update(actor=actor, category_id=category.pk, data=data),
        success="Category saved.",
        done_url=reverse("settings_categories"),
        template="catalog/settings/simple_form.html",
        context={
            "tab": "services",
            "title": f"Edit category “{category.name}”",
            "back_url": reverse("settings_categories"),
            "back_label": "Categories",
            "submit_label": "Save category",
        },
    )


@requires(MANAGE)
def category_delete_view(request: HttpRequest, category_id) -> HttpResponse:
    actor = request.actor
    category = selectors.category_get(actor=actor, category_id=category_id)
    if refused := _only(request, "POST"):
        return refused
    run_action(
        request,
        lambda: services.category_delete(actor=actor, category_id=category.pk),
        f"Category “{category.name}” removed.",
    )
    return redirect("settings_categories")


# Rooms, equipment and tax rates: list pages and one form page each ---------------------


@requires(VIEW)
def settings_rooms_view(request: HttpRequest) -> HttpResponse:
    """Each location with its rooms and its equipment (archived ones shown as such)."""
    if refused := _only(request, "GET", "HEAD"):
        return refused
    actor = request.actor
    rooms = list(selectors.rooms_for(actor=actor, include_inactive=True))
    equipment = list(selectors.equipment_for(actor=actor, include_inactive=True))

    def card(rows, location, **labels) -> dict:
        here = [r for r in rows if r.location_id == location.pk]
        return {
            **labels,
            "rows": [
                {"obj": r, "amount": getattr(r, labels["field"]), "edit_url": reverse(labels["edit"], args=[r.pk])}
                for r in here
            ],
        }

    locations = [
        {
            "location": location,
            "cards": [
                card(
                    rooms,
                    location,
                    title="Rooms",
                    noun="room",
                    column="Room",
                    amount_label="Holds",
                    field="capacity",
                    edit="room_edit",
                    add_url=reverse("room_create"),
                    icon="building",
                    empty_title="No rooms yet",
                    empty_message="Add treatment, laser, facial and consult rooms so bookings can hold one.",
                ),
                card(
                    equipment,
                    location,
                    title="Equipment",
                    noun="equipment",
                    column="Device",
                    amount_label="Units",
                    field="quantity",
                    edit="equipment_edit",
                    add_url=reverse("equipment_create"),
                    icon="box",
                    empty_title="No equipment yet",
                    empty_message="Add the lasers and devices your services need, with how many units there are.",
                ),
            ],
        }
        for location in selectors.locations_for(actor=actor)
    ]
    return render_page(
        request,
        "catalog/settings/rooms.html",
        {"locations": locations, "tab": "rooms", "can_manage": actor.can(MANAGE)},
    )


@requires(VIEW)
def settings_tax_rates_view(request: HttpRequest) -> HttpResponse:
    if refused := _only(request, "GET", "HEAD"):
        return refused
    rates = selectors.tax_rates_for(actor=request.actor, include_inactive=True)
    return render_page(
        request,
        "catalog/settings/tax_rates.html",
        {"rates": rates, "tab": "tax_rates", "can_manage": request.actor.can(MANAGE)},
    )


# What differs between rooms, equipment and tax rates; the views below are the same.
KINDS = {
    "room": {
        "form": RoomForm,
        "get": lambda actor, pk: selectors.room_get(actor=actor, room_id=pk),
        "create": lambda actor, data: services.room_create(actor=actor, data=data),
        "update": lambda actor, pk, data: services.room_update(actor=actor, room_id=pk, data=data),
        "archive": lambda actor, pk: services.room_archive(actor=actor, room_id=pk),
        "fields": ("location_id", "name", "kind", "capacity", "active"),
        "list": "settings_rooms",
        "back_label": "Rooms & equipment",
        "noun": "room",
        "tab": "rooms",
        "archive_url": "room_archive",
    },
    "equipment": {
        "form": EquipmentForm,
        "get": lambda actor, pk: selectors.equipment_get(actor=actor, equipment_id=pk),
        "create": lambda actor, data: services.equipment_create(actor=actor, data=data),
        "update": lambda actor, pk, data: services.equipment_update(actor=actor, equipment_id=pk, data=data),
        "archive": lambda actor, pk: services.equipment_archive(actor=actor, equipment_id=pk),
        "fields": ("location_id", "name", "kind", "quantity", "active"),
        "list": "settings_rooms",
        "back_label": "Rooms & equipment",
        "noun": "equipment",
        "tab": "rooms",
        "archive_url": "equipment_archive",
    },
    "tax_rate": {
        "form": TaxRateForm,
        "get": lambda actor, pk: selectors.tax_rate_get(actor=actor, tax_rate_id=pk),
        "create": lambda actor, data: services.tax_rate_create(actor=actor, data=data),
        "update": lambda actor, pk, data: services.tax_rate_update(actor=actor, tax_rate_id=pk, data=data),
        "archive": lambda actor, pk: services.tax_rate_archive(actor=actor, tax_rate_id=pk),
        "fields": ("name", "rate", "active"),
        "list": "settings_tax_rates",
        "back_label": "Tax rates",
        "noun": "tax rate",
        "tab": "tax_rates",
        "archive_url": "tax_rate_archive",
    },
}


def _simple_context(kind: dict, title: str, submit_label: str, **extra) -> dict:
    return {
        "tab": kind["tab"],
        "title": title,
        "back_url": reverse(kind["list"]),
        "back_label": kind["back_label"],
        "submit_label": submit_label,
        **extra,
    }


def _create_view_for(key: str):
    kind = KINDS[key]

    @requires(MANAGE)
    def view(request: HttpRequest) -> HttpResponse:
        if refused := _only(request, "GET", "HEAD", "POST"):
            return refused
        actor = request.actor
        initial = {"location_id": request.GET.get("location")} if "location_id" in kind["fields"] else {}
        form = kind["form"](request.POST or None, actor=actor, initial=initial)
        return _form_page(
            request,
            form,
            lambda data: kind["create"](actor, data),
            success=f"{kind['noun'].capitalize()} added.",
            done_url=reverse(kind["list"]),
            template="catalog/settings/simple_form.html",
            context=_simple_context(kind, f"Add {kind['noun']}", f"Add {kind['noun']}"),
        )

    view.__name__ = f"{key}_create_view"
    return view


def _edit_view_for(key: str):
    kind = KINDS[key]

    @requires(MANAGE)
    def view(request: HttpRequest, **ids) -> HttpResponse:
        actor = request.actor
        row = kind["get"](actor, next(iter(ids.values())))
        if refused := _only(request, "GET", "HEAD", "POST"):
            return refused
        initial = {name: getattr(row, name) for name in kind["fields"]}
        form = kind["form"](request.POST or None, actor=actor, initial=initial)
        archive_url = reverse(kind["archive_url"], args=[row.pk]) if row.active else ""
        return _form_page(
            request,
            form,
            lambda data: kind["update"](actor, row.pk, data),
            success=f"{kind['noun'].capitalize()} saved.",
            done_url=reverse(kind["list"]),
            template="catalog/settings/simple_form.html",
            context=_simple_context(
                kind, f"Edit {kind['noun']} “{row.name}”", "Save changes", archive_url=archive_url, row=row
            ),
        )

    view.__name__ = f"{key}_edit_view"
    return view


def _archive_view_for(key: str):
    kind = KINDS[key]

    @requires(MANAGE)
    def view(request: HttpRequest, **ids) -> HttpResponse:
        actor = request.actor
        row = kind["get"](actor, next(iter(ids.values())))
        if refused := _only(request, "POST"):
            return refused
        run_action(request, lambda: kind["archive"](actor, row.pk), f"“{row.name}” archived.")
        return redirect(kind["list"])

    view.__name__ = f"{key}_archive_view"
    return view


room_create_view = _create_view_for("room")
room_edit_view = _edit_view_for("room")
room_archive_view = _archive_view_for("room")
equipment_create_view = _create_view_for("equipment")
equipment_edit_view = _edit_view_for("equipment")
equipment_archive_view = _archive_view_for("equipment")
tax_rate_create_view = _create_view_for("tax_rate")
tax_rate_edit_view = _edit_view_for("tax_rate")
tax_rate_archive_view = _archive_view_for("tax_rate")
