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


def _audit_user(user, action: str, *, attempted: bool = False, label: str = "", **fields) -> None:
    """Record `action` by `user` in the clinic they work in (the system chain if none).

    `attempted`: the person did not prove who they are (a failed or locked-out sign-in),
    so the event names the account tried but no actor.
    """
    actor, _ = actor_for_user(user, None) if user is not None else (None, [])
    label = label or (user.email if user is not None else "")
    audit_record(action=action, actor=None if attempted else actor, clinic=actor.clinic if actor else None,
                 actor_label=label[:254], **fields)  # fmt: skip


@receiver(user_logged_in, dispatch_uid="medspa.audit.login")
def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        sessions.start(request.session)
    _audit_user(user, "auth.login")


@receiver(user_logged_out, dispatch_uid="medspa.audit.logout")
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        _audit_user(user, "auth.logout")


@receiver(user_login_failed, dispatch_uid="medspa.audit.login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    email = username_from_request(request, credentials)
    user = User.objects.filter(email=email).first() if email else None
    _audit_user(user, "auth.login_failed", attempted=True, label=email, outcome=AuditOutcome.FAILURE)


@receiver(user_locked_out, dispatch_uid="medspa.audit.locked_out")
def on_locked_out(sender, request, username, ip_address, **kwargs):
    email = (username or "").lower()
    user = User.objects.filter(email=email).first() if email else None
    _audit_user(user, "auth.locked_out", attempted=True, label=email, outcome=AuditOutcome.DENIED,
                summary=f"locked out from {ip_address}")  # fmt: skip


@receiver(mfa_signals.authenticator_added, dispatch_uid="medspa.audit.mfa_added")
def on_mfa_added(sender, request, user, authenticator, **kwargs):
    if request is not None and hasattr(request, "session"):
        # Enrolling proves possession of the factor: the session counts as verified,
        # and its key is rotated as at any privilege change.
        request.session.cycle_key()
        request.session[sessions.MFA_VERIFIED_KEY] = True
    _audit_user(user, "mfa.added", obj=authenticator, changes={"type": authenticator.type})


@receiver(mfa_signals.authenticator_removed, dispatch_uid="medspa.audit.mfa_removed")
def on_mfa_removed(sender, request, user, authenticator, **kwargs):
    _audit_user(user, "mfa.removed", obj=authenticator, changes={"type": authenticator.type})


@receiver(mfa_signals.authenticator_reset, dispatch_uid="medspa.audit.mfa_reset")
def on_mfa_reset(sender, request, user, authenticator, **kwargs):
    _audit_user(user, "mfa.recovery_codes_reset", obj=authenticator)
