"""Recompute every submission's hashes and its drawn signatures' file hashes."""

from __future__ import annotations

import hashlib
import logging

from medspa.consents.models import FormSubmission
from medspa.consents.signing import COLUMNS, Mismatch, verify_submissions
from medspa.core import files
from medspa.core.models import StoredFile

log = logging.getLogger(__name__)


def _file_hashes(file_ids: list[str]) -> dict[str, str]:
    """The SHA-256 of each stored file's actual bytes (a missing or unreadable file has none)."""
    hashes = {}
    for stored in StoredFile.objects.filter(pk__in=file_ids):
        try:
            hashes[str(stored.pk)] = hashlib.sha256(files.read_bytes(stored)).hexdigest()
        except Exception:  # noqa: BLE001 - an unreadable blob is reported as a mismatch
            log.warning("stored file %s could not be read for verification", stored.pk)
    return hashes


def consents_verify(*, clinic_id=None, batch: int = 1000) -> tuple[int, list[Mismatch]]:
    """(submissions checked, mismatches) over every submission, or one clinic's."""
    rows = FormSubmission.objects.order_by("pk")
    if clinic_id:
        rows = rows.filter(clinic_id=clinic_id)
    checked, problems, last = 0, [], None
    while True:
        page = rows.filter(pk__gt=last) if last else rows
        chunk = list(page.values(*COLUMNS)[:batch])
        if not chunk:
            break
        ids = [m["image_file_id"] for r in chunk for m in r["signatures"] if m.get("image_file_id")]
        problems += verify_submissions(chunk, _file_hashes(ids))
        checked += len(chunk)
        last = chunk[-1]["id"]
    return checked, problems
