"""Reads of staff accounts: actors for sessions and tokens, memberships, staff lists."""

from __future__ import annotations

import hashlib

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from medspa.accounts.models import ApiToken, Invitation, Membership, User
from medspa.core.actors import Actor
from medspa.core.models import Clinic


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def active_memberships(user: User) -> QuerySet[Membership]:
    """The user's usable memberships: active, in an active clinic, by clinic name."""
    return (
        Membership.objects.select_related("clinic")
        .filter(user=user, is_active=True, clinic__is_active=True)
        .order_by("clinic__name")
    )


def actor_for_user(user: User, clinic_id: str | None) -> tuple[Actor | None, list[Membership]]:
    """The staff actor for `user` in `clinic_id` (or their last/first clinic), with all memberships.

    Read from the database on every request, so revocations apply on the next request.
    """
    if not user.is_active:
        return None, []
    memberships = list(active_memberships(user))
    chosen = None
    for wanted in (clinic_id, user.last_clinic_id):
        if wanted:
            chosen = next((m for m in memberships if str(m.clinic_id) == str(wanted)), None)
            if chosen:
                break
    if chosen is None and memberships:
        chosen = memberships[0]
    if chosen is None:
        return None, memberships
    return Actor.staff(user=user, clinic=chosen.clinic, role=chosen.role), memberships


def actor_for_token(raw: str) -> tuple[Actor, ApiToken] | None:
    """The actor behind a bearer token, or None if unknown, expired, revoked or disowned.

    One query on the hot path of every API call: the token with its user and clinic, and
    the role of the (active) membership that still ties them together.
    """
    if not raw or len(raw) > 200:
        return None
    role = Membership.objects.filter(clinic=OuterRef("clinic"), user=OuterRef("user"), is_active=True).values("role")[:1]
    found = list(
        ApiToken.objects.select_related("user", "clinic")
        .annotate(role=Subquery(role))
        .filter(
            token_hash=token_digest(raw),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
            clinic__is_active=True,
        )[:1]
    )
    if not found or not found[0].role:
        return None
    token = found[0]
    return Actor.staff(user=token.user, clinic=token.clinic, role=token.role), token


def clinic_staff(*, actor: Actor) -> QuerySet[Membership]:
    actor.require("users.manage")
    return Membership.objects.select_related("user").filter(clinic=actor.clinic).order_by("-is_active", "user__email")


def clinic_invitations(*, actor: Actor) -> QuerySet[Invitation]:
    actor.require("users.manage")
    return Invitation.objects.select_related("invited_by").filter(
        clinic=actor.clinic, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def invitation_by_token(raw: str) -> Invitation | None:
    invitation = Invitation.objects.select_related("clinic").filter(token_hash=token_digest(raw)).first()
    return invitation if invitation is not None and invitation.is_open else None


def clinic_by_slug(slug: str) -> Clinic | None:
    return Clinic.objects.filter(slug=slug, is_active=True).first()
