"""Security events raised by Django, allauth and django-axes, written to the audit log.

These are the only hooks into the sign-in flows the libraries own; business writes are
audited inside services, never here.
"""

from allauth.mfa import signals as mfa_signals
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from medspa.accounts import sessions
from medspa.accounts.lockout import username_from_request
from medspa.accounts.models import User
from medspa.accounts.selectors import actor_for_user
from medspa.core.audit import audit_record
from medspa.core.choices import AuditOutcome


def _clinic_of(user):
    actor, _ = actor_for_user(user, None)
    return actor


@receiver(user_logged_in, dispatch_uid="medspa.audit.login")
def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        sessions.start(request.session)
    actor = _clinic_of(user)
    audit_record(action="auth.login", actor=actor, actor_label=user.email, clinic=actor.clinic if actor else None)


@receiver(user_logged_out, dispatch_uid="medspa.audit.logout")
def on_logout(sender, request, user, **kwargs):
    if user is None:
        return
    actor = _clinic_of(user)
    audit_record(action="auth.logout", actor=actor, actor_label=user.email, clinic=actor.clinic if actor else None)


@receiver(user_login_failed, dispatch_uid="medspa.audit.login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    email = username_from_request(request, credentials)
    user = User.objects.filter(email=email).first() if email else None
    actor = _clinic_of(user) if user else None
    audit_record(
        action="auth.login_failed",
        outcome=AuditOutcome.FAILURE,
        clinic=actor.clinic if actor else None,
        actor_label=email[:254],
    )


@receiver(user_locked_out, dispatch_uid="medspa.audit.locked_out")
def on_locked_out(sender, request, username, ip_address, **kwargs):
    user = User.objects.filter(email=(username or "").lower()).first() if username else None
    actor = _clinic_of(user) if user else None
    audit_record(
        action="auth.locked_out",
        outcome=AuditOutcome.DENIED,
        clinic=actor.clinic if actor else None,
        actor_label=(username or "")[:254],
        summary=f"locked out from {ip_address}",
    )


@receiver(mfa_signals.authenticator_added, dispatch_uid="medspa.audit.mfa_added")
def on_mfa_added(sender, request, user, authenticator, **kwargs):
    if request is not None and hasattr(request, "session"):
        # Enrolling proves possession of the factor: the session counts as verified,
        # and its key is rotated as at any privilege change.
        request.session.cycle_key()
        request.session[sessions.MFA_VERIFIED_KEY] = True
    actor = _clinic_of(user)
    audit_record(
        action="mfa.added",
        actor=actor,
        actor_label=user.email,
        clinic=actor.clinic if actor else None,
        object_type="mfa.authenticator",
        object_id=str(authenticator.pk),
        changes={"type": authenticator.type},
    )


@receiver(mfa_signals.authenticator_removed, dispatch_uid="medspa.audit.mfa_removed")
def on_mfa_removed(sender, request, user, authenticator, **kwargs):
    actor = _clinic_of(user)
    audit_record(
        action="mfa.removed",
        actor=actor,
        actor_label=user.email,
        clinic=actor.clinic if actor else None,
        object_type="mfa.authenticator",
        object_id=str(authenticator.pk),
        changes={"type": authenticator.type},
    )


@receiver(mfa_signals.authenticator_reset, dispatch_uid="medspa.audit.mfa_reset")
def on_mfa_reset(sender, request, user, authenticator, **kwargs):
    actor = _clinic_of(user)
    audit_record(
        action="mfa.recovery_codes_reset", actor=actor, actor_label=user.email, clinic=actor.clinic if actor else None
    )
