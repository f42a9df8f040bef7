"""The patient's capabilities on the portal.

A booking's secret token (random, 256 bits; only its SHA-256 is stored) lets whoever holds
it continue that one booking: the portal keeps it in the browser session, API clients get it
once, a finish-your-booking link carries it. The manage link is a signed value naming the
booking, valid until the booked visit has ended (checked on use against the visit).
"""

from __future__ import annotations

import hashlib
import secrets

from django.core import signing

MANAGE_SALT = "medspa.booking.manage"


def new_secret() -> tuple[str, str]:
    """(token to hand out, hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, secret_hash(token)


def secret_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def session_hash(session_key: str) -> str:
    return hashlib.sha256(f"session:{session_key}".encode()).hexdigest() if session_key else ""


def manage_token(booking_id) -> str:
    return signing.dumps(str(booking_id), salt=MANAGE_SALT)


def manage_booking_id(token: str) -> str | None:
    """The booking a manage token names, or None when it was not signed by us."""
    try:
        value = signing.loads(token, salt=MANAGE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) else None
