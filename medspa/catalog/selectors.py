"""Reads of the catalog, scoped to the actor's clinic and bounded in queries (the many-to-many
choices are prefetched, so a list costs the same few queries however long it is)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from medspa.accounts.models import Membership
from medspa.catalog.choices import PROVIDER_ROLES
from medspa.catalog.models import Equipment, Room, Service, ServiceCategory, ServiceEquipment, ServiceProvider, TaxRate
from medspa.core.actors import Actor
from medspa.core.errors import NotFound
from medspa.core.models import Location

VIEW = "catalog.view"


def as_uuid(value):
    """A UUID from user input, or None when it is not one (so a bad id is a 404/422, never a 500)."""
    import uuid

    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        return None


def _get(queryset: QuerySet, pk):
    """One row by id, or 404 — the same for a missing row and another clinic's row."""
    row = queryset.filter(pk=as_uuid(pk)).first() if as_uuid(pk) else None
    if row is None:
        raise NotFound()
    return row


def _pk(value):
    return getattr(value, "pk", value)


def provider_candidates(*, actor: Actor, roles=PROVIDER_ROLES) -> QuerySet:
    """Users who may be listed as a service's providers: active members of the clinic whose
    role performs treatments (PROVIDER_ROLES, or the given subset), with an active account."""
    actor.require(VIEW)
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__clinic=actor.clinic,
            memberships__is_active=True,
            memberships__role__in=[r for r in roles if r in PROVIDER_ROLES],
        )
        .order_by("first_name", "last_name", "email")
    )


def _with_choices(services: QuerySet[Service]) -> QuerySet[Service]:
    return services.select_related("category", "consultation_service").prefetch_related(
        "tax_rates", "equipment", "providers", "addons"
    )


def services_for(
    *,
    actor: Actor,
    location=None,
    online_only: bool = False,
    provider=None,
    category=None,
    concern: str = "",
    treatment_type: str = "",
    include_inactive: bool = False,
    include_addons: bool = True,
) -> QuerySet[Service]:
    """The clinic's live services in menu order (category position, then service position).

    `location` keeps the services that can be performed there: an active room of the kind
    they need, and (for services needing equipment) their linked device at that location.
    `provider` keeps those the given user performs; `concern` is a slug from `Concern`.
    """
    actor.require(VIEW)
    services = Service.objects.filter(clinic=actor.clinic)
    if not include_inactive:
        services = services.filter(active=True)
    if not include_addons:
        services = services.filter(is_addon=False)
    if online_only:
        services = services.filter(bookable_online=True)
    if provider is not None:
        services = services.filter(providers=_pk(provider))
    if category is not None:
        services = services.filter(category_id=_pk(category))
    if concern:
        # The JSON list is searched as text (quoted slug), which works on SQLite and PostgreSQL.
        services = services.filter(concerns__icontains=f'"{concern}"')
    if treatment_type:
        services = services.filter(treatment_type=treatment_type)
    if location is not None:
        location_id = _pk(location)
        kinds = Room.objects.filter(clinic=actor.clinic, location_id=location_id, active=True).values("kind")
        services = services.filter(Q(room_kind="") | Q(room_kind__in=kinds))
        links = ServiceEquipment.objects.filter(clinic=actor.clinic)
        here = links.filter(equipment__location_id=location_id, equipment__active=True)
        services = services.exclude(Q(pk__in=links.values("service_id")) & ~Q(pk__in=here.values("service_id")))
    ordered = services.order_by(F("category__position").asc(nulls_last=True), "category__name", "position", "name")
    return _with_choices(ordered)


def service_get(*, actor: Actor, service_id) -> Service:
    """One live service of the clinic (active or not) with its choices; 404 otherwise."""
    actor.require(VIEW)
    return _get(_with_choices(Service.objects.filter(clinic=actor.clinic)), service_id)


def service_providers(*, actor: Actor, service) -> QuerySet:
    """The staff who perform `service` and may still do so (active provider-role members)."""
    actor.require(VIEW)
    return provider_candidates(actor=actor).filter(catalog_services=_pk(service))


def addon_choices(*, actor: Actor) -> QuerySet[Service]:
    actor.require(VIEW)
    return Service.objects.filter(clinic=actor.clinic, is_addon=True).order_by("name")


def consultation_choices(*, actor: Actor) -> QuerySet[Service]:
    actor.require(VIEW)
    return Service.objects.filter(clinic=actor.clinic, is_addon=False).order_by("name")


def categories_for(*, actor: Actor) -> QuerySet[ServiceCategory]:
    """Categories in menu order, each with `service_count` (live services)."""
    actor.require(VIEW)
    return ServiceCategory.objects.filter(clinic=actor.clinic).annotate(
        service_count=Count("services", filter=Q(services__deleted_at__isnull=True))
    )


def category_get(*, actor: Actor, category_id) -> ServiceCategory:
    actor.require(VIEW)
    return _get(ServiceCategory.objects.filter(clinic=actor.clinic), category_id)


def locations_for(*, actor: Actor) -> QuerySet[Location]:
    actor.require(VIEW)
    return Location.objects.filter(clinic=actor.clinic)


def _at_location(model, actor: Actor, location, include_inactive: bool) -> QuerySet:
    actor.require(VIEW)
    rows = model.objects.filter(clinic=actor.clinic).select_related("location")
    if location is not None:
        rows = rows.filter(location_id=_pk(location))
    if not include_inactive:
        rows = rows.filter(active=True)
    return rows.order_by("location__name", "name")


def rooms_for(*, actor: Actor, location=None, include_inactive: bool = False) -> QuerySet[Room]:
    """The clinic's rooms (at `location` if given), active ones unless asked otherwise."""
    return _at_location(Room, actor, location, include_inactive)


def room_get(*, actor: Actor, room_id) -> Room:
    actor.require(VIEW)
    return _get(Room.objects.filter(clinic=actor.clinic).select_related("location"), room_id)


def equipment_for(*, actor: Actor, location=None, include_inactive: bool = False) -> QuerySet[Equipment]:
    """The clinic's devices (at `location` if given), active ones unless asked otherwise."""
    return _at_location(Equipment, actor, location, include_inactive)


def equipment_get(*, actor: Actor, equipment_id) -> Equipment:
    actor.require(VIEW)
    return _get(Equipment.objects.filter(clinic=actor.clinic).select_related("location"), equipment_id)


def tax_rates_for(*, actor: Actor, include_inactive: bool = False) -> QuerySet[TaxRate]:
    actor.require(VIEW)
    rates = TaxRate.objects.filter(clinic=actor.clinic)
    if not include_inactive:
        rates = rates.filter(active=True)
    return rates.order_by("name")


def tax_rate_get(*, actor: Actor, tax_rate_id) -> TaxRate:
    actor.require(VIEW)
    return _get(TaxRate.objects.filter(clinic=actor.clinic), tax_rate_id)


@dataclass(frozen=True)
class BookableService:
    id: str
    name: str
    duration: int
    before: int
    after: int
    room_kind: str
    online: bool
    is_addon: bool
    color: str


@dataclass
class BookingCatalog:
    """What booking needs to know about the menu at one location, read in two statements:
    every active service of the clinic, and who performs them, which equipment units at the
    location they need and the location's active rooms."""

    services: dict[str, BookableService] = field(default_factory=dict)
    providers: dict[str, set[str]] = field(default_factory=dict)  # service id -> provider user ids
    equipment: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # service id -> (equipment, quantity)
    needs_equipment: set[str] = field(default_factory=set)  # services needing equipment anywhere
    rooms: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # room kind -> (room id, capacity)

    def common_lengths(self) -> tuple[int, ...]:
        """Blocked lengths (duration and buffers) of the bookable, non-add-on services."""
        return tuple(sorted({s.duration + s.before + s.after for s in self.services.values() if not s.is_addon}))


def booking_catalog(*, actor: Actor, location_id) -> BookingCatalog:
    """The menu as booking sees it at a location (active services, performing providers with an
    active membership and account, equipment and rooms at that location)."""
    actor.require(VIEW)
    catalog = BookingCatalog()
    rows = Service.objects.filter(clinic=actor.clinic, active=True).values_list(
        "id", "name", "duration_minutes", "buffer_before_minutes", "buffer_after_minutes",
        "room_kind", "bookable_online", "is_addon", "color",
    )  # fmt: skip
    for pk, *rest in rows:
        catalog.services[str(pk)] = BookableService(str(pk), *rest)
    with connection.cursor() as cursor:
        cursor.execute(_requirements_sql(), _requirements_params(actor, location_id))
        canonical: dict = {}  # raw id (hex or UUID, by database) -> canonical text, once per id

        def text(raw) -> str:
            value = canonical.get(raw)
            if value is None:
                value = canonical[raw] = str(uuid.UUID(str(raw)))
            return value

        for kind, owner, item, amount, here in cursor.fetchall():
            item = text(item)
            if kind != "r":
                owner = text(owner)
            if kind == "p":
                catalog.providers.setdefault(owner, set()).add(item)
            elif kind == "e":
                catalog.needs_equipment.add(owner)
                if here:
                    catalog.equipment.setdefault(owner, []).append((item, int(amount)))
            else:
                catalog.rooms.setdefault(owner, []).append((item, int(amount)))
    return catalog


def _requirements_params(actor: Actor, location_id) -> list:
    clinic = Service._meta.get_field("clinic").target_field.get_db_prep_value(actor.clinic_id, connection)
    location = Room._meta.get_field("location").target_field.get_db_prep_value(as_uuid(location_id), connection)
    return [clinic, *PROVIDER_ROLES, location, clinic, clinic, location]


@cache
def _requirements_sql() -> str:
    provider, equipment_link = ServiceProvider._meta.db_table, ServiceEquipment._meta.db_table
    membership, user = Membership._meta.db_table, get_user_model()._meta.db_table
    equipment, room = Equipment._meta.db_table, Room._meta.db_table
    roles = ", ".join(["%s"] * len(PROVIDER_ROLES))
    # Table names come from model metadata; every value is a bound parameter.
    return (
        f"SELECT 'p', CAST(sp.service_id AS TEXT), sp.user_id, 0, 1 FROM {provider} sp "  # noqa: S608  # nosec B608
        f"JOIN {membership} m ON m.user_id = sp.user_id AND m.clinic_id = sp.clinic_id "
        f"JOIN {user} u ON u.id = sp.user_id "
        f"WHERE sp.clinic_id = %s AND m.is_active AND u.is_active AND m.role IN ({roles}) "
        f"UNION ALL SELECT 'e', CAST(se.service_id AS TEXT), e.id, e.quantity, "
        f"CASE WHEN e.location_id = %s AND e.active THEN 1 ELSE 0 END "
        f"FROM {equipment_link} se JOIN {equipment} e ON e.id = se.equipment_id "
        f"WHERE se.clinic_id = %s "
        f"UNION ALL SELECT 'r', r.kind, r.id, r.capacity, 1 FROM {room} r "
        f"WHERE r.clinic_id = %s AND r.location_id = %s AND r.active"
    )
