"""Reads of charts and templates, scoped by clinic and role; chart reads are audited."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from medspa.charting.checklist import Item, content_items, registered_checks
from medspa.charting.choices import ChartStatus
from medspa.charting.content import totals
from medspa.charting.models import (
    Chart,
    ChartAmendment,
    ChartReviewNote,
    ChartSignature,
    ChartTemplate,
    ChartTemplateVersion,
    ClinicChartSettings,
    ServiceChartSettings,
)
from medspa.core import files
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, NotFound
from medspa.core.models import StoredFile
from medspa.patients.selectors import patient_record_ids

VIEW = "charting.view"


def as_uuid(value):
    """A UUID from `value`, or NotFound (a malformed id looks exactly like a missing one)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise NotFound() from None


def charts_for(actor: Actor) -> QuerySet[Chart]:
    """Every live chart of the actor's clinic (requires `charting.view`)."""
    actor.require(VIEW)
    return Chart.objects.filter(clinic=actor.clinic)


def chart_get(*, actor: Actor, chart_id, audit: str = "chart.viewed", via: str = "page") -> Chart:
    """One chart of the actor's clinic, with the read audited (`audit=""` for an internal
    read that is audited by its caller). Another clinic's chart is 404."""
    chart = (
        charts_for(actor)
        .select_related("patient", "provider", "service", "template_version__template", "appointment")
        .filter(pk=as_uuid(chart_id))
        .first()
    )
    if chart is None:
        raise NotFound()
    if audit:
        audit_record(action=audit, actor=actor, obj=chart, patient_id=str(chart.patient_id), changes={"via": via})
    return chart


def chart_open_for_photos(*, actor: Actor, chart_id, patient_id=None) -> Chart:
    """The draft chart a photo may be attached to or detached from: 404 outside the clinic
    (or for another patient's chart), 409 once the chart is signed (its photos are part of
    what was signed)."""
    chart = charts_for(actor).filter(pk=as_uuid(chart_id)).first()
    if chart is None or (patient_id is not None and str(chart.patient_id) != str(patient_id)):
        raise NotFound()
    if chart.status != ChartStatus.DRAFT:
        raise Conflict("This chart is signed; its photos can no longer change.", code="chart_signed")
    return chart


def template_list(*, actor: Actor, include_inactive: bool = False) -> QuerySet[ChartTemplate]:
    actor.require(VIEW)
    found = ChartTemplate.objects.filter(clinic=actor.clinic)
    return found if include_inactive else found.filter(active=True)


def clinic_settings(*, clinic) -> ClinicChartSettings:
    """The clinic's charting rules (defaults when never saved; nothing is written)."""
    found = ClinicChartSettings.objects.filter(clinic=clinic).first()
    return found or ClinicChartSettings(clinic=clinic)


def service_settings(*, clinic, service_id) -> ServiceChartSettings | None:
    if service_id is None:
        return None
    return ServiceChartSettings.objects.filter(clinic=clinic, service_id=service_id).select_related("template").first()


def chart_checklist(*, actor: Actor, chart: Chart) -> list[Item]:
    """What the sign step shows: the chart's own items, then every registered module check."""
    from medspa.photos import selectors as photo_selectors

    settings = service_settings(clinic=actor.clinic, service_id=chart.service_id)
    photos = photo_selectors.chart_photo_manifest(clinic_id=actor.clinic.pk, chart_id=chart.pk)
    items = content_items(
        sections=chart.template_version.sections,
        content=chart.content,
        photo_count=len(photos),
        before_photos=sum(1 for p in photos if p["phase"] == "before"),
        min_before=settings.min_before_photos if settings else 0,
    )
    for check in registered_checks():
        items.extend(check(actor=actor, chart=chart))
    return items


def review_queue(*, actor: Actor, provider_id=None, service_id=None, day_from=None, day_to=None) -> QuerySet[Chart]:
    """Charts waiting for the medical director, oldest submission first (`charting.sign_md`)."""
    actor.require("charting.sign_md")
    found = Chart.objects.filter(clinic=actor.clinic, status=ChartStatus.NEEDS_SIGNOFF)
    if provider_id:
        found = found.filter(provider_id=as_uuid(provider_id))
    if service_id:
        found = found.filter(service_id=as_uuid(service_id))
    if day_from:
        found = found.filter(treated_at__date__gte=day_from)
    if day_to:
        found = found.filter(treated_at__date__lte=day_to)
    return found.select_related("patient", "provider", "service").order_by("submitted_at", "id")


def review_queue_count(*, actor: Actor) -> int:
    """The sidebar badge: charts waiting for sign-off (0 for actors who cannot co-sign)."""
    if actor is None or actor.clinic is None or not actor.can("charting.sign_md"):
        return 0
    return Chart.objects.filter(clinic=actor.clinic, status=ChartStatus.NEEDS_SIGNOFF).count()


def patient_charts(*, actor: Actor, patient_id, limit: int = 100) -> list[Chart]:
    """A patient's charts, newest treatment first (no content: a list)."""
    return list(
        charts_for(actor)
        .filter(patient_id__in=patient_record_ids(actor=actor, patient_id=as_uuid(patient_id)))
        .select_related("provider", "service", "template_version__template")
        .defer("content")
        .order_by("-treated_at")[:limit]
    )


def my_drafts(*, actor: Actor, limit: int = 100) -> list[Chart]:
    """The actor's own charts that still need their signature (drafts), oldest first."""
    return list(
        charts_for(actor)
        .filter(provider_id=getattr(actor.user, "pk", None), status=ChartStatus.DRAFT)
        .select_related("patient", "service", "template_version__template")
        .defer("content")
        .order_by("treated_at")[:limit]
    )


def chart_for_appointment(*, actor: Actor, appointment_id) -> Chart | None:
    """The appointment's chart, if one was opened (no audit: a link, not a read of content)."""
    return charts_for(actor).filter(appointment_id=as_uuid(appointment_id)).defer("content").first()


def chart_signatures(*, chart: Chart) -> list[ChartSignature]:
    return list(ChartSignature.objects.filter(clinic_id=chart.clinic_id, chart=chart).order_by("signed_at"))


def signature_image_urls(*, actor: Actor, signatures: list[ChartSignature]) -> dict:
    """Short-lived URLs of the drawn signatures among `signatures` (one audited issuance)."""
    drawn = [s for s in signatures if s.image_id]
    if not drawn:
        return {}
    stored = {f.pk: f for f in StoredFile.objects.filter(clinic=actor.clinic, pk__in=[s.image_id for s in drawn])}
    urls = files.signed_urls(actor=actor, stored=list(stored.values()), permission=VIEW)
    return {s.pk: urls[s.image_id] for s in drawn if s.image_id in urls}


def chart_amendments(*, chart: Chart) -> list[ChartAmendment]:
    return list(
        ChartAmendment.objects.filter(clinic_id=chart.clinic_id, chart=chart)
        .select_related("author")
        .order_by("number")
    )


def chart_review_notes(*, chart: Chart) -> list[ChartReviewNote]:
    return list(
        ChartReviewNote.objects.filter(clinic_id=chart.clinic_id, chart=chart)
        .select_related("author")
        .order_by("created_at")
    )


def template_get(*, actor: Actor, template_id) -> ChartTemplate:
    actor.require(VIEW)
    found = ChartTemplate.objects.filter(clinic=actor.clinic, pk=as_uuid(template_id)).first()
    if found is None:
        raise NotFound()
    return found


def template_current_version(*, template: ChartTemplate) -> ChartTemplateVersion:
    return ChartTemplateVersion.objects.get(
        clinic_id=template.clinic_id, template=template, number=template.current_version
    )


def chart_totals(*, chart: Chart) -> dict:
    """Units by zone and by product, computed from the chart's injection rows."""
    return totals(chart.content)
