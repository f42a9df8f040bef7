"""Background jobs of the shared kernel: outbox delivery and sweeping, relay and audit upkeep."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from medspa.core import audit, live, outbox


@db_task(retries=2, retry_delay=10)
def outbox_deliver_task(clinic_id: str, message_id: str) -> str:
    return outbox.outbox_deliver(clinic_id=clinic_id, message_id=message_id)


@db_periodic_task(crontab(minute="*"))
def outbox_sweep() -> int:
    """Hand due outbox messages to the queue again (covers workers killed mid-delivery)."""
    due = outbox.outbox_due()
    for clinic_id, message_id in due:
        outbox_deliver_task(clinic_id, message_id)
    return len(due)


@db_periodic_task(crontab(minute="*/5"))
def live_relay_purge() -> int:
    return live.purge_relayed()


@db_periodic_task(crontab(minute="7", hour="*/6"))
def audit_checkpoint() -> int:
    """Write every chain head outside the database (several times a day, at least daily)."""
    return audit.write_checkpoints()


@db_task()
def live_publish_task(clinic_id: str, event: str, payload: dict) -> None:
    """Raise a live event from the worker (used by modules and by the live-event test)."""
    live.publish(clinic_id=clinic_id, event=event, payload=payload)


@db_periodic_task(crontab(minute="13"))
def idempotency_purge() -> int:
    """Forget Idempotency-Key results older than 48 hours."""
    from medspa.core.idempotency import purge_expired

    return purge_expired()
