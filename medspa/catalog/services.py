"""Writes to the catalog: tax rates, categories, rooms, equipment and services.

Every function takes the actor, checks `catalog.manage`, validates every field (all
errors at once, 422 with per-field messages), checks every id it is given against the
actor's clinic (another clinic's id is "unknown", never a hint that it exists), writes in
one transaction and records an audit event with what changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from medspa.catalog.choices import (
    MAX_BUFFER_MINUTES,
    MAX_CONSULTATION_MONTHS,
    MAX_DURATION_MINUTES,
    Concern,
    DepositKind,
    EquipmentKind,
    RoomKind,
    TreatmentType,
)
from medspa.catalog.models import Equipment, Room, Service, ServiceCategory, TaxRate
from medspa.catalog.selectors import as_uuid, provider_candidates
from medspa.catalog.validation import FieldChecks
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound
from medspa.core.models import Location

MANAGE = "catalog.manage"
MAX_PRICE = Decimal("99999999.99")

TAX_RATE_FIELDS = ("name", "rate", "active")
CATEGORY_FIELDS = ("name", "position")
ROOM_FIELDS = ("location_id", "name", "kind", "capacity", "active")
EQUIPMENT_FIELDS = ("location_id", "name", "kind", "quantity", "active")
SERVICE_FIELDS = (
    "name",
    "description",
    "category_id",
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "price",
    "taxable",
    "deposit_kind",
    "deposit_value",
    "bookable_online",
    "consultation_service_id",
    "consultation_valid_months",
    "concerns",
    "treatment_type",
    "room_kind",
    "color",
    "is_addon",
    "active",
    "position",
)
# Many-to-many choices, given as lists of ids.
SERVICE_RELATIONS = ("tax_rate_ids", "equipment_ids", "provider_ids", "addon_ids")


def _model_checked(instance, *, exclude: Iterable[str] = ()) -> None:
    """Model validation as a last guard, as a 422 with per-field messages."""
    try:
        instance.full_clean(exclude=[*exclude, "clinic"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise InvalidInput(fields={k: " ".join(v) for k, v in exc.message_dict.items()}) from exc


def _apply(instance, clean: dict[str, Any]) -> dict[str, list]:
    """Set the clean values on `instance`; return {field: [old, new]} for the audit log."""
    changes = {}
    for name, value in clean.items():
        old = getattr(instance, name)
        if old != value:
            changes[name] = [old, value]
            setattr(instance, name, value)
    return changes


def _save(instance, *, conflict_fields: dict[str, str]) -> None:
    """Save; a unique constraint lost to a concurrent writer becomes a 409, never a 500."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise Conflict("Another record already uses this name.", fields=conflict_fields) from exc


def _locked(model, actor: Actor, pk, *, manager=None):
    row = (manager or model.objects).select_for_update().filter(clinic=actor.clinic, pk=as_uuid(pk)).first()
    if row is None:
        raise NotFound()
    return row


def _name_free(queryset, name: str, exclude=None, message: str = "Already in use.") -> None:
    taken = queryset.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Conflict("This name is already in use.", fields={"name": message})


# Tax rates ----------------------------------------------------------------------------


def _clean_tax_rate(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    form = FieldChecks(data, TAX_RATE_FIELDS)
    form.text("name", max_length=80, required=creating or "name" in data)
    form.decimal("rate", low=Decimal(0), high=Decimal(100), places=3, required=creating)
    form.boolean("active")
    form.raise_if_invalid()
    return form.clean


def _create_named(actor: Actor, model, clean: dict[str, Any], *, action: str, scope: tuple[str, ...] = ()):
    """Insert a row whose name is unique within the clinic (and `scope`, e.g. its location)."""
    where = "Already in use at this location." if scope else "Already in use."
    with transaction.atomic():
        siblings = model.objects.filter(clinic=actor.clinic, **{f: clean[f] for f in scope})
        _name_free(siblings, clean["name"], message=where)
        row = model(clinic=actor.clinic)
        changes = _apply(row, clean)
        _model_checked(row, exclude=[f.removesuffix("_id") for f in scope])
        _save(row, conflict_fields={"name": where})
        audit_record(action=action, actor=actor, obj=row, changes=changes)
    return row


def _update_named(actor: Actor, model, pk, clean: dict[str, Any], *, action: str, scope: tuple[str, ...] = ()):
    """Change a row found in the actor's clinic (404 otherwise); audited when anything changed."""
    where = "Already in use at this location." if scope else "Already in use."
    with transaction.atomic():
        row = _locked(model, actor, pk)
        if "name" in clean or any(f in clean for f in scope):
            siblings = model.objects.filter(clinic=actor.clinic, **{f: clean.get(f, getattr(row, f)) for f in scope})
            _name_free(siblings, clean.get("name", row.name), exclude=row, message=where)
        changes = _apply(row, clean)
        if changes:
            _model_checked(row, exclude=[f.removesuffix("_id") for f in scope])
            _save(row, conflict_fields={"name": where})
            audit_record(action=action, actor=actor, obj=row, changes=changes)
    return row


def tax_rate_create(*, actor: Actor, data: dict[str, Any]) -> TaxRate:
    """Add a named tax rate (percent, up to three decimals); names are unique per clinic."""
    actor.require(MANAGE)
    clean = _clean_tax_rate(data, creating=True)
    return _create_named(actor, TaxRate, clean, action="catalog.tax_rate_created")


def tax_rate_update(*, actor: Actor, tax_rate_id, data: dict[str, Any]) -> TaxRate:
    actor.require(MANAGE)
    clean = _clean_tax_rate(data, creating=False)
    return _update_named(actor, TaxRate, tax_rate_id, clean, action="catalog.tax_rate_updated")


def tax_rate_archive(*, actor: Actor, tax_rate_id) -> TaxRate:
    """Stop offering a tax rate (it stays on past records); restore it by editing."""
    return tax_rate_update(actor=actor, tax_rate_id=tax_rate_id, data={"active": False})


# Categories ---------------------------------------------------------------------------


def _clean_category(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    form = FieldChecks(data, CATEGORY_FIELDS)
    form.text("name", max_length=80, required=creating or "name" in data)
    form.integer("position", low=0, high=10_000)
    form.raise_if_invalid()
    return form.clean


def category_create(*, actor: Actor, data: dict[str, Any]) -> ServiceCategory:
    """Add a menu heading; without a position it goes last."""
    actor.require(MANAGE)
    clean = _clean_category(data, creating=True)
    clean.setdefault("position", ServiceCategory.objects.filter(clinic=actor.clinic).count())
    return _create_named(actor, ServiceCategory, clean, action="catalog.category_created")


def category_update(*, actor: Actor, category_id, data: dict[str, Any]) -> ServiceCategory:
    actor.require(MANAGE)
    clean = _clean_category(data, creating=False)
    return _update_named(actor, ServiceCategory, category_id, clean, action="catalog.category_updated")


def category_delete(*, actor: Actor, category_id) -> None:
    """Remove an empty category. Refused (409) while live services are in it; archived
    services in it lose their category."""
    actor.require(MANAGE)
    with transaction.atomic():
        category = _locked(ServiceCategory, actor, category_id)
        in_use = Service.objects.filter(clinic=actor.clinic, category=category).count()
        if in_use:
            raise Conflict(
                f"{in_use} service(s) are in this category. Move or archive them first.", code="category_in_use"
            )
        audit_record(action="catalog.category_deleted", actor=actor, obj=category, changes={"name": category.name})
        category.delete()


# Rooms and equipment ------------------------------------------------------------------


def _clean_resource(actor: Actor, data: dict[str, Any], *, creating: bool, kinds, amount: str) -> dict[str, Any]:
    fields = ROOM_FIELDS if amount == "capacity" else EQUIPMENT_FIELDS
    form = FieldChecks(data, fields)
    form.one_id(
        "location_id",
        Location.objects.filter(clinic=actor.clinic),
        required=creating or "location_id" in data,
        message="Choose one of your clinic's locations.",
    )
    form.text("name", max_length=80, required=creating or "name" in data)
    form.choice("kind", kinds, required=creating)
    form.integer(amount, low=1, high=50)
    form.boolean("active")
    form.raise_if_invalid()
    return form.clean


def _resource_create(actor: Actor, model, data, *, kinds, amount: str, action: str):
    actor.require(MANAGE)
    clean = _clean_resource(actor, data, creating=True, kinds=kinds, amount=amount)
    return _create_named(actor, model, clean, action=action, scope=("location_id",))


def _resource_update(actor: Actor, model, pk, data, *, kinds, amount: str, action: str):
    actor.require(MANAGE)
    clean = _clean_resource(actor, data, creating=False, kinds=kinds, amount=amount)
    return _update_named(actor, model, pk, clean, action=action, scope=("location_id",))


def room_create(*, actor: Actor, data: dict[str, Any]) -> Room:
    """Add a room at one of the clinic's locations; names are unique per location."""
    return _resource_create(actor, Room, data, kinds=RoomKind.values, amount="capacity", action="catalog.room_created")


def room_update(*, actor: Actor, room_id, data: dict[str, Any]) -> Room:
    return _resource_update(
        actor, Room, room_id, data, kinds=RoomKind.values, amount="capacity", action="catalog.room_updated"
    )


def room_archive(*, actor: Actor, room_id) -> Room:
    """Take a room out of use (no new bookings); restore it by editing."""
    return room_update(actor=actor, room_id=room_id, data={"active": False})


def equipment_create(*, actor: Actor, data: dict[str, Any]) -> Equipment:
    """Add a device at one of the clinic's locations; `quantity` units exist there."""
    return _resource_create(
        actor, Equipment, data, kinds=EquipmentKind.values, amount="quantity", action="catalog.equipment_created"
    )


def equipment_update(*, actor: Actor, equipment_id, data: dict[str, Any]) -> Equipment:
    return _resource_update(
        actor,
        Equipment,
        equipment_id,
        data,
        kinds=EquipmentKind.values,
        amount="quantity",
        action="catalog.equipment_updated",
    )


def equipment_archive(*, actor: Actor, equipment_id) -> Equipment:
    return equipment_update(actor=actor, equipment_id=equipment_id, data={"active": False})


# Services -----------------------------------------------------------------------------


def _clean_service(actor: Actor, data: dict[str, Any], current: Service | None) -> dict[str, Any]:
    """Validate a create (current=None) or a partial update; cross-field rules see the
    values the service will have afterwards."""
    creating = current is None
    form = FieldChecks(data, (*SERVICE_FIELDS, *SERVICE_RELATIONS))
    live = Service.objects.filter(clinic=actor.clinic)
    form.text("name", max_length=120, required=creating or "name" in data)
    form.text("description", max_length=2000)
    form.one_id(
        "category_id", ServiceCategory.objects.filter(clinic=actor.clinic), message="Choose one of your categories."
    )
    form.integer("duration_minutes", low=1, high=MAX_DURATION_MINUTES, required=creating)
    form.integer("buffer_before_minutes", low=0, high=MAX_BUFFER_MINUTES)
    form.integer("buffer_after_minutes", low=0, high=MAX_BUFFER_MINUTES)
    form.decimal("price", low=Decimal(0), high=MAX_PRICE, places=2, required=creating)
    form.boolean("taxable")
    form.choice("deposit_kind", DepositKind.values)
    if "deposit_value" in data and data["deposit_value"] in (None, ""):
        data = {**data, "deposit_value": 0}
        form.data = data
    form.decimal("deposit_value", low=Decimal(0), high=MAX_PRICE, places=2)
    form.boolean("bookable_online")
    form.one_id("consultation_service_id", live, message="Choose one of your services.")
    form.integer("consultation_valid_months", low=1, high=MAX_CONSULTATION_MONTHS, nullable=True)
    form.choice("treatment_type", TreatmentType.values)
    form.choice("room_kind", ["", *RoomKind.values])
    form.color("color")
    form.boolean("is_addon")
    form.boolean("active")
    form.integer("position", low=0, high=10_000)
    if form.has("concerns"):
        concerns = data["concerns"] or []
        if not isinstance(concerns, list | tuple) or any(c not in Concern.values for c in concerns):
            form.errors["concerns"] = "Choose from the listed concerns."
        else:
            form.clean["concerns"] = [c for c in Concern.values if c in concerns]
    form.many_ids(
        "tax_rate_ids", TaxRate.objects.filter(clinic=actor.clinic), message="Choose from your clinic's tax rates."
    )
    form.many_ids(
        "equipment_ids", Equipment.objects.filter(clinic=actor.clinic), message="Choose from your clinic's equipment."
    )
    form.many_ids("addon_ids", live.filter(is_addon=True), message="Choose from your add-on services.")
    form.many_ids(
        "provider_ids",
        provider_candidates(actor=actor),
        message="Choose active team members who perform treatments.",
    )

    clean = form.clean
    errors = form.errors

    def final(name, default=None):
        if name in clean:
            return clean[name]
        if current is not None:
            return getattr(current, name)
        return default

    # Cross-field rules on the values the service will have.
    own_id = current.pk if current is not None else None
    consultation = final("consultation_service_id")
    if "consultation_service_id" not in errors and consultation is not None:
        if consultation == own_id:
            errors["consultation_service_id"] = "A service cannot require itself."
        elif live.filter(pk=consultation, is_addon=True).exists():
            errors["consultation_service_id"] = "An add-on cannot be the required consultation."
    if consultation is None and "consultation_service_id" in clean:
        clean["consultation_valid_months"] = None
    elif consultation is None and clean.get("consultation_valid_months") is not None:
        errors["consultation_valid_months"] = "Choose the consultation first."

    kind = final("deposit_kind", DepositKind.NONE)
    value = final("deposit_value", Decimal(0))
    price = final("price", Decimal(0))
    if "deposit_value" not in errors and "price" not in errors:
        if kind == DepositKind.NONE:
            if value:
                clean["deposit_value"] = Decimal("0.00")
        elif value <= 0:
            errors["deposit_value"] = "Enter the deposit."
        elif kind == DepositKind.PERCENT and value > 100:
            errors["deposit_value"] = "A percent deposit cannot be more than 100."
        elif kind == DepositKind.FIXED and value > price:
            errors["deposit_value"] = "A fixed deposit cannot be more than the price."

    is_addon = final("is_addon", False)
    addon_ids = clean.get("addon_ids")
    if addon_ids is None and current is not None and "is_addon" in clean:
        addon_ids = list(current.addons.values_list("pk", flat=True))
    if "addon_ids" not in errors and addon_ids:
        if own_id in addon_ids:
            errors["addon_ids"] = "A service cannot be its own add-on."
        elif is_addon:
            errors["addon_ids"] = "An add-on cannot have add-ons of its own."
    if current is not None and current.is_addon and clean.get("is_addon") is False:
        used_by = Service.objects.filter(clinic=actor.clinic, addons=current).count()
        if used_by:
            errors["is_addon"] = f"{used_by} service(s) offer this as an add-on; remove it from them first."

    taxable = final("taxable", False)
    if "tax_rate_ids" not in errors:
        if not taxable:
            if "taxable" in clean or "tax_rate_ids" in clean:
                clean["tax_rate_ids"] = []
        else:
            rates = clean.get("tax_rate_ids")
            if rates is None and current is not None:
                rates = list(current.tax_rates.values_list("pk", flat=True))
            if not rates:
                errors["tax_rate_ids"] = "Choose the tax rate(s) to charge on this service."
    if errors:
        raise InvalidInput(fields=errors)
    return clean


def _set_relations(actor: Actor, service: Service, relations: dict[str, list]) -> dict[str, list[str]]:
    """Replace the many-to-many choices given; the link rows carry the clinic too."""
    managers = {
        "tax_rate_ids": service.tax_rates,
        "equipment_ids": service.equipment,
        "provider_ids": service.providers,
        "addon_ids": service.addons,
    }
    changes = {}
    for name, ids in relations.items():
        manager = managers[name]
        before = sorted(str(pk) for pk in manager.values_list("pk", flat=True))
        after = sorted(str(pk) for pk in ids)
        if before != after:
            manager.set(ids, through_defaults={"clinic": actor.clinic})
            changes[name] = [before, after]
    return changes


def _split(clean: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    relations = {name: clean.pop(name) for name in SERVICE_RELATIONS if name in clean}
    return clean, relations


def service_create(*, actor: Actor, data: dict[str, Any]) -> Service:
    """Add a service to the menu (name, duration and price are required)."""
    actor.require(MANAGE)
    scalars, relations = _split(_clean_service(actor, data, None))
    with transaction.atomic():
        _name_free(Service.objects.filter(clinic=actor.clinic), scalars["name"])
        service = Service(clinic=actor.clinic)
        changes = _apply(service, scalars)
        _model_checked(service, exclude=["category", "consultation_service"])
        _save(service, conflict_fields={"name": "Already in use."})
        changes.update(_set_relations(actor, service, relations))
        audit_record(action="catalog.service_created", actor=actor, obj=service, changes=changes)
    return service


def service_update(*, actor: Actor, service_id, data: dict[str, Any], version: int | None = None) -> Service:
    """Change a service. A stale `version` (someone saved in between) is refused with 409."""
    actor.require(MANAGE)
    with transaction.atomic():
        service = _locked(Service, actor, service_id)
        if version is not None and service.version != version:
            raise Conflict("Someone else changed this service; reload it and try again.", code="stale_version")
        scalars, relations = _split(_clean_service(actor, data, service))
        if "name" in scalars:
            _name_free(Service.objects.filter(clinic=actor.clinic), scalars["name"], exclude=service)
        changes = _apply(service, scalars)
        if changes:
            _model_checked(service, exclude=["category", "consultation_service"])
        changes.update(_set_relations(actor, service, relations))
        if changes:
            service.version = F("version") + 1
            _save(service, conflict_fields={"name": "Already in use."})
            service.refresh_from_db()
            audit_record(action="catalog.service_updated", actor=actor, obj=service, changes=changes)
    return service


def service_archive(*, actor: Actor, service_id) -> None:
    """Take a service off the menu for good (soft delete: kept for past appointments).

    Refused (409) while other live services require it as their consultation.
    """
    actor.require(MANAGE)
    with transaction.atomic():
        service = _locked(Service, actor, service_id)
        dependants = Service.objects.filter(clinic=actor.clinic, consultation_service=service).count()
        if dependants:
            raise Conflict(
                f"{dependants} service(s) require this consultation. Change them first.", code="consultation_in_use"
            )
        Service.objects.filter(pk=service.pk).update(deleted_at=timezone.now(), version=F("version") + 1)
        audit_record(action="catalog.service_archived", actor=actor, obj=service, changes={"name": service.name})
