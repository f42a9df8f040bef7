"""Reads of the shared kernel: locations and the audit log, scoped to the actor's clinic."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from medspa.core.actors import Actor
from medspa.core.errors import NotFound
from medspa.core.models import AuditEvent, Clinic, Location


def clinic_get(*, actor: Actor) -> Clinic:
    """A fresh copy of the actor's clinic for the settings form (the form may modify it)."""
    actor.require("settings.manage")
    return Clinic.objects.get(pk=actor.clinic.pk)


def location_list(*, actor: Actor) -> QuerySet[Location]:
    actor.require("settings.manage")
    return Location.objects.filter(clinic=actor.clinic)


def location_get(*, actor: Actor, location_id) -> Location:
    actor.require("settings.manage")
    location = Location.objects.filter(clinic=actor.clinic, pk=location_id).first()
    if location is None:
        raise NotFound()
    return location


def audit_events(
    *,
    actor: Actor,
    user: str = "",
    action: str = "",
    object_id: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The clinic's audit events, newest first, filtered by user, action prefix, object and dates."""
    actor.require("audit.view")
    events = AuditEvent.objects.filter(clinic=actor.clinic)
    if user:
        events = events.filter(actor_label__istartswith=user)
    if action:
        events = events.filter(action__startswith=action)
    if object_id:
        events = events.filter(object_id=object_id)
    if since:
        events = events.filter(created_at__date__gte=since)
    if until:
        events = events.filter(created_at__date__lte=until)
    return events.order_by("-created_at", "-seq")
