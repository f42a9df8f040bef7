"""Idempotency-Key handling for creating bookings, payments and refunds (SECURITY LED-3).

`replay_or_run` runs the request once per (clinic, scope, key) and stores its response in the
same transaction as its effects; a repeat with the same body gets the stored response, a
repeat with another body a 422. A failed first attempt stores nothing, so a retry runs again.
Concurrent duplicates wait on the unique key (PostgreSQL) or the write lock (SQLite) and
replay the first result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from medspa.core.actors import Actor
from medspa.core.errors import InvalidInput
from medspa.core.models import IdempotencyKey

KEEP_FOR = timedelta(hours=48)
MAX_KEY_LENGTH = 255


def fingerprint(body: object) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def replay_or_run(
    actor: Actor, scope: str, key: str | None, body: object, run: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """(status, response, replayed). Without a key the request simply runs."""
    if not key:
        status, response = run()
        return status, response, False
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            "Idempotency-Key must be 1–255 characters.", fields={"idempotency_key": ["1–255 characters."]}
        )
    digest = fingerprint(body)
    with transaction.atomic():
        stored = _stored(actor, scope, key)
        if stored is None:
            try:
                with transaction.atomic():  # a duplicate in flight waits here until we commit
                    row = IdempotencyKey.objects.create(
                        clinic=actor.clinic, scope=scope, key=key, fingerprint=digest, status_code=0, response={}
                    )
            except IntegrityError:
                row = None
            if row is not None:
                status, response = run()
                row.status_code, row.response = status, response
                row.save(update_fields=["status_code", "response", "updated_at"])
                return status, response, False
            stored = _stored(actor, scope, key)  # the duplicate that committed first
        if stored.fingerprint != digest:
            raise InvalidInput(
                "This Idempotency-Key was used with a different request.",
                code="idempotency_key_reused",
                fields={"idempotency_key": ["Already used with a different request body."]},
            )
        return stored.status_code, stored.response, True


def _stored(actor: Actor, scope: str, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(clinic=actor.clinic, scope=scope, key=key).first()


def purge_expired(now=None) -> int:
    """Drop keys older than KEEP_FOR (run by a periodic job)."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
