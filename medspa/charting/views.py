"""The provider's chart pages: open a chart from an appointment, the chart page (editor for
the provider's own draft, read-only once signed), sign, reply, lock, amend and discard.

The editor is a browser island (frontend/chart.js): it keeps the whole content document,
autosaves it through the JSON API (`PUT /api/charts/{id}` with the loaded `version`) and
shows the field errors the service returns. Every other write is a page POST here that calls
one service; refusals come back inline (422) or as a toast.
"""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from medspa.charting import selectors, services
from medspa.charting.checklist import guard_items
from medspa.charting.choices import (
    AMENDABLE_STATES,
    FACE_ZONES,
    STRUCTURED_TYPES,
    ChartStatus,
    Depth,
    FieldType,
    Instrument,
    ProductType,
    ProductUnit,
    Technique,
)
from medspa.charting.forms import AmendForm, ReplyForm, SignForm
from medspa.charting.presentation import FACE_H, FACE_W, answer_text, face_markers, zone_label, zone_markers
from medspa.core.access import requires
from medspa.core.errors import DomainError, PermissionDenied
from medspa.core.http import render_page
from medspa.core.permissions import Role
from medspa.core.views import form_with_errors
from medspa.patients import selectors as patient_selectors

VIEW = "charting.view"
EDIT = "charting.edit"
SIGN = "charting.sign"
SIGN_MD = "charting.sign_md"
AMEND = "charting.amend"
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})
STATUS_TONES = {
    ChartStatus.DRAFT: "warning",
    ChartStatus.NEEDS_SIGNOFF: "info",
    ChartStatus.MD_SIGNED: "brand",
    ChartStatus.LOCKED: "success",
}
CHOICES = {
    "product_type": ProductType.choices,
    "unit": ProductUnit.choices,
    "depth": Depth.choices,
    "technique": Technique.choices,
    "instrument": Instrument.choices,
}


def _only(request: HttpRequest, *methods: str) -> HttpResponse | None:
    return None if request.method in methods else HttpResponseNotAllowed(methods)


def _reraise_access(exc: DomainError) -> None:
    if exc.status in (401, 403, 404):
        raise exc


def _own(actor, chart) -> bool:
    return chart.provider_id == getattr(actor.user, "pk", None)


def may_author(actor, chart) -> bool:
    """Whether to offer the editor (a courtesy: chart_save checks again)."""
    return chart.status == ChartStatus.DRAFT and actor.can(EDIT) and (_own(actor, chart) or actor.role in MANAGERS)


def _photos_url(chart) -> str:
    try:
        return reverse("photos:chart_photos", kwargs={"chart_id": chart.pk})
    except NoReverseMatch:
        return ""


def _patient_tab_url(patient_id, tab: str) -> str:
    try:
        return reverse(f"patient_{tab}", kwargs={"patient_id": patient_id})
    except NoReverseMatch:
        return reverse("patient_detail", kwargs={"patient_id": patient_id})


def _sections(chart) -> tuple[list[dict], set[str]]:
    """The template's sections with each field's answer; and which structured parts it has."""
    answers = chart.content.get("fields", {})
    structured: set[str] = set()
    sections = []
    for section in chart.template_version.sections:
        fields = []
        for field in section["fields"]:
            kind = field["type"]
            if kind in STRUCTURED_TYPES:
                structured.add(kind)
            value = answers.get(field["key"])
            fields.append(
                {**field, "value": value, "display": answer_text(field, value), "structured": kind in STRUCTURED_TYPES}
            )
        sections.append({**section, "fields": fields})
    return sections, structured


def _choice_label(kind: str, value: str) -> str:
    return dict(CHOICES[kind]).get(value, value or "")


def _injection_rows(content: dict) -> list[dict]:
    products = {p["id"]: p["name"] for p in content.get("products", [])}
    return [
        {
            **row,
            "zone_label": zone_label(row["zone"], row.get("label", "")),
            "product_name": products.get(row.get("product_id"), ""),
            "depth_label": _choice_label("depth", row.get("depth", "")),
            "technique_label": _choice_label("technique", row.get("technique", "")),
            "instrument_label": _choice_label("instrument", row.get("instrument", "")),
        }
        for row in content.get("injections", [])
    ]


def _product_rows(rows) -> list[dict]:
    return [
        {
            **row,
            "type_label": _choice_label("product_type", row.get("product_type", "")),
            "unit_label": _choice_label("unit", row.get("unit", "")),
        }
        for row in rows or []
    ]


def _zone_totals(totals: dict) -> list[tuple[str, str]]:
    return [(FACE_ZONES[k][0] if k in FACE_ZONES else k, v) for k, v in totals["by_zone"].items()]


def _signatures(actor, chart) -> list:
    labels = dict(Role.choices)
    found = selectors.chart_signatures(chart=chart)
    images = selectors.signature_image_urls(actor=actor, signatures=found)
    for signature in found:
        signature.role_label = labels.get(signature.signer_role, signature.signer_role)
        signature.image_url = images.get(signature.pk, "")
    return found


def _detail_context(request: HttpRequest, chart, **forms) -> dict:
    actor = request.actor
    patient = patient_selectors.patient_get(actor=actor, patient_id=chart.patient_id)
    editable = may_author(actor, chart)
    own = _own(actor, chart)
    sections, structured = _sections(chart)
    content = chart.content
    zone = ZoneInfo(actor.clinic.timezone) if getattr(actor.clinic, "timezone", "") else None
    checklist = selectors.chart_checklist(actor=actor, chart=chart) if chart.status == ChartStatus.DRAFT else []
    amendments = selectors.chart_amendments(chart=chart)
    can_sign = chart.status == ChartStatus.DRAFT and own and actor.can(SIGN)
    totals = selectors.chart_totals(chart=chart)
    context = {
        "chart": chart,
        "patient": patient,
        "allergies": list(patient.allergies.all()),
        "alerts": list(patient.medical_alerts or []),
        "treated_at": chart.treated_at.astimezone(zone) if zone else chart.treated_at,
        "status_tone": STATUS_TONES.get(chart.status, "neutral"),
        "editable": editable,
        "sections": sections,
        "has_face_chart": FieldType.FACE_CHART in structured or bool(content.get("injections")),
        "has_products": FieldType.PRODUCTS in structured or bool(content.get("products")),
        "zones": zone_markers(),
        "points": [] if editable else face_markers(content),
        "products": _product_rows(content.get("products")),
        "injections": _injection_rows(content),
        "totals": totals,
        "zone_totals": _zone_totals(totals),
        "signed_photos": content.get("photos") or [],
        "photos_url": _photos_url(chart) if actor.can("photos.view") else "",
        "photos_tab_url": _patient_tab_url(chart.patient_id, "photos"),
        "charts_tab_url": _patient_tab_url(chart.patient_id, "charts"),
        "checklist": checklist,
        "missing": [item for item in checklist if not item.ok],
        "can_sign": can_sign,
        "sign_form": forms.get("sign_form") or SignForm(),
        "signatures": _signatures(actor, chart),
        "amendments": [(a, _product_rows(a.product_corrections)) for a in amendments],
        "review_notes": selectors.chart_review_notes(chart=chart),
        "can_reply": chart.status == ChartStatus.NEEDS_SIGNOFF and chart.info_requested and own and actor.can(SIGN),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "can_amend": chart.status in AMENDABLE_STATES and actor.can(AMEND),
        "amend_form": forms.get("amend_form") or AmendForm(products=chart.content.get("products", [])),
        "amend_open": "amend_form" in forms,
        "can_lock": chart.status == ChartStatus.MD_SIGNED
        and ((own and actor.can(SIGN)) or actor.can(SIGN_MD) or actor.role in MANAGERS),
        "can_discard": editable,
    }
    if editable:
        context["editor"] = {
            "id": str(chart.pk),
            "version": chart.version,
            "api_url": f"/api/charts/{chart.pk}",
            "content": {k: content.get(k) for k in ("fields", "products", "injections", "aftercare", "notes")},
            "zones": {key: [label, x, y] for key, (label, x, y) in FACE_ZONES.items()},
            "choices": {name: [list(c) for c in values] for name, values in CHOICES.items()},
            "size": [FACE_W, FACE_H],
        }
    return context


def _render_detail(request: HttpRequest, chart, *, status: int = 200, **forms) -> HttpResponse:
    return render(request, "charting/detail.html", _detail_context(request, chart, **forms), status=status)


def _fresh(request: HttpRequest, chart_id):
    return selectors.chart_get(actor=request.actor, chart_id=chart_id, audit="")


# Pages ----------------------------------------------------------------------------------


@requires(EDIT)
def chart_open_for_appointment_view(request: HttpRequest, appointment_id) -> HttpResponse:
    """POST: the appointment's chart, created from its service's template the first time."""
    if refused := _only(request, "POST"):
        return refused
    opened = services.chart_open_for_appointment(actor=request.actor, appointment_id=appointment_id)
    if opened.created:
        messages.success(request, "Chart started.")
    return redirect("chart_detail", chart_id=opened.chart.pk)


@requires(EDIT)
def chart_new_view(request: HttpRequest, patient_id) -> HttpResponse:
    """POST: a standalone chart for the patient from the chosen template."""
    if refused := _only(request, "POST"):
        return refused
    template_id = request.POST.get("template_id") or None
    try:
        if template_id is not None:
            template_id = uuid.UUID(template_id)
    except ValueError:
        messages.error(request, "Choose one of the clinic's templates.")
        return redirect(_patient_tab_url(patient_id, "charts"))
    try:
        chart = services.chart_create(actor=request.actor, patient_id=patient_id, template_id=template_id)
    except DomainError as exc:
        _reraise_access(exc)
        messages.error(request, next(iter(exc.fields.values()), exc.detail))
        return redirect(_patient_tab_url(patient_id, "charts"))
    messages.success(request, "Chart started.")
    return redirect("chart_detail", chart_id=chart.pk)


@requires(VIEW)
def chart_detail_view(request: HttpRequest, chart_id) -> HttpResponse:
    """The chart: the editor for the provider's own draft, read-only otherwise (audited read)."""
    if request.method not in ("GET", "HEAD"):
        selectors.chart_get(actor=request.actor, chart_id=chart_id, audit="")  # another clinic's: 404 first
        return _only(request, "GET", "HEAD")
    chart = selectors.chart_get(actor=request.actor, chart_id=chart_id, via="page")
    if _guard_applies(request, chart) and (warnings := guard_items(actor=request.actor, chart=chart)):
        return render(request, "charting/guard.html", _guard_context(request, chart, warnings))
    return _render_detail(request, chart)


def _guard_applies(request: HttpRequest, chart) -> bool:
    """The warning stands before the provider's own draft until they have read it once."""
    seen = request.session.get(GUARD_SEEN, [])
    return chart.status == ChartStatus.DRAFT and may_author(request.actor, chart) and str(chart.pk) not in seen


GUARD_SEEN = "chart_guard_acknowledged"


def _guard_context(request: HttpRequest, chart, warnings) -> dict:
    patient = patient_selectors.patient_get(actor=request.actor, patient_id=chart.patient_id)
    return {
        "chart": chart,
        "patient": patient,
        "warnings": warnings,
        "consents_tab_url": _patient_tab_url(chart.patient_id, "consents"),
        "charts_tab_url": _patient_tab_url(chart.patient_id, "charts"),
    }


@requires(EDIT)
def chart_guard_acknowledge_view(request: HttpRequest, chart_id) -> HttpResponse:
    """POST: the provider has read the blocking warning (required consents missing) and goes
    on to the chart; recorded in the audit trail. Signing will still ask for a reason."""
    chart = selectors.chart_get(actor=request.actor, chart_id=chart_id, audit="")
    if refused := _only(request, "POST"):
        return refused
    if not may_author(request.actor, chart):
        raise PermissionDenied("Only the chart's provider opens its draft.", permission=EDIT)
    warnings = guard_items(actor=request.actor, chart=chart)
    services.chart_guard_acknowledge(
        actor=request.actor, chart_id=chart.pk, warnings=[f"{w.label}: {w.detail}" for w in warnings]
    )
    seen = [*request.session.get(GUARD_SEEN, [])[-49:], str(chart.pk)]
    request.session[GUARD_SEEN] = seen
    return redirect("chart_detail", chart_id=chart.pk)


@requires(VIEW)
def chart_checklist_view(request: HttpRequest, chart_id) -> HttpResponse:
    """GET (htmx): the sign step's checklist, refreshed after each autosave."""
    chart = _fresh(request, chart_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    items = selectors.chart_checklist(actor=request.actor, chart=chart) if chart.status == ChartStatus.DRAFT else []
    return render_page(
        request,
        "charting/partials/checklist.html",
        {"chart": chart, "checklist": items, "missing": [i for i in items if not i.ok]},
    )


@requires(SIGN)
def chart_sign_view(request: HttpRequest, chart_id) -> HttpResponse:
    """POST: the provider signs their draft with their password (errors inline, 422)."""
    if refused := _only(request, "POST"):
        return refused
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            chart = services.chart_sign(
                actor=request.actor,
                chart_id=chart_id,
                password=form.cleaned_data["password"],
                override_reason=form.cleaned_data["override_reason"],
                signature_image=form.cleaned_data["signature_image"],
            )
        except DomainError as exc:
            _reraise_access(exc)
            if exc.status == 409:
                messages.error(request, exc.detail)
                return redirect("chart_detail", chart_id=chart_id)
            if "checklist" in exc.fields:
                form.add_error(None, f"{exc.detail} {exc.fields['checklist']}")
            else:
                form_with_errors(form, exc)
        else:
            sent = chart.status == ChartStatus.NEEDS_SIGNOFF
            messages.success(request, "Chart signed and sent to the medical director." if sent else "Chart signed.")
            return redirect("chart_detail", chart_id=chart.pk)
    return _render_detail(request, _fresh(request, chart_id), status=422, sign_form=form)


@requires(SIGN)
def chart_reply_view(request: HttpRequest, chart_id) -> HttpResponse:
    """POST: the provider answers the medical director's question."""
    if refused := _only(request, "POST"):
        return refused
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.chart_reply(actor=request.actor, chart_id=chart_id, comment=form.cleaned_data["comment"])
        except DomainError as exc:
            _reraise_access(exc)
            form_with_errors(form, exc)
        else:
            messages.success(request, "Reply sent to the medical director.")
            return redirect("chart_detail", chart_id=chart_id)
    return _render_detail(request, _fresh(request, chart_id), status=422, reply_form=form)


@requires(SIGN, SIGN_MD)
def chart_lock_view(request: HttpRequest, chart_id) -> HttpResponse:
    """POST: close an MD-signed chart for good."""
    if refused := _only(request, "POST"):
        return refused
    try:
        services.chart_lock(actor=request.actor, chart_id=chart_id)
    except DomainError as exc:
        _reraise_access(exc)
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Chart locked.")
    return redirect("chart_detail", chart_id=chart_id)


@requires(AMEND)
def chart_amend_view(request: HttpRequest, chart_id) -> HttpResponse:
    """POST: append a signed amendment to a closed chart (errors inline, 422)."""
    if refused := _only(request, "POST"):
        return refused
    chart = _fresh(request, chart_id)
    form = AmendForm(request.POST, products=chart.content.get("products", []))
    if form.is_valid():
        try:
            services.chart_amend(
                actor=request.actor,
                chart_id=chart_id,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
                password=form.cleaned_data["password"],
                product_corrections=form.corrections(),
            )
        except DomainError as exc:
            _reraise_access(exc)
            if exc.status == 409:
                messages.error(request, exc.detail)
                return redirect("chart_detail", chart_id=chart_id)
            form_with_errors(form, exc)
        else:
            messages.success(request, "Amendment signed and added.")
            return redirect("chart_detail", chart_id=chart_id)
    return _render_detail(request, chart, status=422, amend_form=form)


@requires(EDIT)
def chart_delete_view(request: HttpRequest, chart_id) -> HttpResponse:
    """POST: discard a draft (soft delete) and go back to the patient's charts."""
    if refused := _only(request, "POST"):
        return refused
    chart = _fresh(request, chart_id)
    try:
        services.chart_delete(actor=request.actor, chart_id=chart.pk)
    except DomainError as exc:
        _reraise_access(exc)
        messages.error(request, exc.detail)
        return redirect("chart_detail", chart_id=chart.pk)
    messages.success(request, "Draft discarded.")
    return redirect(_patient_tab_url(chart.patient_id, "charts"))
