"""Background jobs of the patients module: the CSV import (check, then import) and its upkeep."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from medspa.patients import importing


@db_task()
def patient_import_task(clinic_id: str, import_id: str) -> str:
    """Run the pending step of one import job of `clinic_id` (no retries: the sweeper re-runs lost jobs)."""
    return importing.import_job_run(clinic_id=clinic_id, import_id=import_id)


@db_periodic_task(crontab(minute="*"))
def patient_import_sweep() -> int:
    """Expire files that were checked but never imported, and run lost jobs again."""
    again = importing.import_jobs_sweep()
    for clinic_id, import_id in again:
        patient_import_task(clinic_id, import_id)
    return len(again)
