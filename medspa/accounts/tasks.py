"""Periodic upkeep of staff sign-ins: expired API tokens and sessions are purged."""

from django.contrib.sessions.models import Session
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from medspa.accounts import services


@db_periodic_task(crontab(minute="*/15"))
def purge_expired_credentials() -> dict:
    """Remove API tokens and sessions that can no longer be used."""
    tokens = services.tokens_purge_expired()
    sessions, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"tokens": tokens, "sessions": sessions}
