"""Settings → Import as background jobs: upload → check job → report → import job → result.

Huey runs in immediate mode under test, so a queued job runs inside the request that
queued it; `import_job_run` and the tasks are also called directly where a test needs a
job half-way.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from medspa.core.actors import Actor
from medspa.core.models import AuditEvent, LiveEvent
from medspa.core.permissions import Role
from medspa.patients import importing, tasks
from medspa.patients.choices import ImportStatus
from medspa.patients.models import Patient, PatientImport

pytestmark = pytest.mark.django_db

CSV = """First Name,Last Name,Email,Mobile Phone,Date of Birth,Zip
Zoë,Müller,zoe@example.com,(415) 555-0134,1988-03-14,94110
José,García,,646-555-0111,07/04/1979,10001
Broken,Row,not-an-email,12,2999-01-01,
"""
HTMX = {"HTTP_HX_REQUEST": "true"}


def upload(content: str | bytes = CSV, name: str = "export.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def digest(content: str = CSV) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def check(client, content=CSV, **extra):
    """Upload a file through the page (its check job runs at once) and return (response, job)."""
    response = client.post("/settings/import/", {"file": upload(content), **extra}, **HTMX)
    return response, PatientImport.objects.order_by("-created_at").first()


def commit(client, job, sha: str | None = None):
    return client.post(f"/settings/import/{job.pk}/", {"digest": sha or job.sha256}, **HTMX)


def test_check_then_import_through_the_page(clinic, owner, login):
    client = login(owner)
    response, job = check(client)
    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"/settings/import/{job.pk}/"
    assert '<div id="import-recent" hx-swap-oob="true" hidden></div>' in response.content.decode()
    content = response.content.decode()
    assert 'data-count="new">2<' in content and 'data-count="error">1<' in content
    assert "Import 2 patients" in content and f'name="digest" value="{digest()}"' in content
    assert '<td class="tabular-nums">4</td>' in content and "Not an email address" in content
    job.refresh_from_db()
    assert (job.status, job.mode, job.sha256, job.created_by_id) == ("dry_run_done", "check", digest(), owner.pk)
    assert (job.total_rows, job.processed_rows, job.new_count, job.error_count) == (3, 3, 2, 1)
    assert job.report["problems"][0]["line"] == 4 and job.report["hidden"] == 0
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(action="patient.imported").exists()
    assert AuditEvent.objects.filter(action="patient.import_checked", object_id=str(job.pk)).count() == 1

    done = commit(client, job)
    assert done.status_code == 200
    assert b"Imported 2 patients." in done.content and b"1 row with errors was not imported" in done.content
    job.refresh_from_db()
    assert (job.status, job.mode, job.committed_by_id) == ("done", "commit", owner.pk)
    assert (job.processed_rows, job.created_count, job.skipped_count, job.error_count) == (3, 2, 0, 1)
    assert job.finished_at is not None
    assert Patient.objects.filter(clinic=clinic).count() == 2
    assert Patient.objects.get(email="zoe@example.com").phone == "+14155550134"
    assert AuditEvent.objects.filter(action="patient.imported").count() == 1


def test_file_is_stored_encrypted_and_removed_when_the_import_ends(clinic, owner, login):
    client = login(owner)
    _, job = check(client)
    stored = bytes(PatientImport.objects.get(pk=job.pk).payload)
    for plaintext in (b"zoe@example.com", "Müller".encode(), b"First Name", b"646-555-0111"):
        assert plaintext not in stored
    assert importing._fernet().decrypt(stored) == CSV.encode()

    commit(client, job)
    assert PatientImport.objects.get(pk=job.pk).payload is None


def test_stored_file_survives_a_file_key_rotation(clinic, owner, settings):
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    job = importing.import_job_start(actor=actor, content=CSV.encode(), source_name="a.csv", mapping={})
    old_key = settings.FILE_KEY
    settings.FILE_KEY = "bmV3LWtleS1uZXctbWVkc3BhLWZpbGUta2V5LTMyYg==," + old_key
    assert importing.import_job_run(clinic_id=clinic.pk, import_id=job.pk) == "dry_run_done"
    settings.FILE_KEY = "bmV3LWtleS1uZXctbWVkc3BhLWZpbGUta2V5LTMyYg=="  # the old key retired: unreadable
    PatientImport.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, committed_by=owner)
    assert importing.import_job_run(clinic_id=clinic.pk, import_id=job.pk) == "failed"
    assert "could not be read" in PatientImport.objects.get(pk=job.pk).failure
    assert not Patient.objects.exists()


def test_job_without_anything_new_drops_the_file_after_the_check(clinic, owner, login):
    client = login(owner)
    _, first = check(client)
    commit(client, first)
    response, again = check(client)
    content = response.content.decode()
    assert 'data-count="new">0<' in content and 'data-count="existing">2<' in content
    assert "Likely duplicate of" in content and "Import 0" not in content
    assert PatientImport.objects.get(pk=again.pk).payload is None


def test_rerunning_the_same_file_creates_no_duplicates(clinic, owner, login):
    client = login(owner)
    _, first = check(client)
    commit(client, first)
    # A second check made before the first import finished: its report is stale, the
    # import itself still skips everything that exists by now.
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    stale = importing.import_job_start(actor=actor, content=CSV.encode(), source_name="again.csv", mapping={})
    PatientImport.objects.filter(pk=stale.pk).update(status=ImportStatus.DRY_RUN_DONE, new_count=2)
    done = commit(client, stale)
    assert b"Imported 0 patients. 2 already existed and were skipped." in done.content
    assert Patient.objects.filter(clinic=clinic).count() == 2
    assert commit(client, stale).status_code == 409  # a finished job is not imported twice
    assert Patient.objects.filter(clinic=clinic).count() == 2


def test_import_is_refused_while_another_runs_or_before_the_check_ends(clinic, owner, login):
    client = login(owner)
    _, first = check(client)
    _, second = check(client, CSV.replace("Zoë", "Zoey"))
    PatientImport.objects.filter(pk=first.pk).update(status=ImportStatus.IMPORTING)
    busy = commit(client, second)
    assert busy.status_code == 409 and b"Another import is running" in busy.content
    PatientImport.objects.filter(pk=first.pk).update(status=ImportStatus.RUNNING)
    assert commit(client, first).status_code == 409
    assert PatientImport.objects.get(pk=second.pk).status == "dry_run_done"
    assert not Patient.objects.exists()


def test_progress_is_saved_and_published_in_steps(
    clinic, owner, login, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 100)
    seen: list[tuple[str, int, int]] = []

    def spy(job, **values):
        row = PatientImport.objects.get(pk=job.pk)
        seen.append((row.status, row.processed_rows, row.total_rows))

    rows = "".join(f"Person{n},Example,p{n}@example.com\n" for n in range(450))
    content = "First Name,Last Name,Email\n" + rows
    original = importing._set

    def recording_set(job, **values):
        original(job, **values)
        spy(job, **values)

    monkeypatch.setattr(importing, "_set", recording_set)
    client = login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        _, job = check(client, content)
    checking = [s for s in seen if s[0] == "running"]
    assert [p for _s, p, _t in checking] == [0, 100, 200, 300, 400, 450]
    assert all(t == 450 for _s, _p, t in checking)
    assert seen[-1] == ("dry_run_done", 450, 450)
    events = LiveEvent.objects.filter(clinic=clinic, event=f"patients.import.{job.pk}")
    assert events.count() == len(seen)
    assert events.order_by("-id").first().payload == {"status": "dry_run_done", "processed": 450, "total": 450}

    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        commit(client, job)
    importing_steps = [p for s, p, _t in seen if s == "importing"]
    assert importing_steps == [0, 100, 200, 300, 400, 450]
    assert seen[-1] == ("done", 450, 450)
    assert Patient.objects.filter(clinic=clinic).count() == 450


def test_running_job_page_polls_and_listens_until_done(clinic, owner, login):
    client = login(owner)
    _, job = check(client)
    PatientImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed_rows=1, total_rows=3)
    partial = client.get(f"/settings/import/{job.pk}/", **HTMX).content.decode()
    assert 'hx-trigger="every 1s, live:patients.import.' + str(job.pk) + ' from:body"' in partial
    assert 'value="1"' in partial and "1 of 3 rows · 33%" in partial
    assert "<html" not in partial
    page = client.get(f"/settings/import/{job.pk}/")
    assert page.status_code == 200 and b"<html" in page.content and b"every 1s" in page.content

    PatientImport.objects.filter(pk=job.pk).update(status=ImportStatus.DRY_RUN_DONE, processed_rows=3)
    finished = client.get(f"/settings/import/{job.pk}/", **HTMX).content.decode()
    assert "every 1s" not in finished and "Import 2 patients" in finished


def test_polling_the_progress_costs_a_fixed_number_of_queries(clinic, owner, login, django_assert_max_num_queries):
    client = login(owner)
    _, job = check(client)
    PatientImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    client.get(f"/settings/import/{job.pk}/", **HTMX)
    with django_assert_max_num_queries(8):
        assert client.get(f"/settings/import/{job.pk}/", **HTMX).status_code == 200


def test_upload_page_lists_recent_imports_of_the_clinic_only(clinic, other_clinic, owner, make_member, login):
    client = login(owner)
    check(client)
    other = make_member(other_clinic, Role.OWNER, email="boss@other.example")
    check(login(other))
    page = client.get("/settings/import/").content.decode()
    assert page.count("/settings/import/") >= 2
    mine = PatientImport.objects.get(clinic=clinic)
    theirs = PatientImport.objects.get(clinic=other_clinic)
    assert str(mine.pk) in page and str(theirs.pk) not in page


def test_another_clinics_job_looks_missing(clinic, other_clinic, owner, make_member, login):
    other_owner = make_member(other_clinic, Role.OWNER, email="boss@other.example")
    _, theirs = check(login(other_owner))
    client = login(owner)
    assert client.get(f"/settings/import/{theirs.pk}/").status_code == 404
    assert client.get(f"/settings/import/{theirs.pk}/", **HTMX).status_code == 404
    assert commit(client, theirs).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "dry_run_done" and theirs.payload is not None
    assert not Patient.objects.exists()
    # The job carries its clinic: run with another clinic's id, it is not found and does nothing.
    assert importing.import_job_run(clinic_id=clinic.pk, import_id=theirs.pk) == "missing"
    assert tasks.patient_import_task.call_local(str(clinic.pk), str(theirs.pk)) == "missing"


@pytest.mark.parametrize("role", [Role.BILLING, Role.READ_ONLY])
def test_roles_without_edit_are_refused(role, clinic, owner, make_member, login):
    _, job = check(login(owner))
    client = login(make_member(clinic, role, email="lesser@test.example"))
    assert client.get("/settings/import/").status_code == 403
    assert client.post("/settings/import/", {"file": upload()}).status_code == 403
    assert client.get(f"/settings/import/{job.pk}/").status_code == 403
    assert commit(client, job).status_code == 403
    assert PatientImport.objects.count() == 1
    assert PatientImport.objects.get(pk=job.pk).status == "dry_run_done"
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("content", "fields", "message"),
    [
        ("", {}, b"The submitted file is empty."),
        (",,\n1,2,3\n", {}, b"no header row"),
        ("Colour,Size\nred,big\n", {}, b"No column for first_name, last_name"),
        ("Given,Family\nAna,Silva\n", {"mapping": "{not json"}, b"Not valid JSON"),
        ("Given,Family\nAna,Silva\n", {"mapping": '{"Given": "shoe_size"}'}, b"is not a field we import"),
    ],
)
def test_bad_file_is_an_inline_error_and_nothing_is_stored(content, fields, message, clinic, owner, login):
    response, _ = check(login(owner), content, **fields)
    assert response.status_code == 422
    assert message in response.content
    assert 'name="file"' in response.content.decode()
    assert not PatientImport.objects.exists()
    assert not Patient.objects.exists()


def test_oversized_file_is_refused_inline(clinic, owner, login):
    big = b"First Name,Last Name\n" + b"x" * (20 * 1024 * 1024)
    response = login(owner).post("/settings/import/", {"file": upload(big)})
    assert response.status_code == 422 and b"larger than 20 MB" in response.content
    assert not PatientImport.objects.exists()


def test_import_refuses_a_digest_other_than_the_checked_file(clinic, owner, login):
    client = login(owner)
    _, job = check(client)
    response = commit(client, job, sha="0" * 64)
    assert response.status_code == 422 and b"not the file that was checked" in response.content
    assert PatientImport.objects.get(pk=job.pk).status == "dry_run_done"
    assert not Patient.objects.exists()


def test_mapping_covers_unknown_headers(clinic, owner, login):
    csv = "Given,Family,Client Mobile #\nAna,Silva,415-555-0100\n"
    mapping = '{"Given": "first_name", "Family": "last_name", "Client Mobile #": "phone"}'
    client = login(owner)
    _, job = check(client, csv, mapping=mapping)
    assert job.mapping == {"Given": "first_name", "Family": "last_name", "Client Mobile #": "phone"}
    commit(client, job)
    assert Patient.objects.get(clinic=clinic).phone == "+14155550100"


def test_without_htmx_the_page_redirects_to_the_job(clinic, owner, login):
    client = login(owner)
    response = client.post("/settings/import/", {"file": upload()})
    job = PatientImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/settings/import/{job.pk}/"
    confirmed = client.post(f"/settings/import/{job.pk}/", {"digest": job.sha256})
    assert confirmed.status_code == 302
    assert b"Imported 2 patients." in client.get(confirmed["Location"]).content


def test_job_fails_cleanly_when_the_starter_lost_the_role(clinic, owner, make_member, login):
    front = make_member(clinic, Role.FRONT_DESK, email="front@test.example")
    actor = Actor.staff(user=front, clinic=clinic, role=Role.FRONT_DESK)
    job = importing.import_job_start(actor=actor, content=CSV.encode(), source_name="a.csv", mapping={})
    front.memberships.filter(clinic=clinic).update(role=Role.READ_ONLY)
    assert importing.import_job_run(clinic_id=clinic.pk, import_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.payload is None and job.failure
    assert not Patient.objects.exists()
    failed = AuditEvent.objects.get(action="patient.import_failed", object_id=str(job.pk))
    assert failed.outcome == "failure" and failed.clinic_id == clinic.pk
    page = login(owner).get(f"/settings/import/{job.pk}/")
    assert b"stopped" in page.content


def test_a_job_runs_once_per_claim(clinic, owner):
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    job = importing.import_job_start(actor=actor, content=CSV.encode(), source_name="a.csv", mapping={})
    assert importing.import_job_run(clinic_id=clinic.pk, import_id=job.pk) == "dry_run_done"
    assert importing.import_job_run(clinic_id=clinic.pk, import_id=job.pk) == "dry_run_done"
    assert PatientImport.objects.get(pk=job.pk).attempts == 1


def test_sweeper_expires_waiting_files_and_reruns_lost_jobs(clinic, owner):
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    waiting = importing.import_job_start(actor=actor, content=CSV.encode(), source_name="a.csv", mapping={})
    importing.import_job_run(clinic_id=clinic.pk, import_id=waiting.pk)
    lost = importing.import_job_start(actor=actor, content=CSV.encode(), source_name="b.csv", mapping={})
    hopeless = importing.import_job_start(actor=actor, content=CSV.encode(), source_name="c.csv", mapping={})
    long_ago = timezone.now() - timedelta(hours=importing.PAYLOAD_HOURS + 1)
    PatientImport.objects.filter(pk=waiting.pk).update(updated_at=long_ago)
    PatientImport.objects.filter(pk=lost.pk).update(status=ImportStatus.RUNNING, attempts=1, updated_at=long_ago)
    PatientImport.objects.filter(pk=hopeless.pk).update(status=ImportStatus.RUNNING, attempts=3, updated_at=long_ago)

    assert tasks.patient_import_sweep.call_local() == 1
    waiting.refresh_from_db(), lost.refresh_from_db(), hopeless.refresh_from_db()
    assert waiting.payload is None and waiting.status == "dry_run_done" and "expired" in waiting.failure
    assert lost.status == "dry_run_done" and lost.attempts == 2
    assert hopeless.status == "failed" and hopeless.payload is None


def test_command_line_import_still_works_with_batches(tmp_path, clinic, monkeypatch, capsys):
    monkeypatch.setattr(importing, "BATCH", 7)
    path = tmp_path / "export.csv"
    path.write_text("First Name,Last Name\n" + "".join(f"A{n},B{n}\n" for n in range(30)), encoding="utf-8")
    call_command("import_patients", str(path), "--clinic", clinic.slug, "--commit", stdout=io.StringIO())
    assert Patient.objects.filter(clinic=clinic).count() == 30
    assert "[##############################] 30/30" in capsys.readouterr().err
    assert AuditEvent.objects.filter(action="patient.imported").count() == 1
