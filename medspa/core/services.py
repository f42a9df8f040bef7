"""Writes to the tenant itself: clinic profile and policies, locations."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound
from medspa.core.models import Clinic, Location

CLINIC_FIELDS = ("name", "currency", "timezone", "require_mfa", "session_idle_minutes")
LOCATION_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "timezone",
    "phone",
    "is_active",
)


def _validated(instance) -> None:
    """Model validation as a domain error (422 with per-field messages), never a 500."""
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise InvalidInput(fields={field: " ".join(messages) for field, messages in exc.message_dict.items()}) from exc


def _apply(instance, data: dict, allowed: tuple[str, ...]) -> dict:
    changes = {}
    for field in allowed:
        if field in data and getattr(instance, field) != data[field]:
            changes[field] = [getattr(instance, field), data[field]]
            setattr(instance, field, data[field])
    return changes


def clinic_update(*, actor: Actor, data: dict) -> Clinic:
    """Change the clinic profile and policies (MFA requirement, idle timeout); audited per field."""
    actor.require("settings.manage")
    with transaction.atomic():
        clinic = Clinic.objects.select_for_update().get(pk=actor.clinic.pk)
        changes = _apply(clinic, data, CLINIC_FIELDS)
        if changes:
            _validated(clinic)
            clinic.save()
            audit_record(action="clinic.updated", actor=actor, obj=clinic, changes=changes)
    return clinic


def _ensure_location_name_free(actor: Actor, name, exclude=None) -> None:
    """Location names are unique within a clinic (staff pick them from lists)."""
    taken = Location.objects.filter(clinic=actor.clinic, name=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Conflict("A location with this name already exists.", fields={"name": "Already in use."})


def location_create(*, actor: Actor, data: dict) -> Location:
    actor.require("settings.manage")
    with transaction.atomic():
        _ensure_location_name_free(actor, data.get("name"))
        location = Location(clinic=actor.clinic)
        _apply(location, data, LOCATION_FIELDS)
        _validated(location)
        location.save()
        audit_record(
            action="location.created", actor=actor, obj=location, changes={k: data.get(k) for k in LOCATION_FIELDS}
        )
    return location


def location_update(*, actor: Actor, location_id, data: dict) -> Location:
    actor.require("settings.manage")
    with transaction.atomic():
        location = Location.objects.select_for_update().filter(clinic=actor.clinic, pk=location_id).first()
        if location is None:
            raise NotFound()
        _ensure_location_name_free(actor, data.get("name"), exclude=location)
        changes = _apply(location, data, LOCATION_FIELDS)
        if changes:
            _validated(location)
            location.save()
            audit_record(action="location.updated", actor=actor, obj=location, changes=changes)
    return location
