"""Live events: a change in one process shows up in every browser of the clinic.

Each clinic has one channel group. With Redis the events go straight to the channel
layer; in the embedded setup the worker and the web server are separate processes, so
events travel through the `LiveEvent` table and the web server's relay forwards them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from medspa.core.models import LiveEvent

log = logging.getLogger(__name__)
RELAY_INTERVAL_SECONDS = 0.2


def clinic_group(clinic_id) -> str:
    return f"clinic.{clinic_id}"


def publish(*, clinic_id, event: str, payload: dict | None = None) -> None:
    """Send `event` to the clinic's browsers once the current transaction commits."""
    message = {"type": "live.event", "event": event, "payload": payload or {}}

    def send() -> None:
        if settings.LIVE_EVENTS_RELAY:
            LiveEvent.objects.create(clinic_id=clinic_id, event=event, payload=payload or {})
        else:
            async_to_sync(get_channel_layer().group_send)(clinic_group(clinic_id), message)

    transaction.on_commit(send)


def purge_relayed(older_than_seconds: int = 120) -> int:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    deleted, _ = LiveEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


class Relay:
    """Forwards relay rows to this process's channel layer; one per event loop."""

    _task: asyncio.Task | None = None
    _ready: asyncio.Event | None = None

    @classmethod
    async def ensure_running(cls) -> None:
        """Start the relay if needed and wait until it has its starting point.

        Sockets are accepted only afterwards, so no event published after a browser
        connected can fall before the relay's cursor.
        """
        if not settings.LIVE_EVENTS_RELAY:
            return
        if cls._task is None or cls._task.done():
            cls._ready = asyncio.Event()
            cls._task = asyncio.get_running_loop().create_task(cls._run(cls._ready))
        await asyncio.wait_for(cls._ready.wait(), timeout=10)

    @staticmethod
    def _fetch(after: int | None) -> tuple[int, list[dict]]:
        try:
            if after is None:
                last = LiveEvent.objects.order_by("-id").values_list("id", flat=True).first()
                return (last or 0), []
            rows = list(
                LiveEvent.objects.filter(id__gt=after)
                .order_by("id")
                .values("id", "clinic_id", "event", "payload")[:500]
            )
            return (rows[-1]["id"] if rows else after), rows
        finally:
            close_old_connections()

    @classmethod
    async def _run(cls, ready: asyncio.Event) -> None:
        layer = get_channel_layer()
        cursor: int | None = None
        while True:
            try:
                cursor, rows = await sync_to_async(cls._fetch, thread_sensitive=False)(cursor)
                ready.set()
                for row in rows:
                    await layer.group_send(
                        clinic_group(row["clinic_id"]),
                        {"type": "live.event", "event": row["event"], "payload": row["payload"]},
                    )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live event relay failed; retrying")
            await asyncio.sleep(RELAY_INTERVAL_SECONDS)
