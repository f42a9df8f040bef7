"""Drafts: opening a chart for an appointment or a patient, autosave, discarding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from medspa.catalog import selectors as catalog_selectors
from medspa.charting.choices import (
    ChartStatus,
)
from medspa.charting.content import empty_content, validate_content
from medspa.charting.models import (
    Chart,
    ChartTemplate,
    ChartTemplateVersion,
    ServiceChartSettings,
)
from medspa.charting.selectors import as_uuid, service_settings
from medspa.charting.services.common import (
    DEFAULT_TEMPLATE,
    EDIT,
    MANAGERS,
    may_author,
)
from medspa.charting.services.templates import template_library_install
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from medspa.patients import selectors as patient_selectors
from medspa.scheduling import selectors as scheduling_selectors


def _locked_for_edit(actor: Actor, chart_id) -> Chart:
    """The draft, row-locked, that this actor may edit (404 elsewhere, 403, 409 once signed)."""
    actor.require(EDIT)
    chart = Chart.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(chart_id)).first()
    if chart is None:
        raise NotFound()
    if not may_author(actor, chart):
        raise PermissionDenied("Only the chart's provider edits it.", permission=EDIT)
    if chart.status != ChartStatus.DRAFT:
        raise Conflict("This chart is signed and can no longer change; add an amendment instead.", code="chart_signed")
    return chart


def _template_version(actor: Actor, template_id) -> ChartTemplateVersion:
    template = ChartTemplate.objects.filter(clinic=actor.clinic, pk=as_uuid(template_id), active=True).first()
    if template is None:
        raise InvalidInput(fields={"template_id": "Choose one of the clinic's templates."})
    return ChartTemplateVersion.objects.get(clinic=actor.clinic, template=template, number=template.current_version)


def _default_template_version(actor: Actor, settings: ServiceChartSettings | None) -> ChartTemplateVersion:
    template_library_install(clinic=actor.clinic)
    template = settings.template if settings and settings.template and settings.template.active else None
    if template is None:
        template = ChartTemplate.objects.get(clinic=actor.clinic, key=DEFAULT_TEMPLATE)
    return ChartTemplateVersion.objects.get(clinic=actor.clinic, template=template, number=template.current_version)


def _chart_insert(actor: Actor, *, version, settings, values: dict, changes: dict) -> Chart:
    """A new draft from a template version, with the service's MD-review rule and aftercare;
    audited. Call inside the caller's transaction."""
    chart = Chart.objects.create(
        clinic=actor.clinic,
        template_version=version,
        requires_md_review=bool(settings and settings.requires_md_review),
        content=empty_content(aftercare=settings.aftercare if settings else ""),
        created_by=actor.user,
        **values,
    )
    audit_record(
        action="chart.created",
        actor=actor,
        obj=chart,
        patient_id=str(chart.patient_id),
        changes={**changes, "template_version": version.number},
    )
    return chart


@dataclass(frozen=True)
class Opened:
    chart: Chart
    created: bool


def chart_open_for_appointment(*, actor: Actor, appointment_id, template_id=None) -> Opened:
    """The appointment's chart, created from its service's template on first open.

    One chart per appointment: opening twice (two devices, a double tap) gives the same
    chart. The chart's provider is the appointment's provider; only they (or an
    owner/admin) may open a new one."""
    actor.require(EDIT)
    appointment = scheduling_selectors.appointment_get(actor, appointment_id)
    existing = Chart.objects.filter(clinic=actor.clinic, appointment=appointment).first()
    if existing is not None:
        return Opened(existing, False)
    if appointment.provider_id != getattr(actor.user, "pk", None) and actor.role not in MANAGERS:
        raise PermissionDenied("Only the appointment's provider charts it.", permission=EDIT)
    settings = service_settings(clinic=actor.clinic, service_id=appointment.service_id)
    version = _template_version(actor, template_id) if template_id else _default_template_version(actor, settings)
    try:
        with transaction.atomic():
            chart = _chart_insert(
                actor,
                version=version,
                settings=settings,
                values={
                    "patient_id": appointment.patient_id,
                    "appointment": appointment,
                    "service_id": appointment.service_id,
                    "provider_id": appointment.provider_id,
                    "treated_at": appointment.start_at,
                },
                changes={"appointment": str(appointment.pk)},
            )
    except IntegrityError:  # a second device opened it first (one chart per appointment)
        existing = Chart.objects.filter(clinic=actor.clinic, appointment=appointment).first()
        if existing is None:
            raise
        return Opened(existing, False)
    return Opened(chart, True)


def chart_create(
    *, actor: Actor, patient_id, template_id=None, service_id=None, appointment_id=None, treated_at=None
) -> Chart:
    """A chart for an appointment (same as opening it) or a standalone chart for a patient,
    written by the actor."""
    if appointment_id:
        return chart_open_for_appointment(actor=actor, appointment_id=appointment_id, template_id=template_id).chart
    actor.require(EDIT)
    if actor.user is None:
        raise PermissionDenied(permission=EDIT)
    patient = patient_selectors.patient_get(actor=actor, patient_id=as_uuid(patient_id))
    settings = None
    service = None
    if service_id:
        service = catalog_selectors.service_get(actor=actor, service_id=service_id)
        settings = service_settings(clinic=actor.clinic, service_id=service.pk)
    version = _template_version(actor, template_id) if template_id else _default_template_version(actor, settings)
    if treated_at is not None and not isinstance(treated_at, datetime):
        raise InvalidInput(fields={"treated_at": "Enter a date and time."})
    with transaction.atomic():
        return _chart_insert(
            actor,
            version=version,
            settings=settings,
            values={
                "patient": patient,
                "service": service,
                "provider": actor.user,
                "treated_at": treated_at or timezone.now(),
            },
            changes={"standalone": True},
        )


def chart_save(*, actor: Actor, chart_id, content, version: int) -> Chart:
    """Save a draft's whole content (autosave). `version` is the one the editor loaded: a
    stale one means another device saved first (409, nothing written)."""
    with transaction.atomic():
        chart = _locked_for_edit(actor, chart_id)
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidInput(fields={"version": "Send the version you loaded."})
        if version != chart.version:
            raise Conflict("This chart was saved from another device; reload to see the latest.", code="stale_version")
        incoming = dict(content) if isinstance(content, dict) else content
        if isinstance(incoming, dict):
            incoming.pop("photos", None)  # server-owned: the signed photo manifest
        clean = validate_content(
            chart.template_version.sections, incoming, treated_on=timezone.localdate(chart.treated_at)
        )
        changed = sorted(k for k in clean if clean[k] != chart.content.get(k))
        chart.content = clean
        chart.version += 1
        chart.save(update_fields=["content", "version", "updated_at"])
        if changed:
            audit_record(
                action="chart.saved",
                actor=actor,
                obj=chart,
                patient_id=str(chart.patient_id),
                changes={"parts": changed, "version": chart.version},
            )
    return chart


def chart_delete(*, actor: Actor, chart_id) -> None:
    """Discard a draft (soft delete); a signed chart is never deleted."""
    with transaction.atomic():
        chart = _locked_for_edit(actor, chart_id)
        chart.deleted_at = timezone.now()
        chart.save(update_fields=["deleted_at", "updated_at"])
        audit_record(action="chart.deleted", actor=actor, obj=chart, patient_id=str(chart.patient_id))


def chart_guard_acknowledge(*, actor: Actor, chart_id, warnings: list[str]) -> None:
    """Record that the provider read the blocking warning on opening their draft (required
    consents missing) and chose to go on; signing still needs a written reason."""
    actor.require(EDIT)
    with transaction.atomic():
        chart = Chart.objects.filter(clinic=actor.clinic, pk=as_uuid(chart_id)).first()
        if chart is None:
            raise NotFound()
        if not may_author(actor, chart):
            raise PermissionDenied("Only the chart's provider opens its draft.", permission=EDIT)
        audit_record(
            action="chart.guard_acknowledged",
            actor=actor,
            obj=chart,
            patient_id=str(chart.patient_id),
            changes={"warnings": warnings},
        )
