"""Providers' private calendar feeds (iCalendar subscription URLs).

The raw token is returned once, when the feed is created, and only its SHA-256 is stored, so
a lookup by token is an indexed equality on the hash (no comparison of secrets in Python).
A provider creates and revokes their own feed; scheduling.manage may do so for anyone and
alone decides whether a feed shows patient names (off by default: initials only)."""

from __future__ import annotations

import hashlib
import secrets
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import NotFound, PermissionDenied
from medspa.scheduling.models import CalendarFeed
from medspa.scheduling.services.common import MANAGE, as_uuid, require_practitioner

VIEW, VIEW_OWN = "scheduling.view", "scheduling.view_own"
TOKEN_BYTES = 32  # 256 bits


class CreatedFeed(NamedTuple):
    feed: CalendarFeed
    token: str  # shown once; only its hash is kept


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def may_manage_feed(actor: Actor, provider_id) -> bool:
    """scheduling.manage for anyone's feed; a calendar user for their own."""
    if actor.can(MANAGE):
        return True
    own = actor.user is not None and str(actor.user.pk) == str(provider_id)
    return own and (actor.can(VIEW) or actor.can(VIEW_OWN))


def feed_create(actor: Actor, provider_id, *, show_patient_names: bool = False) -> CreatedFeed:
    """A new private feed URL for the provider; their previous active feed stops working."""
    provider_id = as_uuid(provider_id, "provider_id")
    if not may_manage_feed(actor, provider_id):
        raise PermissionDenied(permission=MANAGE)
    if show_patient_names:
        actor.require(MANAGE)
    require_practitioner(actor, provider_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    with transaction.atomic():
        replaced = list(
            CalendarFeed.objects.select_for_update()
            .filter(clinic=actor.clinic, provider_id=provider_id, revoked_at__isnull=True)
            .values_list("pk", flat=True)
        )
        CalendarFeed.objects.filter(pk__in=replaced).update(revoked_at=now, updated_at=now)
        feed = CalendarFeed.objects.create(
            clinic=actor.clinic,
            provider_id=provider_id,
            token_hash=token_hash(token),
            show_patient_names=show_patient_names,
            created_by=actor.user,
        )
        audit_record(
            action="calendar_feed.created",
            actor=actor,
            obj=feed,
            changes={
                "provider": str(provider_id),
                "show_patient_names": show_patient_names,
                "replaced": [str(pk) for pk in replaced],
            },
        )
    return CreatedFeed(feed, token)


def _feed_for_update(actor: Actor, feed_id) -> CalendarFeed:
    """An active feed the actor may manage; others' look missing."""
    feed = (
        CalendarFeed.objects.select_for_update()
        .filter(clinic=actor.clinic, pk=as_uuid(feed_id, "feed_id"), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not may_manage_feed(actor, feed.provider_id):
        raise NotFound("Calendar feed not found.")
    return feed


def feed_revoke(actor: Actor, feed_id) -> CalendarFeed:
    """Stop a feed URL from working (calendar apps subscribed to it get 404 from now on)."""
    with transaction.atomic():
        feed = _feed_for_update(actor, feed_id)
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
        audit_record(action="calendar_feed.revoked", actor=actor, obj=feed, changes={"provider": str(feed.provider_id)})
        return feed


def feed_set_patient_names(actor: Actor, feed_id, show: bool) -> CalendarFeed:
    """Owner/admin only: whether the feed shows patients' names instead of initials."""
    actor.require(MANAGE)
    with transaction.atomic():
        feed = _feed_for_update(actor, feed_id)
        before = feed.show_patient_names
        feed.show_patient_names = bool(show)
        feed.save(update_fields=["show_patient_names", "updated_at"])
        audit_record(
            action="calendar_feed.names_changed",
            actor=actor,
            obj=feed,
            changes={"show_patient_names": [before, feed.show_patient_names], "provider": str(feed.provider_id)},
        )
        return feed


def feed_record_read(feed: CalendarFeed, *, events: int) -> None:
    """Audit each fetch of a feed (a calendar app polls it a few times a day): who polled
    from where shows up in the log if a URL leaks."""
    audit_record(
        action="calendar_feed.read",
        clinic=feed.clinic,
        obj=feed,
        actor_label="calendar subscription",
        changes={"provider": str(feed.provider_id), "events": events},
    )
