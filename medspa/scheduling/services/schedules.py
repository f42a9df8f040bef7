"""Providers' weekly hours, dated exceptions and the clinic's booking rules."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import InvalidInput, NotFound
from medspa.scheduling.choices import (
    BlockKind,
    ExceptionKind,
)
from medspa.scheduling.models import (
    ScheduleException,
    SchedulePolicy,
    WorkingHours,
)
from medspa.scheduling.services.common import (
    MANAGE,
    as_uuid,
    location_of,
    require_practitioner,
)


@dataclass(frozen=True)
class Block:
    weekday: int
    start_minute: int
    end_minute: int
    kind: str = BlockKind.WORK


def hours_replace(actor: Actor, *, provider_id, location_id, blocks: list[Block]) -> list[WorkingHours]:
    """Replace a provider's weekly hours at a location. Blocks of one kind may not overlap on
    a day; breaks must fall inside working blocks."""
    actor.require(MANAGE)
    provider_id = as_uuid(provider_id, "provider_id")
    location = location_of(actor, location_id)
    require_practitioner(actor, provider_id)
    errors: dict[str, list[str]] = {}
    by_day: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for index, block in enumerate(blocks):
        if not 0 <= block.weekday <= 6 or block.kind not in BlockKind.values:
            errors[f"blocks.{index}"] = ["Unknown day or kind."]
        elif not 0 <= block.start_minute < block.end_minute <= 24 * 60:
            errors[f"blocks.{index}"] = ["The end must be after the start, within the day."]
        else:
            by_day.setdefault((block.weekday, block.kind), []).append((block.start_minute, block.end_minute))
    for (weekday, kind), spans in by_day.items():
        spans.sort()
        if any(a[1] > b[0] for a, b in itertools.pairwise(spans)):
            errors[f"day.{weekday}"] = [f"Overlapping {kind} blocks."]
        if kind == BlockKind.BREAK:
            work = by_day.get((weekday, BlockKind.WORK), [])
            if any(not any(w[0] <= s and e <= w[1] for w in work) for s, e in spans):
                errors[f"day.{weekday}"] = ["A break must fall inside working hours."]
    if errors:
        raise InvalidInput("Some blocks are not valid.", fields=errors)
    with transaction.atomic():
        WorkingHours.objects.filter(clinic=actor.clinic, provider_id=provider_id, location=location).delete()
        rows = WorkingHours.objects.bulk_create(
            WorkingHours(
                clinic=actor.clinic,
                provider_id=provider_id,
                location=location,
                weekday=b.weekday,
                kind=b.kind,
                start_minute=b.start_minute,
                end_minute=b.end_minute,
            )
            for b in blocks
        )
        audit_record(
            action="schedule.hours_replaced",
            actor=actor,
            object_type="scheduling.workinghours",
            object_id=str(provider_id),
            changes={"location": str(location.pk), "blocks": len(rows)},
        )
        return rows


def exception_add(
    actor: Actor,
    *,
    provider_id,
    day: date,
    kind: str,
    location_id=None,
    start_minute: int | None = None,
    end_minute: int | None = None,
    reason: str = "",
) -> ScheduleException:
    """Time off (whole day without minutes) or extra hours (minutes required) on a date."""
    actor.require(MANAGE)
    provider_id = as_uuid(provider_id, "provider_id")
    require_practitioner(actor, provider_id)
    location = location_of(actor, location_id) if location_id else None
    errors: dict[str, list[str]] = {}
    if kind not in ExceptionKind.values:
        errors["kind"] = ["Unknown kind."]
    if (start_minute is None) != (end_minute is None):
        errors["end_minute"] = ["Give both times, or neither for a whole day."]
    elif start_minute is not None and not 0 <= start_minute < end_minute <= 24 * 60:
        errors["end_minute"] = ["The end must be after the start, within the day."]
    if kind == ExceptionKind.EXTRA_HOURS and start_minute is None:
        errors["start_minute"] = ["Extra hours need a start and an end."]
    if kind == ExceptionKind.EXTRA_HOURS and location is None:
        errors["location_id"] = ["Extra hours happen at a location."]
    if len(reason or "") > 200:
        errors["reason"] = ["At most 200 characters."]
    if errors:
        raise InvalidInput("Some fields are not valid.", fields=errors)
    with transaction.atomic():
        row = ScheduleException.objects.create(
            clinic=actor.clinic,
            provider_id=provider_id,
            location=location,
            date=day,
            kind=kind,
            start_minute=start_minute,
            end_minute=end_minute,
            reason=reason or "",
        )
        audit_record(action="schedule.exception_added", actor=actor, obj=row, changes={"date": day.isoformat()})
        return row


def exception_remove(actor: Actor, *, exception_id) -> None:
    actor.require(MANAGE)
    with transaction.atomic():
        row = ScheduleException.objects.filter(clinic=actor.clinic, pk=as_uuid(exception_id, "id")).first()
        if row is None:
            raise NotFound()
        audit_record(action="schedule.exception_removed", actor=actor, obj=row, changes={"date": row.date.isoformat()})
        row.delete()


def policy_update(actor: Actor, **values) -> SchedulePolicy:
    """Change the clinic's booking rules (slot size, double booking, online notice and window)."""
    actor.require("settings.manage")
    allowed = {"slot_minutes", "allow_staff_double_booking", "online_min_notice_minutes", "online_window_days"}
    unknown = set(values) - allowed
    if unknown:
        raise InvalidInput("Unknown settings.", fields={name: ["Unknown."] for name in unknown})
    with transaction.atomic():
        policy, _ = SchedulePolicy.objects.get_or_create(clinic=actor.clinic)
        for name, value in values.items():
            setattr(policy, name, value)
        try:
            policy.full_clean(exclude=["clinic"])
        except ValidationError as error:
            raise InvalidInput("Some settings are not valid.", fields=getattr(error, "message_dict", {})) from None
        policy.save()
        audit_record(action="schedule.policy_updated", actor=actor, obj=policy, changes=values)
        return policy
