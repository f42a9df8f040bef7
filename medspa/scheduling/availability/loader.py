"""Reads everything one availability search needs in a fixed number of statements, and turns
rows into the engine's integer minutes.

Statements: the location with the clinic's booking rules; the clinic's active services; the
providers, equipment and rooms behind them (one statement, in catalog); the providers' weekly
hours; their dated exceptions; and the busy reservations, bounded on both sides of the index.
The count does not grow with the number of providers, days or appointments.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import OuterRef, Q, Subquery

from medspa.catalog.selectors import BookingCatalog, booking_catalog
from medspa.core.actors import Actor
from medspa.core.errors import InvalidInput, NotFound
from medspa.core.models import Location
from medspa.scheduling.availability import intervals as iv
from medspa.scheduling.availability.engine import Problem, Step
from medspa.scheduling.choices import MAX_BLOCK_MINUTES, BlockKind, ExceptionKind, ResourceKind
from medspa.scheduling.models import Reservation, ScheduleException, SchedulePolicy, WorkingHours

DAY = 24 * 60
MAX_SEARCH_DAYS = 62
POLICY_FIELDS = ("slot_minutes", "allow_staff_double_booking", "online_min_notice_minutes", "online_window_days")
POLICY_DEFAULTS = {name: SchedulePolicy._meta.get_field(name).default for name in POLICY_FIELDS}


def epoch_minute(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def from_minute(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, tz=UTC)


def wall_minute(zone: ZoneInfo, day: date, minute: int) -> int:
    """The epoch minute at `minute` past local midnight of `day` (24:00 is the next midnight).
    A wall time skipped by a DST change resolves as zoneinfo does (the earlier offset)."""
    extra, minute = divmod(minute, DAY)
    local = datetime.combine(day + timedelta(days=extra), time(minute // 60, minute % 60), tzinfo=zone)
    return epoch_minute(local)


@dataclass
class Context:
    """What a search knew besides the engine's problem: to shape the answer and explain it."""

    location: Location
    zone: ZoneInfo
    policy: dict
    catalog: BookingCatalog
    providers: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Search:
    service_ids: tuple[str, ...]  # one visit: these services back to back, in this order
    location_id: object
    start: datetime
    end: datetime
    provider_ids: frozenset[str] | None = None
    online: bool = False
    addon_ids: tuple[str, ...] = ()  # lengthen the first service
    now: datetime | None = None
    exclude_appointment_ids: frozenset[str] = frozenset()  # when moving: ignore its own time


def location_with_policy(actor: Actor, location_id) -> tuple[Location, dict]:
    """The clinic's active location and its booking rules, in one statement."""
    policy = SchedulePolicy.objects.filter(clinic=OuterRef("clinic"))
    location = (
        Location.objects.filter(clinic=actor.clinic, pk=location_id, is_active=True)
        .annotate(**{f"policy_{name}": Subquery(policy.values(name)[:1]) for name in POLICY_FIELDS})
        .first()
    )
    if location is None:
        raise NotFound("Location not found.", fields={"location_id": ["Unknown location."]})
    rules = {name: getattr(location, f"policy_{name}") for name in POLICY_FIELDS}
    return location, {k: POLICY_DEFAULTS[k] if v is None else v for k, v in rules.items()}


def load(actor: Actor, search: Search) -> tuple[Problem, Context]:
    """The engine's problem for a search (validated: unknown services or a service the location
    cannot offer are a 422 naming the field)."""
    if search.start.tzinfo is None or search.end.tzinfo is None:
        raise InvalidInput("Times need a UTC offset.", fields={"start": ["Include a UTC offset."]})
    if search.end <= search.start:
        raise InvalidInput("The end must be after the start.", fields={"end": ["Must be after start."]})
    if search.end - search.start > timedelta(days=MAX_SEARCH_DAYS):
        raise InvalidInput(f"Search at most {MAX_SEARCH_DAYS} days at a time.", fields={"end": ["Too far."]})
    if not search.service_ids:
        raise InvalidInput("Choose a service.", fields={"service_id": ["Required."]})
    location, policy = location_with_policy(actor, search.location_id)
    zone = ZoneInfo(location.timezone)
    catalog = booking_catalog(actor=actor, location_id=location.pk)
    context = Context(location, zone, policy, catalog)
    steps = _steps(search, catalog, context)

    low, high = epoch_minute(search.start), epoch_minute(search.end)
    if search.online:
        now = epoch_minute(search.now or datetime.now(tz=UTC))
        low = max(low, now + policy["online_min_notice_minutes"])
        high = min(high, now + policy["online_window_days"] * DAY)
    performers = set.intersection(*(catalog.providers.get(s.service_id, set()) for s in steps))
    if search.provider_ids is not None:
        performers &= set(search.provider_ids)
    context.providers = sorted(performers)

    first_day = search.start.astimezone(zone).date() - timedelta(days=1)
    last_day = search.end.astimezone(zone).date() + timedelta(days=1)
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    windows = _working_windows(actor, location, zone, days, context.providers)
    before = max(s.before for s in steps)
    total = sum(s.duration + s.before + s.after for s in steps)
    resources = set(context.providers)
    for step in steps:
        resources |= {unit[0] for unit in step.rooms}
        resources |= {unit[0] for pool in step.equipment for unit in pool}
    now_minute = epoch_minute(search.now or datetime.now(tz=UTC))
    busy = _busy(actor, low - before, high + total, resources, search.exclude_appointment_ids, now_minute)
    problem = Problem(
        steps=tuple(steps),
        providers={p: windows.get(p, []) for p in context.providers},
        busy=busy,
        window=(low, high),
        day_starts=[wall_minute(zone, day, 0) for day in days],
        granularity=policy["slot_minutes"],
        common_lengths=catalog.common_lengths(),
    )
    return problem, context


def _steps(search: Search, catalog: BookingCatalog, context: Context) -> list[Step]:
    steps = []
    for index, service_id in enumerate(search.service_ids):
        service = catalog.services.get(str(service_id))
        if service is None or service.is_addon:
            raise InvalidInput("Unknown service.", fields={"service_id": ["Unknown or inactive service."]})
        if search.online and not service.online:
            raise InvalidInput(
                f"{service.name} cannot be booked online.", fields={"service_id": ["Not bookable online."]}
            )
        duration = service.duration
        if index == 0:
            for addon_id in search.addon_ids:
                addon = catalog.services.get(str(addon_id))
                if addon is None or not addon.is_addon:
                    raise InvalidInput("Unknown add-on.", fields={"addon_ids": ["Unknown or inactive add-on."]})
                duration += addon.duration
        rooms: tuple = ()
        if service.room_kind:
            rooms = tuple(
                (room, unit) for room, capacity in catalog.rooms.get(service.room_kind, []) for unit in range(capacity)
            )
        equipment = tuple(
            tuple((item, unit) for unit in range(quantity)) for item, quantity in catalog.equipment.get(service.id, [])
        )
        if service.room_kind and not rooms:
            context.reasons.append(f"{context.location.name} has no room of the kind {service.name} needs.")
            equipment += ((),)  # an empty pool: never satisfiable
        if service.id in catalog.needs_equipment and not equipment:
            context.reasons.append(f"{service.name} needs equipment that {context.location.name} does not have.")
            equipment = ((),)
        steps.append(Step(service.id, duration, service.before, service.after, rooms, equipment))
    return steps


def _working_windows(actor: Actor, location, zone: ZoneInfo, days: list[date], providers: list[str]) -> dict:
    """Each provider's working time at the location over the days, as epoch-minute intervals:
    weekly blocks minus breaks, plus extra hours, minus time off. Each local wall time is
    converted once per search (providers mostly share their hours)."""
    if not providers:
        return {}
    weekly: dict = defaultdict(list)  # (provider, weekday) -> [(adds time, start, end)]
    hours = WorkingHours.objects.filter(clinic=actor.clinic, location=location, provider_id__in=providers)
    for provider, weekday, kind, start, end in hours.values_list(
        "provider_id", "weekday", "kind", "start_minute", "end_minute"
    ):
        weekly[(str(provider), weekday)].append((kind == BlockKind.WORK, start, end))
    dated: dict = defaultdict(list)  # (provider, date) -> [(adds time, start, end)]
    exceptions = ScheduleException.objects.filter(
        Q(location__isnull=True) | Q(location=location),
        clinic=actor.clinic,
        provider_id__in=providers,
        date__gte=days[0],
        date__lte=days[-1],
    )
    for provider, day, kind, start, end in exceptions.values_list(
        "provider_id", "date", "kind", "start_minute", "end_minute"
    ):
        dated[(str(provider), day)].append((kind == ExceptionKind.EXTRA_HOURS, start or 0, DAY if end is None else end))
    moments: dict = {}

    def moment(day: date, minute: int) -> int:
        value = moments.get((day, minute))
        if value is None:
            value = moments[(day, minute)] = wall_minute(zone, day, minute)
        return value

    weekdays = [(day, day.weekday()) for day in days]
    out = {}
    for provider in providers:
        work, cut = [], []
        for day, weekday in weekdays:
            for adds, start, end in weekly.get((provider, weekday), []) + dated.get((provider, day), []):
                (work if adds else cut).append((moment(day, start), moment(day, end)))
        out[provider] = iv.subtract(iv.normalize(work), iv.normalize(cut))
    return out


def _busy(actor: Actor, low: int, high: int, resources: set[str], exclude: frozenset[str], now: int) -> dict:
    """Active reservations meeting [low, high) of the given resources, as intervals per unit
    (a hold's only until it expires at `now`).

    `start_minute` is bounded below by `low - MAX_BLOCK_MINUTES` (no reservation is longer),
    so the scan reads only the window's rows however much history the clinic has. A
    provider's units are merged into unit 0 (in the statement): double-booked time is busy
    time. Rows are grouped by their raw resource value first; ids are canonicalised once per
    unit, not once per row."""
    sql, params = _busy_sql(actor, low, high, exclude, now)
    raw: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for resource, unit, start, end in cursor.fetchall():
            blocks = raw.get((resource, unit))
            if blocks is None:
                blocks = raw[(resource, unit)] = []
            blocks.append((start, end))
    busy: dict = {}
    for (resource, unit), blocks in raw.items():
        key = str(uuid.UUID(str(resource)))
        if key in resources:
            busy[(key, unit)] = blocks if (key, unit) not in busy else busy[(key, unit)] + blocks
    return {unit: iv.normalize(blocks) for unit, blocks in busy.items()}


def _busy_sql(actor: Actor, low: int, high: int, exclude: frozenset[str], now: int) -> tuple[str, list]:
    table = Reservation._meta.db_table
    clinic = Reservation._meta.get_field("clinic").target_field.get_db_prep_value(actor.clinic_id, connection)
    # The table name comes from model metadata; values are bound parameters.
    sql = (
        f"SELECT resource_id, CASE WHEN kind = %s THEN 0 ELSE unit END, start_minute, end_minute "  # noqa: S608  # nosec B608
        f"FROM {table} "
        "WHERE clinic_id = %s AND active AND start_minute >= %s AND start_minute < %s AND end_minute > %s "
        "AND (expires_minute IS NULL OR expires_minute > %s)"
    )
    params = [ResourceKind.PROVIDER.value, clinic, low - MAX_BLOCK_MINUTES, high, low, now]
    if exclude:
        appointment = Reservation._meta.get_field("appointment").target_field
        # Holds' rows have no appointment: `NULL NOT IN (...)` is not true, so keep them explicitly.
        sql += f" AND (appointment_id IS NULL OR appointment_id NOT IN ({', '.join(['%s'] * len(exclude))}))"
        params += [appointment.get_db_prep_value(uuid.UUID(str(pk)), connection) for pk in exclude]
    return sql, params
