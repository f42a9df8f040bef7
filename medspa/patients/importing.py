"""Import patients from CSV exports of other practice systems.

Headers are matched case- and punctuation-insensitively against the synonyms below (the
exports of Jane, Boulevard, Mangomint, Aesthetic Record, Vagaro and spreadsheets use these
names); a mapping file (JSON `{"Their header": "our_field"}`) covers anything else.
A dry run reports every row's errors and likely duplicates and writes nothing. Re-running
a file skips rows that already exist (same email, same phone and last name, or same name
and date of birth), so an import can be repeated safely.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from medspa.accounts.selectors import actor_for_user
from medspa.core import live
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.choices import AuditOutcome
from medspa.core.errors import Conflict, DomainError, InvalidInput, NotFound
from medspa.core.models import Clinic
from medspa.patients.choices import ImportMode, ImportStatus
from medspa.patients.models import Patient, PatientImport
from medspa.patients.normalize import InvalidPhone, to_e164
from medspa.patients.services import _search_columns

SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "given name", "first", "client first name", "patient first name"),
    "last_name": ("last name", "lastname", "surname", "family name", "last", "client last name", "patient last name"),
    "preferred_name": ("preferred name", "nickname", "goes by"),
    "pronouns": ("pronouns",),
    "email": ("email", "email address", "e-mail", "client email"),
    "phone": (
        "phone",
        "mobile",
        "mobile phone",
        "cell",
        "cell phone",
        "phone number",
        "mobile number",
        "primary phone",
    ),
    "alternate_phone": ("home phone", "alternate phone", "work phone", "other phone", "secondary phone"),
    "date_of_birth": ("date of birth", "dob", "birthdate", "birth date", "birthday"),
    "address_line1": ("address", "address 1", "address line 1", "street", "street address"),
    "address_line2": ("address 2", "address line 2", "apt", "suite"),
    "city": ("city", "town"),
    "region": ("state", "province", "region", "state/province"),
    "postal_code": ("zip", "zip code", "postal code", "postcode"),
    "referral_source": ("referral source", "referred by", "how did you hear about us", "source"),
    "notes": ("notes", "note", "comments"),
}
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y", "%m-%d-%Y", "%b %d, %Y")
BATCH = 2000


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9/]+", " ", (text or "").lower()).strip()


def column_map(headers: list[str], mapping: dict[str, str] | None = None) -> dict[str, str]:
    """{csv header: our field} for the headers we recognise (the mapping file wins)."""
    lookup = {synonym: target for target, names in SYNONYMS.items() for synonym in names}
    result = {}
    for header in headers:
        if mapping and header in mapping:
            if mapping[header] not in SYNONYMS:
                raise InvalidInput(fields={"mapping": f"{mapping[header]!r} is not a field we import."})
            result[header] = mapping[header]
        elif _header_key(header) in lookup:
            result[header] = lookup[_header_key(header)]
    missing = {"first_name", "last_name"} - set(result.values())
    if missing:
        raise InvalidInput(fields={"file": f"No column for {', '.join(sorted(missing))} (see the expected headers)."})
    return result


def _parse_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - calendar date
        except ValueError:
            continue
    raise ValueError


@dataclass
class RowResult:
    line: int
    status: str  # "new" | "existing" | "error"
    name: str
    errors: dict[str, str] = field(default_factory=dict)
    duplicate_of: str = ""


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    created: int = 0
    dry_run: bool = True
    counts: dict[str, int] = field(default_factory=lambda: {"new": 0, "existing": 0, "error": 0})

    def add(self, row: RowResult) -> None:
        self.rows.append(row)
        self.counts[row.status] += 1

    def count(self, status: str) -> int:
        return self.counts[status]


def _clean_row(raw: dict[str, str], columns: dict[str, str]) -> tuple[dict, dict[str, str]]:
    data: dict = {}
    errors: dict[str, str] = {}
    for header, target in columns.items():
        value = (raw.get(header) or "").strip()
        if value:
            data[target] = value
    for name in ("first_name", "last_name"):
        if not data.get(name):
            errors[name] = "Missing."
    if data.get("email"):
        data["email"] = data["email"].lower()
        try:
            validate_email(data["email"])
        except ValidationError:
            errors["email"] = f"Not an email address: {data['email'][:60]}"
    for name in ("phone", "alternate_phone"):
        if data.get(name):
            try:
                data[name] = to_e164(data[name])
            except InvalidPhone:
                errors[name] = f"Not a phone number: {data[name][:30]}"
    if data.get("date_of_birth"):
        try:
            data["date_of_birth"] = _parse_date(data["date_of_birth"])
            if data["date_of_birth"] > timezone.localdate():
                errors["date_of_birth"] = "In the future."
        except ValueError:
            errors["date_of_birth"] = f"Not a date: {data['date_of_birth'][:30]}"
    for name, value in data.items():
        limit = Patient._meta.get_field(name).max_length
        if isinstance(value, str) and limit and len(value) > limit:
            errors[name] = f"Longer than {limit} characters."
    return data, errors


class _Seen:
    """Identity keys of profiles that exist (or were added earlier in this file)."""

    def __init__(self, actor: Actor):
        self.keys: dict[tuple, str] = {}
        rows = Patient.objects.filter(clinic=actor.clinic).values_list(
            "pk", "email_lower", "phone_digits", "first_key", "last_key", "date_of_birth"
        )
        for pk, email, phone, first, last, dob in rows.iterator(chunk_size=5000):
            for key in self._keys(email, phone, first, last, dob):
                self.keys.setdefault(key, str(pk))

    @staticmethod
    def _keys(email, phone, first, last, dob) -> list[tuple]:
        keys = []
        if email:
            keys.append(("email", email))
        if phone:
            keys.append(("phone", phone, last))
        if dob:
            keys.append(("name_dob", first, last, dob))
        return keys

    def match(self, patient: Patient) -> str:
        keys = self._keys(
            patient.email_lower, patient.phone_digits, patient.first_key, patient.last_key, patient.date_of_birth
        )
        return next((self.keys[k] for k in keys if k in self.keys), "")

    def add(self, patient: Patient) -> None:
        keys = self._keys(
            patient.email_lower, patient.phone_digits, patient.first_key, patient.last_key, patient.date_of_birth
        )
        for key in keys:
            self.keys.setdefault(key, str(patient.pk))


def import_patients(
    *,
    actor: Actor,
    rows: Iterable[dict[str, str]],
    headers: list[str],
    mapping: dict[str, str] | None = None,
    dry_run: bool = True,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
    source_name: str = "",
    digest: str = "",
    report: ImportReport | None = None,
) -> ImportReport:
    """Check (dry run) or import patient rows; rows that already exist are skipped.

    New profiles are written in batches of BATCH rows, each batch in its own transaction, so
    a long import neither holds the database's write lock for its whole run nor hides its
    progress; the audit event is written with the last batch. A run cut short leaves whole
    batches behind, and running the file again skips them. `report` (if given) is filled in
    as rows are read, so `progress` callers can read the running counts from it.
    """
    actor.require("patients.edit")
    columns = column_map(headers, mapping)
    seen = _Seen(actor)
    report = report if report is not None else ImportReport()
    report.dry_run = dry_run
    pending: list[Patient] = []

    def flush() -> None:
        with transaction.atomic():
            Patient.objects.bulk_create(pending, batch_size=BATCH)
            report.created += len(pending)
            pending.clear()

    for line, raw in enumerate(rows, start=2):
        data, errors = _clean_row(raw, columns)
        name = f"{data.get('first_name', '')} {data.get('last_name', '')}".strip()
        if errors:
            report.add(RowResult(line, "error", name, errors))
        else:
            patient = Patient(clinic=actor.clinic, **data)
            _search_columns(patient)
            duplicate = seen.match(patient)
            if duplicate:
                report.add(RowResult(line, "existing", name, duplicate_of=duplicate))
            else:
                seen.add(patient)
                report.add(RowResult(line, "new", name))
                if not dry_run:
                    pending.append(patient)
                    if len(pending) >= BATCH:
                        flush()
        if progress and (line - 1) % progress_every == 0:
            progress(line - 1)
    if not dry_run:
        with transaction.atomic():
            flush()
            audit_record(
                action="patient.imported",
                actor=actor,
                object_type="patients.import",
                object_id=digest[:64],
                summary=f"{report.created} created from {source_name}"[:500],
                changes={"new": report.created, "existing": report.count("existing"), "errors": report.count("error")},
            )
    if progress:
        progress(len(report.rows))
    return report


def read_csv(content: bytes) -> tuple[list[str], list[dict[str, str]], str]:
    """(headers, rows, sha256) of a CSV file in UTF-8 (with or without BOM) or Latin-1."""
    digest = hashlib.sha256(content).hexdigest()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    reader = csv.DictReader(io.StringIO(text))
    headers = [h for h in (reader.fieldnames or []) if h]
    if not headers:
        raise InvalidInput(fields={"file": "The file has no header row."})
    return headers, list(reader), digest


# Background import jobs ----------------------------------------------------------------
# The page stores the upload (encrypted) in a PatientImport row and a job checks it, then,
# once confirmed, imports the same stored bytes. `medspa import-patients` calls
# `import_patients` directly and stays synchronous.

PROGRESS_EVERY = 500
PROBLEMS_KEPT = 500
PAYLOAD_HOURS = 24  # how long a checked file waits for "Import" before it is discarded
STALE_MINUTES = 5  # a running job that has not reported progress for this long was lost
MAX_ATTEMPTS = 3
log = logging.getLogger(__name__)


def _fernet() -> MultiFernet:
    """Fernet keys derived by HKDF from each MEDSPA_FILE_KEY entry (a comma-separated list
    during a rotation): the first encrypts, any of them decrypts. The derivation's label
    keeps these keys apart from the keys of other file kinds."""
    keys = [part.strip() for part in settings.FILE_KEY.split(",") if part.strip()]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"medspa.patients.import.v1").derive(
                        key.encode()
                    )
                )
            )
            for key in keys
        ]
    )


def live_event_name(import_id) -> str:
    """The live event a job raises on every progress step (the page refreshes on it)."""
    return f"patients.import.{import_id}"


def import_job_get(*, actor: Actor, import_id) -> PatientImport:
    """The clinic's import job; another clinic's job looks missing (404)."""
    actor.require("patients.edit")
    job = (
        PatientImport.objects.filter(clinic=actor.clinic, pk=import_id)
        .defer("payload")
        .annotate(has_file=ExpressionWrapper(Q(payload__isnull=False), output_field=BooleanField()))
        .first()
    )
    if job is None:
        raise NotFound()
    return job


def import_jobs_recent(*, actor: Actor, limit: int = 10) -> list[PatientImport]:
    actor.require("patients.edit")
    return list(PatientImport.objects.filter(clinic=actor.clinic).defer("payload", "report", "mapping")[:limit])


def import_job_start(*, actor: Actor, content: bytes, source_name: str, mapping: dict | None) -> PatientImport:
    """Store an uploaded CSV (encrypted) and queue its check. A file we cannot read (no
    header row, no name columns, a bad mapping) is refused here with field errors and
    nothing is stored. The caller queues `patient_import_task` afterwards."""
    actor.require("patients.edit")
    headers, rows, digest = read_csv(content)
    column_map(headers, mapping)
    with transaction.atomic():
        job = PatientImport.objects.create(
            clinic=actor.clinic,
            mode=ImportMode.CHECK,
            status=ImportStatus.QUEUED,
            source_name=source_name[:200],
            sha256=digest,
            mapping=mapping or {},
            payload=_fernet().encrypt(content),
            total_rows=len(rows),
            created_by=actor.user,
        )
        audit_record(
            action="patient.import_checked",
            actor=actor,
            obj=job,
            summary=f"{len(rows)} rows from {source_name}"[:500],
            changes={"sha256": digest},
        )
    return job


def import_job_commit(*, actor: Actor, import_id, sha256: str) -> PatientImport:
    """Queue the import of a checked file. `sha256` is the digest the person reviewed; the
    stored file must still have it. Refuses (409) a job that is not checked, has nothing
    new, or whose file is gone, and while another import of the clinic is running."""
    actor.require("patients.edit")
    job = import_job_get(actor=actor, import_id=import_id)
    if sha256 != job.sha256:
        raise InvalidInput(fields={"file": "This is not the file that was checked. Check it again before importing."})
    with transaction.atomic():
        # One import per clinic at a time (two would both miss each other's new rows): the
        # clinic row lock orders concurrent confirmations on PostgreSQL; SQLite has one writer.
        Clinic.objects.select_for_update().filter(pk=actor.clinic.pk).first()
        busy = PatientImport.objects.filter(clinic=actor.clinic, status=ImportStatus.IMPORTING).exclude(pk=job.pk)
        if busy.exists():
            raise Conflict("Another import is running for this clinic. Wait for it to finish, then import.")
        claimed = PatientImport.objects.filter(
            clinic=actor.clinic, pk=job.pk, status=ImportStatus.DRY_RUN_DONE, payload__isnull=False
        ).update(
            status=ImportStatus.IMPORTING,
            mode=ImportMode.COMMIT,
            committed_by=actor.user,
            processed_rows=0,
            attempts=0,
            updated_at=timezone.now(),
        )
        if not claimed:
            raise Conflict("This file is not waiting to be imported (already imported, or expired). Check it again.")
    return import_job_get(actor=actor, import_id=job.pk)


def _job_actor(job: PatientImport) -> Actor:
    """The person who started this step, as they are now (a revoked role fails the job)."""
    user = job.committed_by if job.status == ImportStatus.IMPORTING else job.created_by
    actor = actor_for_user(user, str(job.clinic_id))[0] if user is not None else None
    if actor is None or actor.clinic is None or actor.clinic.pk != job.clinic_id:
        raise DomainError("The person who started this import is no longer a member of the clinic.")
    return actor


def _problems(report: ImportReport) -> dict:
    problem_rows = islice((r for r in report.rows if r.status != "new"), PROBLEMS_KEPT)
    kept = [
        {"line": r.line, "status": r.status, "name": r.name, "errors": r.errors, "duplicate_of": r.duplicate_of}
        for r in problem_rows
    ]
    hidden = report.count("existing") + report.count("error") - len(kept)
    return {"problems": kept, "hidden": hidden}


def _set(job: PatientImport, **values) -> None:
    values.setdefault("updated_at", timezone.now())
    PatientImport.objects.filter(pk=job.pk, clinic_id=job.clinic_id).update(**values)
    for name, value in values.items():
        setattr(job, name, value)
    live.publish(
        clinic_id=job.clinic_id,
        event=live_event_name(job.pk),
        payload={"status": job.status, "processed": job.processed_rows, "total": job.total_rows},
    )


def _fail(job: PatientImport, message: str) -> str:
    with transaction.atomic():
        _set(job, status=ImportStatus.FAILED, failure=message[:500], payload=None, finished_at=timezone.now())
        audit_record(
            action="patient.import_failed",
            clinic=job.clinic,
            outcome=AuditOutcome.FAILURE,
            obj=job,
            actor_label="patient import job",
            summary=message,
            changes={"mode": job.mode, "created": job.created_count},
        )
    return ImportStatus.FAILED


def import_job_run(*, clinic_id, import_id) -> str:
    """Run the pending step of a job (the check, or the import) and return its new status.

    Idempotent: a finished job is left alone, and running an import again skips the rows
    that are already saved. Progress is saved every PROGRESS_EVERY rows and raised as a
    live event to the clinic; the stored file is cleared when the import ends or fails.
    """
    job = PatientImport.objects.filter(clinic_id=clinic_id, pk=import_id).first()
    if job is None:
        return "missing"
    if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.IMPORTING):
        return job.status
    committing = job.status == ImportStatus.IMPORTING
    # The claim: of two deliveries of the same job (a retry, the sweeper) only one runs.
    status = ImportStatus.IMPORTING if committing else ImportStatus.RUNNING
    claimed = PatientImport.objects.filter(pk=job.pk, status=job.status, attempts=job.attempts).update(
        status=status, attempts=job.attempts + 1
    )
    if not claimed:
        return "claimed"
    _set(job, status=status, attempts=job.attempts + 1, started_at=timezone.now(), failure="")
    try:
        actor = _job_actor(job)
        content = _fernet().decrypt(bytes(job.payload)) if job.payload is not None else None
    except InvalidToken:
        return _fail(job, "The stored file could not be read. Upload it again.")
    except DomainError as exc:
        return _fail(job, exc.detail)
    if content is None or hashlib.sha256(content).hexdigest() != job.sha256:
        return _fail(job, "The stored file is missing or changed. Upload it again.")
    report = ImportReport()

    def progress(done: int) -> None:
        _set(
            job,
            processed_rows=done,
            created_count=report.created,
            skipped_count=report.count("existing"),
            error_count=report.count("error"),
            new_count=report.count("new"),
        )

    try:
        headers, rows, _digest = read_csv(content)
        del content
        import_patients(
            actor=actor,
            rows=rows,
            headers=headers,
            mapping=job.mapping or None,
            dry_run=not committing,
            progress=progress,
            progress_every=PROGRESS_EVERY,
            source_name=job.source_name,
            digest=job.sha256,
            report=report,
        )
    except DomainError as exc:
        return _fail(job, "; ".join(str(v) for v in exc.fields.values()) or exc.detail)
    except Exception:
        log.exception("patient import %s failed", job.pk)
        return _fail(job, "The import stopped on an unexpected error. Rows already imported are kept; run it again.")
    finished = {
        "processed_rows": len(report.rows),
        "total_rows": len(report.rows),
        "skipped_count": report.count("existing"),
        "error_count": report.count("error"),
        "report": _problems(report),
    }
    if committing:
        _set(
            job,
            status=ImportStatus.DONE,
            created_count=report.created,
            payload=None,
            finished_at=timezone.now(),
            **finished,
        )
    else:
        # Nothing new to import: the file is not needed any more.
        keep = {} if report.count("new") else {"payload": None}
        _set(
            job,
            status=ImportStatus.DRY_RUN_DONE,
            new_count=report.count("new"),
            finished_at=timezone.now(),
            **finished,
            **keep,
        )
    return job.status


def import_jobs_sweep() -> list[tuple[str, str]]:
    """Upkeep: discard files that waited too long for "Import", fail jobs that were lost too
    often, and return (clinic id, job id) of lost jobs to run again (a killed worker)."""
    now = timezone.now()
    PatientImport.objects.filter(
        status=ImportStatus.DRY_RUN_DONE, payload__isnull=False, updated_at__lt=now - timedelta(hours=PAYLOAD_HOURS)
    ).update(payload=None, failure="The checked file expired before it was imported.", updated_at=now)
    lost = PatientImport.objects.filter(
        Q(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.IMPORTING]),
        updated_at__lt=now - timedelta(minutes=STALE_MINUTES),
    )
    lost.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=ImportStatus.FAILED,
        payload=None,
        failure="The import kept stopping. Upload the file again.",
        finished_at=now,
    )
    again = list(lost.filter(attempts__lt=MAX_ATTEMPTS).values_list("clinic_id", "pk"))
    PatientImport.objects.filter(pk__in=[j for _c, j in again]).update(updated_at=now)
    return [(str(c), str(j)) for c, j in again]
