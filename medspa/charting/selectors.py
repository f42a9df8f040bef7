"""Reads of charts and templates, scoped by clinic and role; chart reads are audited."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from medspa.charting.choices import ChartStatus
from medspa.charting.models import Chart, ChartTemplate
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, NotFound

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
