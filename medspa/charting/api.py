"""Chart routes of the API: create/open, read (audited), autosave, sign, co-sign, return,
ask, lock, amend, templates, a patient's charts and the medical director's queue."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from medspa.accounts.auth import needs
from medspa.charting import export, selectors, services
from medspa.charting.choices import ChartStatus
from medspa.charting.export_views import pdf_response
from medspa.charting.models import Chart, ChartTemplate
from medspa.charting.schemas import (
    AmendIn,
    ChartCreate,
    ChartOut,
    ChartSummary,
    ChartUpdate,
    ChecklistItemOut,
    CommentIn,
    SignIn,
    SignManyIn,
    TemplateIn,
    TemplateOut,
    TemplateUpdate,
)
from medspa.core.errors import InvalidInput
from medspa.patients import selectors as patient_selectors

router = Router(tags=["charts"])
VIEW = needs("charting.view")
EDIT = needs("charting.edit")
SIGN_ANY = needs("charting.sign", "charting.sign_md")
MD = needs("charting.sign_md")


def template_json(template: ChartTemplate) -> dict:
    version = selectors.template_current_version(template=template)
    return {
        "id": template.pk,
        "key": template.key,
        "name": template.name,
        "description": template.description,
        "from_library": template.from_library,
        "active": template.active,
        "version": template.current_version,
        "sections": version.sections,
    }


def alerts_json(actor, patient_id) -> dict:
    """The patient's allergies and alerts, shown at the top of every chart."""
    patient = patient_selectors.patient_get(actor=actor, patient_id=patient_id)
    return {
        "medical_alerts": list(patient.medical_alerts or []),
        "allergies": [
            {"substance": a.substance, "reaction": a.reaction, "severity": a.severity} for a in patient.allergies.all()
        ],
    }


def chart_json(actor, chart: Chart) -> dict:
    amendments = selectors.chart_amendments(chart=chart)
    numbers = {a.pk: a.number for a in amendments}
    version = chart.template_version
    return {
        "id": chart.pk,
        "patient_id": chart.patient_id,
        "appointment_id": chart.appointment_id,
        "service_id": chart.service_id,
        "provider_id": chart.provider_id,
        "provider_name": chart.provider.full_name,
        "status": chart.status,
        "requires_md_review": chart.requires_md_review,
        "version": chart.version,
        "treated_at": chart.treated_at,
        "submitted_at": chart.submitted_at,
        "md_signed_at": chart.md_signed_at,
        "locked_at": chart.locked_at,
        "info_requested": chart.info_requested,
        "template": {
            "id": version.template_id,
            "name": version.template.name,
            "version": version.number,
            "sections": version.sections,
        },
        "content": chart.content,
        "totals": selectors.chart_totals(chart=chart),
        "alerts": alerts_json(actor, chart.patient_id),
        "signatures": [
            {
                "id": s.pk,
                "kind": s.kind,
                "signer_id": s.signer_id,
                "signer_name": s.signer_name,
                "signer_role": s.signer_role,
                "meaning": s.meaning,
                "signed_at": s.signed_at,
                "content_hash": s.content_hash,
                "signature_hash": s.signature_hash,
                "override_reason": s.override_reason,
                "amendment_number": numbers.get(s.amendment_id),
            }
            for s in selectors.chart_signatures(chart=chart)
        ],
        "amendments": [
            {
                "number": a.number,
                "reason": a.reason,
                "text": a.text,
                "product_corrections": a.product_corrections,
                "author": a.author.full_name,
                "created_at": a.created_at.isoformat(),
            }
            for a in amendments
        ],
        "review_notes": [
            {"kind": n.kind, "author": n.author.full_name, "comment": n.comment, "created_at": n.created_at.isoformat()}
            for n in selectors.chart_review_notes(chart=chart)
        ],
    }


def summary_json(chart: Chart) -> dict:
    return {
        "id": chart.pk,
        "patient_id": chart.patient_id,
        "patient_name": chart.patient.display_name,
        "appointment_id": chart.appointment_id,
        "service": chart.service.name if chart.service_id else "",
        "provider": chart.provider.full_name,
        "template": chart.template_version.template.name,
        "status": chart.status,
        "treated_at": chart.treated_at,
        "submitted_at": chart.submitted_at,
        "info_requested": chart.info_requested,
    }


def _read(request, chart_id, via: str = "api") -> dict:
    chart = selectors.chart_get(actor=request.auth, chart_id=chart_id, via=via)
    return chart_json(request.auth, chart)


def _fresh(request, chart: Chart) -> dict:
    return chart_json(request.auth, selectors.chart_get(actor=request.auth, chart_id=chart.pk, audit=""))


@router.get("/charts/templates", response=list[TemplateOut], **VIEW)
def template_list(request: HttpRequest):
    """The clinic's active templates (the library is installed on first use)."""
    services.template_library_install(clinic=request.auth.clinic)
    return [template_json(t) for t in selectors.template_list(actor=request.auth)]


@router.post("/charts/templates", response={201: TemplateOut}, **needs("charting.templates"))
def template_create(request: HttpRequest, payload: TemplateIn):
    template = services.template_create(
        actor=request.auth, name=payload.name, sections=payload.sections, description=payload.description
    )
    return Status(201, template_json(template))


@router.put("/charts/templates/{template_id}", response=TemplateOut, **needs("charting.templates"))
def template_update(request: HttpRequest, template_id: UUID, payload: TemplateUpdate):
    """Publish a new version; charts keep the version they were written with."""
    template = services.template_update(
        actor=request.auth,
        template_id=template_id,
        sections=payload.sections,
        name=payload.name,
        base_version=payload.base_version,
    )
    return template_json(template)


@router.get("/charts/review-queue", response=list[ChartSummary], **MD)
def review_queue(
    request: HttpRequest,
    provider_id: UUID | None = None,
    service_id: UUID | None = None,
    date_from: str | None = Query(None, max_length=10),
    date_to: str | None = Query(None, max_length=10),
):
    """Charts waiting for the medical director, oldest first."""
    from datetime import date

    def day(value, name):
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(fields={name: "Enter a date (YYYY-MM-DD)."}) from None

    found = selectors.review_queue(
        actor=request.auth,
        provider_id=provider_id,
        service_id=service_id,
        day_from=day(date_from, "date_from"),
        day_to=day(date_to, "date_to"),
    )
    return [summary_json(c) for c in found.select_related("template_version__template")[:200]]


@router.get("/charts/patient/{patient_id}", response=list[ChartSummary], **VIEW)
def patient_charts(request: HttpRequest, patient_id: UUID):
    patient_selectors.patient_get(actor=request.auth, patient_id=patient_id)
    return [summary_json(c) for c in selectors.patient_charts(actor=request.auth, patient_id=patient_id)]


@router.post("/charts/sign", response=list[ChartSummary], **needs("charting.sign"))
def charts_sign_many(request: HttpRequest, payload: SignManyIn):
    """Sign several completed drafts at once ("Sign & send to MD"): all or none."""
    signed = services.charts_sign_many(actor=request.auth, chart_ids=list(payload.chart_ids), password=payload.password)
    ids = [c.pk for c in signed]
    found = (
        selectors.charts_for(request.auth)
        .filter(pk__in=ids)
        .select_related("patient", "provider", "service", "template_version__template")
    )
    return [summary_json(c) for c in found]


@router.post("/charts", response={200: ChartOut, 201: ChartOut}, **EDIT)
def chart_create(request: HttpRequest, payload: ChartCreate):
    """Open the appointment's chart (created from its service's template the first time:
    201, then 200) or start a standalone chart for a patient."""
    actor = request.auth
    if payload.appointment_id:
        opened = services.chart_open_for_appointment(
            actor=actor, appointment_id=payload.appointment_id, template_id=payload.template_id
        )
        return Status(201 if opened.created else 200, _fresh(request, opened.chart))
    if not payload.patient_id:
        raise InvalidInput(fields={"patient_id": "Give an appointment or a patient."})
    chart = services.chart_create(
        actor=actor, patient_id=payload.patient_id, template_id=payload.template_id, service_id=payload.service_id
    )
    return Status(201, _fresh(request, chart))


@router.get("/charts/{chart_id}", response=ChartOut, **VIEW)
def chart_detail(request: HttpRequest, chart_id: UUID):
    """The whole chart with its signatures, amendments and the patient's alerts (audited)."""
    return _read(request, chart_id)


@router.get("/charts/{chart_id}/pdf", response={200: bytes}, **VIEW)
def chart_pdf(request: HttpRequest, chart_id: UUID):
    """The signed chart as a printable PDF attachment (audited as `chart.exported`); a draft is 409."""
    data, filename = export.chart_pdf(actor=request.auth, chart_id=chart_id)
    return pdf_response(data, filename)


@router.put("/charts/{chart_id}", response=ChartOut, **EDIT)
def chart_update(request: HttpRequest, chart_id: UUID, payload: ChartUpdate):
    """Save a draft's content; `version` must be the one loaded (409 when another device saved first)."""
    chart = services.chart_save(actor=request.auth, chart_id=chart_id, content=payload.content, version=payload.version)
    return _fresh(request, chart)


@router.get("/charts/{chart_id}/checklist", response=list[ChecklistItemOut], **VIEW)
def chart_checklist(request: HttpRequest, chart_id: UUID):
    chart = selectors.chart_get(actor=request.auth, chart_id=chart_id, audit="")
    return [vars(item) for item in selectors.chart_checklist(actor=request.auth, chart=chart)]


@router.post("/charts/{chart_id}/sign", response=ChartOut, **SIGN_ANY)
def chart_sign(request: HttpRequest, chart_id: UUID, payload: SignIn):
    """The provider signs their draft; on a chart waiting for sign-off the medical director
    co-signs. The password is asked at every signature."""
    actor = request.auth
    chart = selectors.chart_get(actor=actor, chart_id=chart_id, audit="")
    if chart.status == ChartStatus.NEEDS_SIGNOFF and actor.can("charting.sign_md"):
        chart = services.chart_md_sign(
            actor=actor, chart_id=chart_id, password=payload.password, signature_image=payload.signature_image
        )
    else:
        chart = services.chart_sign(
            actor=actor,
            chart_id=chart_id,
            password=payload.password,
            override_reason=payload.override_reason,
            signature_image=payload.signature_image,
        )
    return _fresh(request, chart)


@router.post("/charts/{chart_id}/lock", response=ChartOut, **SIGN_ANY)
def chart_lock(request: HttpRequest, chart_id: UUID):
    return _fresh(request, services.chart_lock(actor=request.auth, chart_id=chart_id))


@router.post("/charts/{chart_id}/return", response=ChartOut, **MD)
def chart_return(request: HttpRequest, chart_id: UUID, payload: CommentIn):
    """The medical director sends the chart back to its provider (Draft) with a comment."""
    return _fresh(request, services.chart_return(actor=request.auth, chart_id=chart_id, comment=payload.comment))


@router.post("/charts/{chart_id}/request-info", response=ChartOut, **MD)
def chart_request_info(request: HttpRequest, chart_id: UUID, payload: CommentIn):
    """The medical director asks a question; the chart stays in the queue."""
    return _fresh(request, services.chart_request_info(actor=request.auth, chart_id=chart_id, comment=payload.comment))


@router.post("/charts/{chart_id}/reply", response=ChartOut, **needs("charting.sign"))
def chart_reply(request: HttpRequest, chart_id: UUID, payload: CommentIn):
    return _fresh(request, services.chart_reply(actor=request.auth, chart_id=chart_id, comment=payload.comment))


@router.post("/charts/{chart_id}/amend", response={201: ChartOut}, **needs("charting.amend"))
def chart_amend(request: HttpRequest, chart_id: UUID, payload: AmendIn):
    """Append a signed amendment to a closed chart; the original is untouched."""
    services.chart_amend(
        actor=request.auth,
        chart_id=chart_id,
        reason=payload.reason,
        text=payload.text,
        password=payload.password,
        product_corrections=payload.product_corrections,
    )
    chart = selectors.chart_get(actor=request.auth, chart_id=chart_id, audit="")
    return Status(201, chart_json(request.auth, chart))
