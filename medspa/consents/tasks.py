"""Jobs of the forms module."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from medspa.consents.services import forms_remind_due


@db_periodic_task(crontab(minute="*/15"))
def consents_remind() -> int:
    """Every 15 minutes: remind patients whose visit is within 48 hours of the forms still open."""
    return forms_remind_due()
