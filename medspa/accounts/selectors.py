"""Reads of staff accounts: actors for sessions and tokens, memberships, staff lists."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

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


# The hot path of every API call, as one fixed, parameterised statement: the ORM spent
# ~1.7 ms building this query against ~0.05 ms to run it (bench/api_overhead.py).
# test_token_lookup_sql_matches_models keeps the table and column names honest.
BEARER_ACTOR_SQL = """
SELECT t.id, t.prefix, t.last_used_at, m.role,
       u.id, u.email, u.first_name, u.last_name,
       c.id, c.slug, c.name, c.timezone, c.currency, c.require_mfa, c.session_idle_minutes
FROM accounts_apitoken t
JOIN accounts_user u ON u.id = t.user_id
JOIN core_clinic c ON c.id = t.clinic_id
JOIN accounts_membership m ON m.clinic_id = t.clinic_id AND m.user_id = t.user_id AND m.is_active
WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND u.is_active AND c.is_active
"""
USER_FIELDS = ["id", "email", "first_name", "last_name", "is_active"]
CLINIC_FIELDS = ["id", "slug", "name", "timezone", "currency", "require_mfa", "session_idle_minutes", "is_active"]


def _as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _as_datetime(value):
    """Database datetimes are UTC; SQLite hands them back naive (or as text)."""
    if value is None:
        return None
    value = value if isinstance(value, datetime) else parse_datetime(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


def _instance(model, values: dict):
    """A model instance loaded with only these fields (the others load on access)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def actor_for_token(raw: str) -> tuple[Actor, ApiToken] | None:
    """The actor behind a bearer token, or None if unknown, expired, revoked or disowned.

    The token's user and clinic must be active and still joined by an active membership,
    whose role is the actor's role; all of it is read fresh on every request.
    """
    if not raw or len(raw) > 200:
        return None
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(BEARER_ACTOR_SQL, [token_digest(raw), now])
        row = cursor.fetchone()
    if row is None:
        return None
    user = _instance(User, dict(zip(USER_FIELDS, [_as_uuid(row[4]), row[5], row[6], row[7], True], strict=True)))
    clinic_values = [_as_uuid(row[8]), row[9], row[10], row[11], row[12], bool(row[13]), row[14], True]
    clinic = _instance(Clinic, dict(zip(CLINIC_FIELDS, clinic_values, strict=True)))
    token = _instance(
        ApiToken,
        {"id": _as_uuid(row[0]), "prefix": row[1], "last_used_at": _as_datetime(row[2]),
         "clinic_id": clinic.pk, "user_id": user.pk},
    )  # fmt: skip
    token.clinic, token.user = clinic, user
    return Actor.staff(user=user, clinic=clinic, role=row[3]), token


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


def members_with_permission(*, actor: Actor, permission: str) -> QuerySet[User]:
    """Active staff of the actor's clinic whose role holds `permission` (for pickers such as
    the clinic's medical director)."""
    from medspa.core.permissions import ROLE_PERMISSIONS

    roles = [role for role, held in ROLE_PERMISSIONS.items() if permission in held]
    return User.objects.filter(
        memberships__clinic=actor.clinic, memberships__is_active=True, memberships__role__in=roles
    ).order_by("first_name", "last_name", "email")
