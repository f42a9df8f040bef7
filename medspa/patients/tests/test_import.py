"""CSV import: header matching, dry run vs real run, idempotent re-run, per-row errors."""

import io

import pytest
from django.core.management import CommandError, call_command

from medspa.core.models import AuditEvent
from medspa.patients.models import Patient

pytestmark = pytest.mark.django_db

CSV = """First Name,Last Name,Email,Mobile Phone,Date of Birth,Zip,Referred By
Zoë,Müller,zoe@example.com,(415) 555-0134,1988-03-14,94110,Instagram
José,García,,646-555-0111,07/04/1979,10001,
Broken,Row,not-an-email,12,2999-01-01,,
,Nameless,,,,,
Zoe,Muller,ZOE@example.com,,,,
"""


def run(tmp_path, clinic, content=CSV, *extra):
    path = tmp_path / "export.csv"
    path.write_text(content, encoding="utf-8")
    out = io.StringIO()
    call_command("import_patients", str(path), "--clinic", clinic.slug, *extra, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_dry_run_writes_nothing_and_reports_rows(tmp_path, clinic):
    output = run(tmp_path, clinic)
    assert "Dry run: would import 2 new patients; 1 already exist; 2 rows with errors." in output
    assert "line 4" in output and "email" in output and "phone" in output and "date_of_birth" in output
    assert not Patient.objects.exists()


def test_commit_then_rerun_creates_no_duplicates(tmp_path, clinic):
    assert "Imported 2 new patients" in run(tmp_path, clinic, CSV, "--commit")
    zoe = Patient.objects.get(last_name="Müller")
    assert zoe.phone == "+14155550134" and zoe.postal_code == "94110" and zoe.referral_source == "Instagram"
    assert zoe.first_key == "zoe" and str(Patient.objects.get(last_name="García").date_of_birth) == "1979-07-04"
    assert "Imported 0 new patients; 3 already exist" in run(tmp_path, clinic, CSV, "--commit")
    assert Patient.objects.count() == 2
    assert AuditEvent.objects.filter(action="patient.imported").count() == 2


def test_mapping_file_and_missing_name_columns(tmp_path, clinic):
    (tmp_path / "map.json").write_text('{"Client": "first_name", "Family": "last_name"}')
    output = run(tmp_path, clinic, "Client,Family\nAna,Ruiz\n", "--mapping", str(tmp_path / "map.json"), "--commit")
    assert "Imported 1 new patients" in output
    with pytest.raises(CommandError, match="last_name"):
        run(tmp_path, clinic, "First Name,Phone\nAna,4155550100\n")


def test_unknown_clinic(tmp_path, db):
    with pytest.raises(CommandError):
        run(tmp_path, type("C", (), {"slug": "nope"})())


def test_large_file_imports_every_row(tmp_path, clinic):
    """Batches flush correctly past the batch size (timing lives in bench/patient_import.py)."""
    rows = 4500
    lines = ["First Name,Last Name,Email,Phone"]
    lines += [f"First{i},Last{i},p{i}@example.com,212555{i % 10000:04d}" for i in range(rows)]
    assert f"Imported {rows} new patients" in run(tmp_path, clinic, "\n".join(lines) + "\n", "--commit")
    assert Patient.objects.count() == rows
    assert Patient.objects.filter(email_lower="p4499@example.com", phone_digits="2125554499").exists()
