"""Settings pages of forms and consents: the clinic's forms, the form builder (details,
sections and fields with their show-if conditions, a live preview), publishing versions,
the version history and which visits need each form. Thin callers of consents.services and
consents.selectors; every rule is checked there again."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from medspa.catalog import selectors as catalog_selectors
from medspa.consents import selectors, services
from medspa.consents.builder_forms import FormDetailsForm, PublishForm
from medspa.consents.choices import ConditionOp, FieldType, FormKind, PhotoPermission, ProfileTarget
from medspa.consents.definition import definition_clean
from medspa.consents.models import Form, FormVersion
from medspa.core.access import requires
from medspa.core.errors import DomainError, InvalidInput, NotFound
from medspa.core.http import render_page, run_action
from medspa.core.views import form_with_errors

MANAGE = "consents.manage"
TAB = "consent_forms"
MAX_VERSION = 1_000_000
UNREADABLE = "The form could not be read; reload the page and try again."

# What a requirement rule names: nothing (every visit), a service, a practitioner, or both.
RULE_KINDS = [
    ("every", "Every visit"),
    ("service", "Service"),
    ("provider", "Practitioner"),
    ("both", "Service + practitioner"),
]
NEEDS_SERVICE = {"service", "both"}
NEEDS_PROVIDER = {"provider", "both"}

# A new form starts with what most consents hold: who the patient is, and a signature.
STARTER = {
    "sections": [
        {
            "key": "details",
            "title": "Your details",
            "show_if": None,
            "fields": [{"key": "full_name", "label": "Full name", "type": "short_text", "required": True}],
        },
        {
            "key": "signature",
            "title": "Signature",
            "show_if": None,
            "fields": [{"key": "signature", "label": "Patient signature", "type": "signature", "required": True}],
        },
    ],
    "scoring": [],
}

# Field and section attributes as the builder names them.
ATTRIBUTES = {
    "key": "key",
    "label": "label",
    "type": "type",
    "help": "help text",
    "text": "paragraph",
    "options": "options",
    "min": "lowest value",
    "max": "highest value",
    "permission": "photo permission",
    "profile": "profile update",
    "show_if": "“Show only when…”",
    "title": "title",
    "fields": "fields",
}


def _choices(choices) -> list[dict]:
    return [{"value": value, "label": label} for value, label in choices]


BUILDER_CONFIG = {
    "types": _choices(FieldType.choices),
    "ops": _choices(ConditionOp.choices),
    "permissions": _choices(PhotoPermission.choices),
    # The skin type is set by a scoring rule, never by a text answer.
    "profiles": _choices([c for c in ProfileTarget.choices if c[0] != ProfileTarget.SKIN_TYPE]),
}


def _label(user) -> str:
    return (user.get_full_name() or user.email) if user else ""


# Descriptions ---------------------------------------------------------------------------


def _rule_label(requirement) -> str:
    service, provider = requirement.service, requirement.provider
    if service and provider:
        return f"{service.name} with {_label(provider)}"
    if service:
        return service.name
    if provider:
        return f"Visits with {_label(provider)}"
    return "Every visit"


def _required_for(requirements) -> str:
    labels = sorted(_rule_label(r) for r in requirements)
    if "Every visit" in labels:
        return "Every visit"
    if len(labels) > 3:
        return ", ".join(labels[:3]) + f" and {len(labels) - 3} more"
    return ", ".join(labels)


def _describe(condition, fields: dict) -> str:
    """A show-if condition in words: “Are you pregnant?” is Yes and …"""
    if not condition:
        return ""
    for combinator, joiner in (("all", " and "), ("any", " or ")):
        if combinator in condition:
            parts = [_describe(c, fields) for c in condition[combinator]]
            text = joiner.join(parts)
            return f"({text})" if len(parts) > 1 else text
    if "not" in condition:
        return f"not {_describe(condition['not'], fields)}"
    field = fields.get(condition.get("field"), {})
    label = field.get("label") or condition.get("field", "")
    op = condition.get("op")
    value = condition.get("value")
    if op == ConditionOp.ANSWERED:
        return f"“{label}” is answered"
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    elif field.get("type") == FieldType.YES_NO and str(value).lower() in ("yes", "no"):
        value = str(value).capitalize()
    return f"“{label}” {ConditionOp(op).label if op in ConditionOp.values else op} {value}"


def _outline(definition: dict) -> list[dict]:
    """A published definition laid out for reading: sections and fields with their
    conditions in words."""
    fields = {f["key"]: f for s in definition.get("sections", []) for f in s.get("fields", [])}
    types = dict(FieldType.choices)
    permissions = dict(PhotoPermission.choices)
    profiles = dict(ProfileTarget.choices)
    outline = []
    for section in definition.get("sections", []):
        rows = []
        for field in section.get("fields", []):
            rows.append(
                {
                    "field": field,
                    "type": types.get(field.get("type"), field.get("type")),
                    "shown_when": _describe(field.get("show_if"), fields),
                    "permission": permissions.get(field.get("permission", ""), ""),
                    "profile": profiles.get(field.get("profile", ""), ""),
                }
            )
        outline.append({"section": section, "shown_when": _describe(section.get("show_if"), fields), "fields": rows})
    return outline


def _place(path: str, definition) -> str:
    """Where a definition problem is, as the builder shows it: Section 2 “Health”, field 3
    “Pregnant?”, options."""
    parts = path.split(".")
    if parts[0] == "scoring":
        return "Scoring"
    if parts[0] != "sections" or len(parts) < 2 or not parts[1].isdigit():
        return ""
    sections = definition.get("sections") if isinstance(definition, dict) else None
    index = int(parts[1])
    section = sections[index] if isinstance(sections, list) and index < len(sections) else {}
    section = section if isinstance(section, dict) else {}
    title = section.get("title") if isinstance(section.get("title"), str) else ""
    place = f"Section {index + 1}" + (f" “{title}”" if title else "")
    rest = parts[2:]
    if len(rest) >= 2 and rest[0] == "fields" and rest[1].isdigit():
        f_index = int(rest[1])
        fields = section.get("fields")
        field = fields[f_index] if isinstance(fields, list) and f_index < len(fields) else {}
        field = field if isinstance(field, dict) else {}
        label = field.get("label") if isinstance(field.get("label"), str) else ""
        place += f", field {f_index + 1}" + (f" “{label}”" if label else "")
        rest = rest[2:]
    if rest and rest[0] in ATTRIBUTES:
        place += f", {ATTRIBUTES[rest[0]]}"
    return place


def _split_errors(exc: DomainError, definition) -> tuple[dict, dict, list[str]]:
    """A service's refusal split into definition problems (path -> message, shown inline in
    the editor), the details form's fields, and a summary naming each place."""
    in_definition, in_details, summary = {}, {}, []
    for path, message in exc.fields.items():
        if path.split(".")[0] in ("sections", "scoring"):
            in_definition[path] = message
            place = _place(path, definition)
            summary.append(f"{place}: {message}" if place else message)
        else:
            in_details[path] = message
    if not exc.fields:
        summary.append(exc.detail)
    return in_definition, in_details, summary


# Page assembly --------------------------------------------------------------------------


def _details_initial(form: Form) -> dict:
    return {
        "name": form.name,
        "kind": form.kind,
        "description": form.description,
        "valid_days": form.valid_days,
        "prefill": form.prefill,
    }


def _pickers(actor, rows: list[dict]) -> tuple[list, list]:
    """The clinic's services and practitioners (plus anyone a saved rule still names)."""
    services_list = [
        (str(s.pk), s.name + ("" if s.active else " (inactive)"))
        for s in catalog_selectors.services_for(actor=actor, include_inactive=True)
    ]
    providers = [(str(u.pk), _label(u)) for u in catalog_selectors.provider_candidates(actor=actor)]
    known = {value for value, _ in providers}
    for row in rows:
        if row.get("provider_id") and row["provider_id"] not in known and row.get("provider_name"):
            providers.append((row["provider_id"], row["provider_name"]))
            known.add(row["provider_id"])
    return services_list, providers


def _saved_rules(actor, form: Form) -> list[dict]:
    rows = []
    for requirement in selectors.form_requirements(actor=actor, form=form):
        has_service, has_provider = requirement.service_id is not None, requirement.provider_id is not None
        kind = {(False, False): "every", (True, False): "service", (False, True): "provider"}.get(
            (has_service, has_provider), "both"
        )
        rows.append(
            {
                "kind": kind,
                "service_id": str(requirement.service_id or ""),
                "provider_id": str(requirement.provider_id or ""),
                "provider_name": _label(requirement.provider),
                "error": "",
            }
        )
    return rows


def _builder(
    request,
    *,
    form: Form | None,
    details: FormDetailsForm,
    definition_json: str,
    definition_errors: dict | None = None,
    errors: list[str] | None = None,
    rules: list[dict] | None = None,
    rules_error: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    context = {
        "form": form,
        "details": details,
        "definition_json": definition_json,
        "config": {**BUILDER_CONFIG, "errors": definition_errors or {}},
        "errors": errors or [],
        "tab": TAB,
    }
    if form is not None:
        rules = _saved_rules(actor, form) if rules is None else rules
        services_list, providers = _pickers(actor, rules)
        versions = list(selectors.form_versions(actor=actor, form=form).select_related("published_by"))
        context.update(
            {
                "versions": versions,
                "next_version": form.current_version + 1,
                "rules": rules,
                "rules_error": rules_error,
                "rule_kinds": RULE_KINDS,
                "services": services_list,
                "providers": providers,
            }
        )
    return render_page(request, "consents/builder/builder.html", context, status=status)


def _edit_page(request, form: Form, **kwargs) -> HttpResponse:
    """The builder as saved: the draft when there is one, else the current version."""
    if form.draft is not None:
        definition = form.draft
    else:
        current = selectors.current_version(form)
        definition = current.definition if current else STARTER
    return _builder(
        request,
        form=form,
        details=FormDetailsForm(initial=_details_initial(form)),
        definition_json=json.dumps(definition),
        **kwargs,
    )


def _posted(request) -> tuple[FormDetailsForm, str, dict | None]:
    details = FormDetailsForm(request.POST)
    raw = request.POST.get("definition", "")
    try:
        definition = json.loads(raw)
    except ValueError:
        definition = None
    return details, raw, definition if isinstance(definition, dict) else None


def _refused(request, exc: DomainError, *, form, details, raw, definition) -> HttpResponse:
    if exc.status in (401, 403, 404):
        raise exc
    in_definition, in_details, summary = _split_errors(exc, definition)
    if in_details:
        form_with_errors(details, InvalidInput(fields=in_details))
    return _builder(
        request,
        form=form,
        details=details,
        definition_json=raw,
        definition_errors=in_definition,
        errors=summary,
        status=exc.status,
    )


# The list -------------------------------------------------------------------------------


@requires(MANAGE)
def consent_form_list_view(request: HttpRequest) -> HttpResponse:
    forms = (
        selectors.form_list(actor=request.actor)
        .prefetch_related("requirements__service", "requirements__provider")
        .order_by("-active", "name")
    )
    rows = [{"form": form, "required_for": _required_for(form.requirements.all())} for form in forms]
    return render_page(
        request, "consents/builder/list.html", {"rows": rows, "kinds": dict(FormKind.choices), "tab": TAB}
    )


@requires(MANAGE)
@require_POST
def consent_form_install_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    added = services.form_library_install(clinic=actor.clinic, actor=actor)
    if added:
        messages.success(
            request, f"{added} library form{'s' if added != 1 else ''} added, each published as version 1."
        )
    else:
        messages.info(request, "Every library form is already installed.")
    return redirect("consent_form_list")


# The builder ----------------------------------------------------------------------------


@requires(MANAGE)
def consent_form_new_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        details = FormDetailsForm(initial={"kind": FormKind.CONSENT, "prefill": True})
        return _builder(request, form=None, details=details, definition_json=json.dumps(STARTER))
    details, raw, definition = _posted(request)
    if definition is None or not details.is_valid():
        errors = [UNREADABLE] if definition is None else []
        return _builder(request, form=None, details=details, definition_json=raw, errors=errors, status=422)
    data = details.cleaned_data
    try:
        form = services.form_create(
            actor=request.actor,
            name=data["name"],
            kind=data["kind"],
            definition=definition,
            description=data["description"],
            valid_days=data["valid_days"],
            prefill=data["prefill"],
        )
    except DomainError as exc:
        return _refused(request, exc, form=None, details=details, raw=raw, definition=definition)
    messages.success(request, f"{form.name}: draft saved. Publish it when it is ready to send.")
    return redirect("consent_form_edit", form_id=form.pk)


def _unchanged(form: Form, definition: dict) -> bool:
    """Whether a posted definition is the current version as it stands (no draft to make)."""
    if form.draft is not None:
        return False
    current = selectors.current_version(form)
    if current is None:
        return False
    try:
        return definition_clean(definition) == current.definition
    except InvalidInput:
        return False


@requires(MANAGE)
def consent_form_edit_view(request: HttpRequest, form_id) -> HttpResponse:
    actor = request.actor
    form = selectors.form_get(actor=actor, form_id=form_id)
    if request.method != "POST":
        return _edit_page(request, form)
    details, raw, definition = _posted(request)
    if definition is None or not details.is_valid():
        errors = [UNREADABLE] if definition is None else []
        return _builder(request, form=form, details=details, definition_json=raw, errors=errors, status=422)
    data = details.cleaned_data
    unchanged = _unchanged(form, definition)
    try:
        form = services.form_update(
            actor=actor,
            form_id=form.pk,
            definition=None if unchanged else definition,
            name=data["name"],
            kind=data["kind"],
            description=data["description"],
            valid_days=data["valid_days"],
            prefill=data["prefill"],
        )
    except DomainError as exc:
        return _refused(request, exc, form=form, details=details, raw=raw, definition=definition)
    if unchanged:
        messages.success(request, "Details saved.")
    else:
        messages.success(request, f"Draft saved. Publish it as version {form.current_version + 1} when it is ready.")
    return redirect("consent_form_edit", form_id=form.pk)


@requires(MANAGE)
@require_POST
def consent_form_publish_view(request: HttpRequest, form_id) -> HttpResponse:
    actor = request.actor
    form = selectors.form_get(actor=actor, form_id=form_id)
    posted = PublishForm(request.POST)
    if not posted.is_valid():
        return _edit_page(request, form, errors=[UNREADABLE], status=422)
    material = posted.cleaned_data["material"]
    if form.current_version and material == "":
        return _edit_page(request, form, errors=["Say whether this is a material change, then publish."], status=422)
    try:
        version = services.form_publish(
            actor=actor,
            form_id=form.pk,
            material=bool(material),
            note=posted.cleaned_data["note"],
            base_version=posted.cleaned_data["base_version"],
        )
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        form.refresh_from_db()
        return _edit_page(request, form, errors=[exc.detail], status=exc.status)
    if version.number == 1:
        message = f"{version.name}: version 1 published; it can now be sent and required."
    elif version.material:
        message = f"Version {version.number} published. Patients will sign it again before their next visit."
    else:
        message = f"Version {version.number} published. Earlier signatures still count."
    messages.success(request, message)
    return redirect("consent_form_edit", form_id=form.pk)


@requires(MANAGE)
@require_POST
def consent_form_discard_view(request: HttpRequest, form_id) -> HttpResponse:
    form = selectors.form_get(actor=request.actor, form_id=form_id)
    run_action(
        request,
        lambda: services.form_discard_draft(actor=request.actor, form_id=form.pk),
        f"Draft discarded; the editor shows version {form.current_version} again.",
    )
    return redirect("consent_form_edit", form_id=form.pk)


@requires(MANAGE)
@require_POST
def consent_form_active_view(request: HttpRequest, form_id) -> HttpResponse:
    form = selectors.form_get(actor=request.actor, form_id=form_id)
    active = request.POST.get("active") == "1"
    run_action(
        request,
        lambda: services.form_set_active(actor=request.actor, form_id=form.pk, active=active),
        f"{form.name} is active again."
        if active
        else f"{form.name} is retired: it is no longer sent or required. Its versions stay readable.",
    )
    return redirect("consent_form_edit", form_id=form.pk)


@requires(MANAGE)
@require_POST
def consent_form_requirements_view(request: HttpRequest, form_id) -> HttpResponse:
    """Replace the form's rules with the rows posted (a row without a kind is skipped)."""
    actor = request.actor
    form = selectors.form_get(actor=actor, form_id=form_id)
    kinds = request.POST.getlist("rule_kind")
    service_ids = request.POST.getlist("rule_service")
    provider_ids = request.POST.getlist("rule_provider")
    rows, rules, sources = [], [], []
    known = dict(RULE_KINDS)
    for index, kind in enumerate(kinds[:200]):
        row = {
            "kind": kind,
            "service_id": service_ids[index] if index < len(service_ids) else "",
            "provider_id": provider_ids[index] if index < len(provider_ids) else "",
            "error": "",
        }
        if not kind:
            continue
        rows.append(row)
        if kind not in known:
            row["error"] = "Choose who the rule applies to."
        elif kind in NEEDS_SERVICE and not row["service_id"]:
            row["error"] = "Choose a service."
        elif kind in NEEDS_PROVIDER and not row["provider_id"]:
            row["error"] = "Choose a practitioner."
        else:
            rules.append(
                {
                    "service_id": row["service_id"] if kind in NEEDS_SERVICE else None,
                    "provider_id": row["provider_id"] if kind in NEEDS_PROVIDER else None,
                }
            )
            sources.append(row)
    if any(row["error"] for row in rows):
        return _edit_page(
            request, form, rules=rows, rules_error="Nothing was saved. Fix the rules marked below.", status=422
        )
    try:
        services.requirements_set(actor=actor, form_id=form.pk, rules=rules)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        general = exc.detail
        for path, message in exc.fields.items():
            parts = path.split(".")
            if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(sources):
                sources[int(parts[1])]["error"] = message
            else:
                general = message
        return _edit_page(request, form, rules=rows, rules_error=f"Nothing was saved. {general}", status=exc.status)
    count = len(rules)
    messages.success(
        request,
        f"Requirements saved: {count} rule{'s' if count != 1 else ''}."
        if count
        else "Requirements saved: not required.",
    )
    return redirect(reverse("consent_form_edit", kwargs={"form_id": form.pk}) + "#requirements")


# Version history -----------------------------------------------------------------------


@requires(MANAGE)
def consent_form_version_view(request: HttpRequest, form_id, number: int) -> HttpResponse:
    """One published version, read-only (retired forms' versions stay readable)."""
    actor = request.actor
    form = selectors.form_get(actor=actor, form_id=form_id)
    if number > MAX_VERSION:
        raise NotFound()
    version: FormVersion | None = (
        selectors.form_versions(actor=actor, form=form).select_related("published_by").filter(number=number).first()
    )
    if version is None:
        raise NotFound()
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return render_page(
        request,
        "consents/builder/version.html",
        {
            "form": form,
            "version": version,
            "outline": _outline(version.definition),
            "definition": version.definition,
            "tab": TAB,
        },
    )
