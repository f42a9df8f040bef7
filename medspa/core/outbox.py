"""The transactional outbox: the one way modules send messages and call processors.

`outbox_enqueue` writes a row inside the caller's transaction, so the side effect exists
exactly when the business change does. After commit the row is handed to the job queue;
the sweeper re-hands rows whose delivery never finished (a killed worker), so a message is
delayed, never lost. Handlers receive the row and must be idempotent by its `id`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from medspa.core.choices import OutboxStatus
from medspa.core.models import Clinic, OutboxMessage

log = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], None]
_HANDLERS: dict[str, Handler] = {}

CLAIM_SECONDS = 300
MAX_ATTEMPTS = 8


def outbox_handler(topic: str) -> Callable[[Handler], Handler]:
    """Register the function that performs messages of `topic`."""

    def decorator(fn: Handler) -> Handler:
        _HANDLERS[topic] = fn
        return fn

    return decorator


def outbox_enqueue(*, clinic: Clinic, topic: str, payload: dict, key: str) -> OutboxMessage:
    """Record a side effect in the current transaction; the same (topic, key) is stored once."""
    if topic not in _HANDLERS:
        raise ValueError(f"No outbox handler for topic {topic!r}")
    existing = OutboxMessage.objects.filter(clinic=clinic, topic=topic, idempotency_key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(clinic=clinic, topic=topic, payload=payload, idempotency_key=key)
    except IntegrityError:
        return OutboxMessage.objects.get(clinic=clinic, topic=topic, idempotency_key=key)
    transaction.on_commit(lambda: _dispatch(message))
    return message


def _dispatch(message: OutboxMessage) -> None:
    from medspa.core.tasks import outbox_deliver_task

    try:
        outbox_deliver_task(str(message.clinic_id), str(message.pk))
    except Exception:  # the sweeper will hand it over again
        log.exception("could not enqueue outbox message %s", message.pk)


def outbox_deliver(*, clinic_id: str, message_id: str) -> str:
    """Claim one pending message, run its handler, and record the outcome.

    Returns the message status afterwards. A claim lasts CLAIM_SECONDS; another worker
    cannot run the same message while it is claimed.
    """
    now = timezone.now()
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, clinic_id=clinic_id, status=OutboxStatus.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    )
    message = OutboxMessage.objects.filter(pk=message_id, clinic_id=clinic_id).first()
    if message is None or not claimed:
        return message.status if message else "missing"
    try:
        _HANDLERS[message.topic](message)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
        attempts = message.attempts + 1
        status = OutboxStatus.DEAD if attempts >= MAX_ATTEMPTS else OutboxStatus.PENDING
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=attempts,
            status=status,
            claimed_until=None,
            available_at=timezone.now() + timedelta(seconds=min(3600, 2**attempts * 15)),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        log.warning("outbox message %s failed (attempt %s): %s", message.pk, attempts, exc)
        return status
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.DONE, attempts=message.attempts + 1, processed_at=timezone.now(), claimed_until=None
    )
    return OutboxStatus.DONE


def outbox_due(limit: int = 500) -> list[tuple[str, str]]:
    """(clinic id, message id) of pending messages that are due and not claimed."""
    now = timezone.now()
    rows = (
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING, available_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("available_at")
        .values_list("clinic_id", "pk")[:limit]
    )
    return [(str(c), str(m)) for c, m in rows]
