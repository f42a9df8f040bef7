"""Import patients from CSV exports of other practice systems.

Headers are matched case- and punctuation-insensitively against the synonyms below (the
exports of Jane, Boulevard, Mangomint, Aesthetic Record, Vagaro and spreadsheets use these
names); a mapping file (JSON `{"Their header": "our_field"}`) covers anything else.
A dry run reports every row's errors and likely duplicates and writes nothing. Re-running
a file skips rows that already exist (same email, same phone and last name, or same name
and date of birth), so an import can be repeated safely.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import InvalidInput
from medspa.patients.models import Patient
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
    rows: list[RowResult]
    created: int = 0
    dry_run: bool = True

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


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
    source_name: str = "",
    digest: str = "",
) -> ImportReport:
    """Check (dry run) or import patient rows; rows that already exist are skipped."""
    actor.require("patients.edit")
    columns = column_map(headers, mapping)
    seen = _Seen(actor)
    report = ImportReport(rows=[], dry_run=dry_run)
    pending: list[Patient] = []

    def flush() -> None:
        Patient.objects.bulk_create(pending, batch_size=BATCH)
        report.created += len(pending)
        pending.clear()

    with transaction.atomic():
        for line, raw in enumerate(rows, start=2):
            data, errors = _clean_row(raw, columns)
            name = f"{data.get('first_name', '')} {data.get('last_name', '')}".strip()
            if errors:
                report.rows.append(RowResult(line, "error", name, errors))
            else:
                patient = Patient(clinic=actor.clinic, **data)
                _search_columns(patient)
                duplicate = seen.match(patient)
                if duplicate:
                    report.rows.append(RowResult(line, "existing", name, duplicate_of=duplicate))
                else:
                    seen.add(patient)
                    report.rows.append(RowResult(line, "new", name))
                    if not dry_run:
                        pending.append(patient)
                        if len(pending) >= BATCH:
                            flush()
            if progress and line % 1000 == 0:
                progress(line - 1)
        if not dry_run:
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
