"""Charting settings pages: the medical director, chart templates (library, custom, the
builder) and how each service is charted. Thin callers of charting.services/selectors."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from medspa.accounts import selectors as account_selectors
from medspa.catalog import selectors as catalog_selectors
from medspa.charting import selectors, services
from medspa.charting.choices import FieldType
from medspa.core.access import requires
from medspa.core.errors import Conflict, DomainError, InvalidInput
from medspa.core.http import render_page
from medspa.core.views import form_with_errors

TEMPLATES = "charting.templates"
SIGN_MD = "charting.sign_md"


# Clinic: medical director -----------------------------------------------------------------


class ClinicChartingForm(forms.Form):
    medical_director_id = forms.ChoiceField(
        label="Medical director",
        required=False,
        help_text="Co-signs charts of services that need review. Only staff whose role can co-sign are listed.",
    )
    alternate_medical_director_id = forms.ChoiceField(
        label="Alternate medical director", required=False, help_text="Co-signs when the medical director is away."
    )
    allow_sign_with_missing = forms.BooleanField(
        label="Allow signing with checklist items missing",
        required=False,
        help_text="The provider must give a written reason, kept with their signature.",
    )

    def __init__(self, *args, directors=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Not named (anyone who can co-sign)"), *directors]
        self.fields["medical_director_id"].choices = choices
        self.fields["alternate_medical_director_id"].choices = [("", "None"), *directors]


@requires("settings.manage")
def charting_settings_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    directors = [
        (str(u.pk), u.get_full_name() or u.email)
        for u in account_selectors.members_with_permission(actor=actor, permission=SIGN_MD)
    ]
    current = selectors.clinic_settings(clinic=actor.clinic)
    initial = {
        "medical_director_id": str(current.medical_director_id or ""),
        "alternate_medical_director_id": str(current.alternate_medical_director_id or ""),
        "allow_sign_with_missing": current.allow_sign_with_missing,
    }
    form = ClinicChartingForm(request.POST or None, initial=initial, directors=directors)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.clinic_settings_update(actor=actor, **form.cleaned_data)
            except DomainError as exc:
                if exc.status in (401, 403, 404):
                    raise
                form_with_errors(form, exc)
            else:
                messages.success(request, "Charting settings saved.")
                return redirect("charting_settings")
        status = 422
    return render_page(
        request,
        "charting/settings/clinic.html",
        {"form": form, "tab": "charting", "no_directors": not directors},
        status=status,
    )


# Templates: list, activate/retire --------------------------------------------------------


@requires(TEMPLATES)
def chart_template_list_view(request: HttpRequest) -> HttpResponse:
    templates = list(selectors.template_list(actor=request.actor, include_inactive=True).order_by("name"))
    return render_page(
        request,
        "charting/settings/templates.html",
        {
            "library": [t for t in templates if t.from_library],
            "custom": [t for t in templates if not t.from_library],
            "tab": "chart_templates",
        },
    )


@requires(TEMPLATES)
@require_POST
def chart_template_active_view(request: HttpRequest, template_id) -> HttpResponse:
    active = request.POST.get("active") == "1"
    try:
        template = services.template_set_active(actor=request.actor, template_id=template_id, active=active)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{template.name} {'is active again' if active else 'is retired'}.")
    return redirect("chart_template_list")


# Templates: the builder --------------------------------------------------------------------

FIELD_TYPES = [{"value": value, "label": label} for value, label in FieldType.choices]


def _error_messages(exc: DomainError, sections) -> list[str]:
    """validate_sections names the place of the problem ("sections.0.fields.2.label");
    say it as the builder shows it: Section 1 "Title", field 3 "Label"."""
    out = []
    for where, message in exc.fields.items():
        parts = where.split(".")
        place = ""
        if parts[0] == "sections" and len(parts) > 1 and parts[1].isdigit():
            s_index = int(parts[1])
            section = sections[s_index] if isinstance(sections, list) and s_index < len(sections) else {}
            title = section.get("title") if isinstance(section, dict) else ""
            place = f"Section {s_index + 1}" + (f" “{title}”" if title else "")
            if len(parts) > 3 and parts[2] == "fields" and parts[3].isdigit():
                f_index = int(parts[3])
                fields = section.get("fields") if isinstance(section, dict) else None
                field = fields[f_index] if isinstance(fields, list) and f_index < len(fields) else {}
                label = field.get("label") if isinstance(field, dict) else ""
                place += f", field {f_index + 1}" + (f" “{label}”" if label else "")
        elif parts[0] == "name":
            place = "Name"
        out.append(f"{place}: {message}" if place else message)
    if not out:
        out.append(exc.detail)
    return out


def _builder(
    request, *, template=None, version=None, name="", description="", sections_json="[]", errors=(), status=200
):
    return render_page(
        request,
        "charting/settings/builder.html",
        {
            "template": template,
            "version": version,
            "name": name,
            "description": description,
            "sections_json": sections_json,
            "field_types_json": json.dumps(FIELD_TYPES),
            "errors": list(errors),
            "tab": "chart_templates",
        },
        status=status,
    )


def _posted_sections(request):
    raw = request.POST.get("sections", "")
    try:
        return raw, json.loads(raw)
    except ValueError:
        return raw, None


NEW_TEMPLATE = [
    {
        "key": "notes",
        "title": "Treatment notes",
        "fields": [
            {
                "key": "notes",
                "label": "Notes",
                "type": "long_text",
                "required": True,
                "unit": "",
                "options": [],
                "help": "",
            }
        ],
    }
]


@requires(TEMPLATES)
def chart_template_new_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _builder(request, sections_json=json.dumps(NEW_TEMPLATE))
    name = request.POST.get("name", "")
    description = request.POST.get("description", "")
    raw, sections = _posted_sections(request)
    if sections is None:
        errors = ["The template could not be read; reload the page and try again."]
        return _builder(request, name=name, description=description, sections_json=raw, errors=errors, status=422)
    try:
        template = services.template_create(actor=request.actor, name=name, sections=sections, description=description)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return _builder(
            request,
            name=name,
            description=description,
            sections_json=raw,
            errors=_error_messages(exc, sections),
            status=exc.status,
        )
    messages.success(request, f"{template.name}: version 1 published.")
    return redirect("chart_template_edit", template_id=template.pk)


@requires(TEMPLATES)
def chart_template_edit_view(request: HttpRequest, template_id) -> HttpResponse:
    actor = request.actor
    template = selectors.template_get(actor=actor, template_id=template_id)
    current = selectors.template_current_version(template=template)
    if request.method != "POST":
        return _builder(
            request,
            template=template,
            version=current,
            name=template.name,
            description=template.description,
            sections_json=json.dumps(current.sections),
        )
    name = request.POST.get("name", "")
    raw, sections = _posted_sections(request)
    context = {"template": template, "version": current, "name": name, "description": template.description}
    if sections is None:
        errors = ["The template could not be read; reload the page and try again."]
        return _builder(request, **context, sections_json=raw, errors=errors, status=422)
    if not name.strip():
        return _builder(request, **context, sections_json=raw, errors=["Name: Name the template."], status=422)
    try:
        base = int(request.POST.get("base_version", ""))
    except ValueError:
        base = None
    try:
        template = services.template_update(
            actor=actor, template_id=template.pk, sections=sections, name=name, base_version=base
        )
    except Conflict as exc:
        return _builder(request, **context, sections_json=raw, errors=[exc.detail], status=409)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return _builder(request, **context, sections_json=raw, errors=_error_messages(exc, sections), status=exc.status)
    messages.success(request, f"Version {template.current_version} published; existing charts keep their version.")
    return redirect("chart_template_edit", template_id=template.pk)


# Per-service charting ---------------------------------------------------------------------


def _service_rows(actor, *, failed_id=None, failed_values=None, failed_errors=None) -> list[dict]:
    rows = []
    for service in catalog_selectors.services_for(actor=actor, include_inactive=True):
        # One small read per service (a clinic's menu is tens of services).
        current = selectors.service_settings(clinic=actor.clinic, service_id=service.pk)
        values = {
            "template_id": str(current.template_id or "") if current else "",
            "requires_md_review": current.requires_md_review if current else False,
            "min_before_photos": current.min_before_photos if current else 0,
            "aftercare": current.aftercare if current else "",
        }
        errors = {}
        if failed_id is not None and service.pk == failed_id:
            values, errors = failed_values, failed_errors or {}
        rows.append({"service": service, "values": values, "errors": errors, "saved": current is not None})
    return rows


def _services_page(request, *, status=200, **failed) -> HttpResponse:
    actor = request.actor
    templates = selectors.template_list(actor=actor, include_inactive=True).order_by("name")
    return render_page(
        request,
        "charting/settings/services.html",
        {
            "rows": _service_rows(actor, **failed),
            "templates": [(str(t.pk), t.name + ("" if t.active else " (retired)")) for t in templates],
            "tab": "charting_services",
        },
        status=status,
    )


@requires(TEMPLATES)
def charting_services_view(request: HttpRequest) -> HttpResponse:
    return _services_page(request)


@requires(TEMPLATES)
@require_POST
def charting_service_update_view(request: HttpRequest, service_id) -> HttpResponse:
    actor = request.actor
    service = catalog_selectors.service_get(actor=actor, service_id=service_id)
    values = {
        "template_id": request.POST.get("template_id", ""),
        "requires_md_review": request.POST.get("requires_md_review") == "on",
        "min_before_photos": request.POST.get("min_before_photos", "0").strip() or "0",
        "aftercare": request.POST.get("aftercare", ""),
    }
    try:
        minimum = int(values["min_before_photos"])
    except ValueError:
        exc = InvalidInput(fields={"min_before_photos": "Enter a number from 0 to 12."})
        return _services_page(request, status=422, failed_id=service.pk, failed_values=values, failed_errors=exc.fields)
    try:
        services.service_settings_update(
            actor=actor,
            service_id=service.pk,
            template_id=values["template_id"] or None,
            requires_md_review=values["requires_md_review"],
            min_before_photos=minimum,
            aftercare=values["aftercare"],
        )
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        errors = exc.fields or {"detail": exc.detail}
        return _services_page(
            request, status=exc.status, failed_id=service.pk, failed_values=values, failed_errors=errors
        )
    messages.success(request, f"Charting for {service.name} saved.")
    return redirect(reverse("charting_services") + f"#service-{service.pk}")
