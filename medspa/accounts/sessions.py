"""Session policy: absolute lifetime, per-clinic idle timeout, MFA verification marks."""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings

ACTIVE_CLINIC_KEY = "medspa_clinic_id"
AUTH_AT_KEY = "medspa_auth_at"
LAST_SEEN_KEY = "medspa_last_seen"
MFA_VERIFIED_KEY = "medspa_mfa_verified"
LAST_SEEN_WRITE_EVERY = 30  # seconds; avoids a session write on every request


def start(session) -> None:
    """Mark a freshly signed-in session (Django has already rotated its key)."""
    now = int(time.time())
    session[AUTH_AT_KEY] = now
    session[LAST_SEEN_KEY] = now


def expired_reason(session, idle_minutes: int, now: float | None = None) -> str | None:
    """'absolute' or 'idle' when the session must end, else None."""
    now = time.time() if now is None else now
    auth_at = session.get(AUTH_AT_KEY)
    last_seen = session.get(LAST_SEEN_KEY, auth_at)
    if auth_at is None or now - auth_at > settings.SESSION_ABSOLUTE_SECONDS:
        return "absolute"
    if last_seen is None or now - last_seen > idle_minutes * 60:
        return "idle"
    return None


def touch(session, now: float | None = None) -> None:
    now = int(time.time() if now is None else now)
    if now - session.get(LAST_SEEN_KEY, 0) >= LAST_SEEN_WRITE_EVERY:
        session[LAST_SEEN_KEY] = now


def mfa_verified(request) -> bool:
    """True when this session proved a second factor (at login or by enrolling just now)."""
    if request.session.get(MFA_VERIFIED_KEY):
        return True
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


def user_has_mfa(user) -> bool:
    return is_mfa_enabled(user)


def session_is_current(session, user) -> bool:
    """For sockets: the session has a live sign-in (fine-grained checks ran on HTTP)."""
    return expired_reason(session, idle_minutes=24 * 60) is None
