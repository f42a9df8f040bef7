"""Templates and how services and the clinic chart: versions are published, never edited."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from medspa.accounts import selectors as account_selectors
from medspa.catalog import selectors as catalog_selectors
from medspa.charting.library import LIBRARY, validate_sections
from medspa.charting.models import (
    ChartTemplate,
    ChartTemplateVersion,
    ClinicChartSettings,
    ServiceChartSettings,
)
from medspa.charting.selectors import as_uuid
from medspa.charting.services.common import (
    SIGN_MD,
    TEMPLATES,
)
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound


def template_library_install(*, clinic) -> int:
    """Give a clinic every library template it lacks (idempotent); returns how many were added."""
    existing = set(ChartTemplate.objects.filter(clinic=clinic).values_list("key", flat=True))
    added = 0
    with transaction.atomic():
        for key, spec in LIBRARY.items():
            if key in existing:
                continue
            template = ChartTemplate.objects.create(
                clinic=clinic, key=key, name=spec["name"], description=spec["description"], from_library=True
            )
            ChartTemplateVersion.objects.create(
                clinic=clinic, template=template, number=1, sections=validate_sections(spec["sections"])
            )
            added += 1
    return added


def _slug(name: str) -> str:
    return slugify(name)[:50] or "template"


def template_create(*, actor: Actor, name: str, sections, description: str = "") -> ChartTemplate:
    """A custom template with its first version."""
    actor.require(TEMPLATES)
    name = (name or "").strip()[:120]
    if not name:
        raise InvalidInput(fields={"name": "Name the template."})
    clean = validate_sections(sections)
    with transaction.atomic():
        key = base = _slug(name)
        n = 2
        while ChartTemplate.objects.filter(clinic=actor.clinic, key=key).exists():
            key, n = f"{base}-{n}", n + 1
        template = ChartTemplate.objects.create(
            clinic=actor.clinic, key=key, name=name, description=(description or "")[:300], created_by=actor.user
        )
        ChartTemplateVersion.objects.create(
            clinic=actor.clinic, template=template, number=1, sections=clean, created_by=actor.user
        )
        audit_record(action="chart_template.created", actor=actor, obj=template, changes={"name": name})
    return template


def template_update(
    *, actor: Actor, template_id, sections, name: str | None = None, base_version: int | None = None
) -> ChartTemplate:
    """Publish a new version of a template; charts keep the version they were written with.
    A stale `base_version` (someone else published first) is a 409."""
    actor.require(TEMPLATES)
    clean = validate_sections(sections)
    with transaction.atomic():
        template = (
            ChartTemplate.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(template_id)).first()
        )
        if template is None:
            raise NotFound()
        if base_version is not None and base_version != template.current_version:
            raise Conflict("This template was changed by someone else; reload it.", code="stale_version")
        number = template.current_version + 1
        ChartTemplateVersion.objects.create(
            clinic=actor.clinic, template=template, number=number, sections=clean, created_by=actor.user
        )
        template.current_version = number
        if name is not None and name.strip():
            template.name = name.strip()[:120]
        template.save(update_fields=["current_version", "name", "updated_at"])
        audit_record(action="chart_template.published", actor=actor, obj=template, changes={"version": number})
    return template


def template_set_active(*, actor: Actor, template_id, active: bool) -> ChartTemplate:
    actor.require(TEMPLATES)
    with transaction.atomic():
        template = ChartTemplate.objects.filter(clinic=actor.clinic, pk=as_uuid(template_id)).first()
        if template is None:
            raise NotFound()
        template.active = bool(active)
        template.save(update_fields=["active", "updated_at"])
        audit_record(
            action="chart_template.activated" if active else "chart_template.retired", actor=actor, obj=template
        )
    return template


def service_settings_update(
    *,
    actor: Actor,
    service_id,
    template_id=None,
    requires_md_review: bool = False,
    min_before_photos: int = 0,
    aftercare: str = "",
) -> ServiceChartSettings:
    """How a service is charted: default template, MD review, before photos, aftercare."""
    actor.require(TEMPLATES)
    service = catalog_selectors.service_get(actor=actor, service_id=service_id)
    template = None
    if template_id:
        template = ChartTemplate.objects.filter(clinic=actor.clinic, pk=as_uuid(template_id)).first()
        if template is None:
            raise InvalidInput(fields={"template_id": "Choose one of the clinic's templates."})
    if (
        isinstance(min_before_photos, bool)
        or not isinstance(min_before_photos, int)
        or not 0 <= min_before_photos <= 12
    ):
        raise InvalidInput(fields={"min_before_photos": "Enter a number from 0 to 12."})
    aftercare = (aftercare or "").replace("\x00", "").strip()
    if len(aftercare) > 5000:
        raise InvalidInput(fields={"aftercare": "At most 5000 characters."})
    with transaction.atomic():
        settings, _ = ServiceChartSettings.objects.update_or_create(
            clinic=actor.clinic,
            service=service,
            defaults={
                "template": template,
                "requires_md_review": bool(requires_md_review),
                "min_before_photos": min_before_photos,
                "aftercare": aftercare,
            },
        )
        audit_record(
            action="service.chart_settings_updated",
            actor=actor,
            obj=service,
            changes={
                "template": str(template.pk) if template else None,
                "requires_md_review": bool(requires_md_review),
                "min_before_photos": min_before_photos,
            },
        )
    return settings


def clinic_settings_update(
    *, actor: Actor, medical_director_id=None, alternate_medical_director_id=None, allow_sign_with_missing=True
) -> ClinicChartSettings:
    """Name the clinic's medical director and alternate (members holding the MD permission)."""
    actor.require("settings.manage")
    directors = {str(u.pk): u for u in _md_candidates(actor)}
    chosen = []
    for name, value in (
        ("medical_director_id", medical_director_id),
        ("alternate_medical_director_id", alternate_medical_director_id),
    ):
        if value in (None, ""):
            chosen.append(None)
        elif str(value) in directors:
            chosen.append(directors[str(value)])
        else:
            raise InvalidInput(fields={name: "Choose a staff member who can co-sign as medical director."})
    if chosen[0] is not None and chosen[0] == chosen[1]:
        raise InvalidInput(fields={"alternate_medical_director_id": "The alternate must be someone else."})
    with transaction.atomic():
        settings, _ = ClinicChartSettings.objects.update_or_create(
            clinic=actor.clinic,
            defaults={
                "medical_director": chosen[0],
                "alternate_medical_director": chosen[1],
                "allow_sign_with_missing": bool(allow_sign_with_missing),
            },
        )
        audit_record(
            action="clinic.chart_settings_updated",
            actor=actor,
            obj=settings,
            changes={
                "medical_director": str(chosen[0].pk) if chosen[0] else None,
                "alternate": str(chosen[1].pk) if chosen[1] else None,
                "allow_sign_with_missing": bool(allow_sign_with_missing),
            },
        )
    return settings


def _md_candidates(actor: Actor):
    return account_selectors.members_with_permission(actor=actor, permission=SIGN_MD)
