"""Reads behind the Schedules and Booking rules settings pages, scoped to the actor's clinic."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from medspa.core.actors import Actor
from medspa.core.errors import NotFound
from medspa.scheduling.availability.loader import POLICY_DEFAULTS, POLICY_FIELDS
from medspa.scheduling.models import ScheduleException, SchedulePolicy
from medspa.scheduling.selectors import VIEW, VIEW_OWN
from medspa.scheduling.services import MANAGE, as_uuid


def schedule_readers(actor: Actor) -> str | None:
    """Whose schedules the actor may read: None for everyone's, else the actor's own id.
    `scheduling.view` or `scheduling.manage` read every schedule; `view_own` only one's own."""
    if actor.can(VIEW) or actor.can(MANAGE):
        return None
    if actor.can(VIEW_OWN) and actor.user is not None:
        return str(actor.user.pk)
    actor.require(VIEW)
    return None


def upcoming_exceptions(actor: Actor, *, provider_id, since: date) -> QuerySet[ScheduleException]:
    """A provider's dated exceptions from `since` on (time off and extra hours), soonest first."""
    own = schedule_readers(actor)
    provider_id = as_uuid(provider_id, "provider_id")
    if own is not None and own != str(provider_id):
        raise NotFound()
    return (
        ScheduleException.objects.filter(clinic=actor.clinic, provider_id=provider_id, date__gte=since)
        .select_related("location")
        .order_by("date", "start_minute")
    )


def schedule_exception_get(actor: Actor, *, exception_id) -> ScheduleException:
    actor.require(MANAGE)
    row = ScheduleException.objects.filter(clinic=actor.clinic, pk=as_uuid(exception_id, "id")).first()
    if row is None:
        raise NotFound("Exception not found.")
    return row


def policy_values(actor: Actor) -> dict:
    """The clinic's booking rules (the defaults while no row has been saved)."""
    actor.require("settings.manage")
    row = SchedulePolicy.objects.filter(clinic=actor.clinic).values(*POLICY_FIELDS).first()
    return {**POLICY_DEFAULTS, **(row or {})}
