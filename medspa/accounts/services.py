"""Writes for staff accounts: API tokens, invitations, memberships and the active clinic."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from medspa.accounts import sessions
from medspa.accounts.models import ApiToken, Invitation, Membership, User
from medspa.accounts.selectors import active_memberships, token_digest
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied, TooManyRequests
from medspa.core.outbox import outbox_enqueue
from medspa.core.permissions import Role

INVITATION_DAYS = 7


@dataclass(frozen=True)
class IssuedToken:
    raw: str
    token: ApiToken
    role: str


def _check_second_factor(user: User, code: str) -> bool:
    """Accept a current TOTP code or an unused recovery code (which is then spent)."""
    code = code.replace(" ", "").strip()
    for authenticator in Authenticator.objects.filter(user=user):
        wrapped = authenticator.wrap()
        if isinstance(wrapped, TOTP | RecoveryCodes) and wrapped.validate_code(code):
            return True
    return False


def token_issue(*, request, email: str, password: str, clinic_slug: str | None, otp: str | None) -> IssuedToken:
    """Issue an API token after password (and second factor when enrolled) checks.

    Failures count towards the brute-force lockout like failed web sign-ins. A token acts
    only inside the clinic it was issued for.
    """
    email = (email or "").strip().lower()
    user = authenticate(request, email=email, password=password)
    if getattr(request, "axes_locked_out", False):
        raise TooManyRequests("Too many failed sign-in attempts. Try again in 15 minutes.", code="locked_out")
    if user is None or not user.is_active:
        raise NotAuthenticated("The email or password is not correct.", code="invalid_credentials")
    memberships = list(active_memberships(user))
    if clinic_slug:
        membership = next((m for m in memberships if m.clinic.slug == clinic_slug), None)
    else:
        membership = next((m for m in memberships if m.clinic_id == user.last_clinic_id), None) or (
            memberships[0] if memberships else None
        )
    if membership is None:
        raise NotFound("No clinic by that name is available to this account.", code="clinic_not_found")
    clinic = membership.clinic
    actor = Actor.staff(user=user, clinic=clinic, role=membership.role)
    if sessions.user_has_mfa(user):
        if not otp:
            raise NotAuthenticated("A code from your authenticator app is required.", code="otp_required")
        if not _check_second_factor(user, otp):
            user_login_failed.send(sender=__name__, credentials={"email": email}, request=request)
            raise NotAuthenticated("The authentication code is not correct.", code="otp_invalid")
    elif clinic.require_mfa:
        raise PermissionDenied(
            f"{clinic.name} requires two-factor authentication: set it up in the web app first.",
            code="mfa_enrollment_required",
        )
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            clinic=clinic,
            user=user,
            token_hash=token_digest(raw),
            prefix=raw[:8],
            expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_HOURS),
        )
        audit_record(action="auth.token_issued", actor=actor, obj=token, summary=f"token {token.prefix}…")
    return IssuedToken(raw=raw, token=token, role=membership.role)


def token_revoke(*, actor: Actor, token: ApiToken) -> None:
    """Revoke a token of the acting user's own; a revoked token is refused at once."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(
            pk=token.pk, clinic=actor.clinic, user=actor.user, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if updated:
            audit_record(action="auth.token_revoked", actor=actor, obj=token)


def tokens_purge_expired(*, before: datetime | None = None) -> int:
    """Delete tokens that expired or were revoked more than a day ago (they can never act)."""
    cutoff = (before or timezone.now()) - timedelta(days=1)
    deleted, _ = ApiToken.objects.filter(expires_at__lt=cutoff).delete()
    revoked, _ = ApiToken.objects.filter(revoked_at__lt=cutoff).delete()
    return deleted + revoked


def clinic_switch(*, request, user: User, clinic_id: str) -> Actor:
    """Make `clinic_id` the session's active clinic; the user must be an active member."""
    membership = next((m for m in active_memberships(user) if str(m.clinic_id) == str(clinic_id)), None)
    if membership is None:
        raise NotFound("Clinic not found.")
    actor = Actor.staff(user=user, clinic=membership.clinic, role=membership.role)
    with transaction.atomic():
        request.session[sessions.ACTIVE_CLINIC_KEY] = str(membership.clinic_id)
        User.objects.filter(pk=user.pk).update(last_clinic=membership.clinic)
        audit_record(action="auth.clinic_switch", actor=actor, obj=membership.clinic)
    return actor


# Invitations and memberships ------------------------------------------------------------


def _assignable_roles(actor: Actor) -> set[str]:
    roles = {r.value for r in Role}
    if actor.role != Role.OWNER:
        roles.discard(Role.OWNER)  # only an owner makes another owner
    return roles


def invitation_create(*, actor: Actor, email: str, role: str) -> Invitation:
    """Invite someone by email to join the clinic with `role`; the email goes via the outbox."""
    actor.require("users.manage")
    email = (email or "").strip().lower()
    errors = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter a valid email address."
    if role not in _assignable_roles(actor):
        errors["role"] = "Choose a role you are allowed to grant."
    if errors:
        raise InvalidInput(fields=errors)
    if Membership.objects.filter(clinic=actor.clinic, user__email=email, is_active=True).exists():
        raise Conflict("This person is already a member of the clinic.", fields={"email": "Already a member."})
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        Invitation.objects.filter(
            clinic=actor.clinic, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            clinic=actor.clinic,
            email=email,
            role=role,
            token_hash=token_digest(raw),
            invited_by=actor.user,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        )
        audit_record(action="staff.invited", actor=actor, obj=invitation, changes={"email": email, "role": role})
        outbox_enqueue(
            clinic=actor.clinic,
            topic="email.send",
            key=f"invitation:{invitation.pk}",
            payload={
                "to": [email],
                "subject": f"You're invited to join {actor.clinic.name} on Medspa",
                "body": (
                    f"{actor.user.full_name} invited you to join {actor.clinic.name} as "
                    f"{Role(role).label}.\n\nAccept within {INVITATION_DAYS} days:\n"
                    f"{{base_url}}{reverse('invitation_accept', args=[raw])}\n"
                ),
            },
        )
    return invitation


def invitation_revoke(*, actor: Actor, invitation_id) -> None:
    actor.require("users.manage")
    with transaction.atomic():
        invitation = Invitation.objects.filter(clinic=actor.clinic, pk=invitation_id, accepted_at__isnull=True).first()
        if invitation is None:
            raise NotFound()
        Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
        audit_record(action="staff.invitation_revoked", actor=actor, obj=invitation)


def invitation_accept(
    *, invitation: Invitation, user: User | None, first_name: str = "", last_name: str = "", password: str = ""
) -> User:
    """Join the clinic: an existing signed-in user with the invited email, or a new account."""
    if not invitation.is_open:
        raise NotFound("This invitation has expired or was already used.")
    with transaction.atomic():
        if user is None:
            if User.objects.filter(email=invitation.email).exists():
                raise Conflict("An account with this email exists: sign in first, then open the link again.")
            errors = {}
            if not first_name.strip():
                errors["first_name"] = "Enter your first name."
            try:
                validate_password(password, User(email=invitation.email, first_name=first_name, last_name=last_name))
            except ValidationError as exc:
                errors["password"] = " ".join(exc.messages)
            if errors:
                raise InvalidInput(fields=errors)
            user = User.objects.create_user(
                invitation.email, password, first_name=first_name.strip(), last_name=last_name.strip()
            )
        elif user.email.lower() != invitation.email:
            raise PermissionDenied("This invitation was sent to a different email address.")
        claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now()
        )
        if not claimed:
            raise Conflict("This invitation was already used.")
        Membership.objects.update_or_create(
            clinic=invitation.clinic, user=user, defaults={"role": invitation.role, "is_active": True, "ended_at": None}
        )
        actor = Actor.staff(user=user, clinic=invitation.clinic, role=invitation.role)
        audit_record(action="staff.joined", actor=actor, obj=invitation, changes={"role": invitation.role})
    return user


def membership_change_role(*, actor: Actor, membership_id, role: str) -> Membership:
    """Change a member's role; owners are changed only by owners; nobody demotes themselves."""
    actor.require("users.manage")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(clinic=actor.clinic, pk=membership_id).first()
        if membership is None:
            raise NotFound()
        if role not in _assignable_roles(actor) or (membership.role == Role.OWNER and actor.role != Role.OWNER):
            raise PermissionDenied("Only an owner can grant or change the owner role.", permission="users.manage")
        if membership.user_id == actor.user.pk:
            raise Conflict("You cannot change your own role.")
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        audit_record(action="staff.role_changed", actor=actor, obj=membership, changes={"role": [old, role]})
    return membership


def membership_deactivate(*, actor: Actor, membership_id) -> Membership:
    """End a member's access to this clinic at once (their next request is refused)."""
    actor.require("users.manage")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(clinic=actor.clinic, pk=membership_id).first()
        if membership is None:
            raise NotFound()
        if membership.user_id == actor.user.pk:
            raise Conflict("You cannot remove yourself.")
        if membership.role == Role.OWNER and actor.role != Role.OWNER:
            raise PermissionDenied("Only an owner can remove an owner.", permission="users.manage")
        membership.is_active = False
        membership.ended_at = timezone.now()
        membership.save(update_fields=["is_active", "ended_at", "updated_at"])
        ApiToken.objects.filter(clinic=actor.clinic, user_id=membership.user_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit_record(action="staff.deactivated", actor=actor, obj=membership)
    return membership


def membership_reset_mfa(*, actor: Actor, membership_id) -> Membership:
    """Remove a member's second factors so they enrol again (a lost phone); owners only.

    Refused for people who also belong to another clinic: one clinic's owner must not
    weaken an account another clinic relies on. Their sessions and API tokens end too.
    """
    actor.require("users.reset_mfa")
    with transaction.atomic():
        membership = Membership.objects.select_related("user").filter(clinic=actor.clinic, pk=membership_id).first()
        if membership is None:
            raise NotFound()
        if membership.user_id == actor.user.pk:
            raise Conflict("Manage your own two-factor authentication from your account menu.")
        if Membership.objects.filter(user_id=membership.user_id, is_active=True).exclude(clinic=actor.clinic).exists():
            raise Conflict("This person also works at another clinic; they must reset it with that clinic's support.")
        removed, _ = Authenticator.objects.filter(user_id=membership.user_id).delete()
        _end_sessions(membership.user_id)
        ApiToken.objects.filter(user_id=membership.user_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_record(
            action="mfa.reset_by_owner", actor=actor, obj=membership, changes={"authenticators_removed": removed}
        )
    return membership


def _end_sessions(user_id) -> int:
    """Delete every stored session of a user (sessions are server-side rows)."""
    from django.contrib.sessions.models import Session

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()
            ended += 1
    return ended
