"""Browser checks of Settings → Import on the system Chromium: upload, check, import; the
progress partial polling until the job is done; a too-large upload shown as a toast."""

import pytest
from playwright.sync_api import expect

from medspa.core.permissions import Role
from medspa.patients.choices import ImportStatus
from medspa.patients.models import Patient, PatientImport
from medspa.tests.test_browser import CHROMIUM, page, sign_in  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]

CSV = b"First Name,Last Name,Email\nAna,Silva,ana@example.com\nBen,Okafor,ben@example.com\nBad,Row,nope\n"


def test_upload_check_and_import(page, clinic, make_member):  # noqa: F811
    make_member(clinic, Role.OWNER, email="boss@test.example")
    sign_in(page, "boss@test.example")
    page.goto("/settings/import/")
    page.get_by_label("CSV file").set_input_files({"name": "export.csv", "mimeType": "text/csv", "buffer": CSV})
    page.get_by_role("button", name="Check file").click()
    expect(page.get_by_role("button", name="Import 2 patients")).to_be_visible()
    job = PatientImport.objects.get()
    assert page.url.endswith(f"/settings/import/{job.pk}/")
    expect(page.locator('[data-count="error"]')).to_have_text("1")
    expect(page.get_by_text("No imports yet.")).to_have_count(0)  # the stale list left with the form
    page.get_by_role("button", name="Import 2 patients").click()
    expect(page.get_by_text("Imported 2 patients.")).to_be_visible()
    assert Patient.objects.filter(clinic=clinic).count() == 2
    assert page.csp_violations == []


def test_progress_moves_until_the_job_is_done(page, clinic, make_member):  # noqa: F811
    boss = make_member(clinic, Role.OWNER, email="boss@test.example")
    job = PatientImport.objects.create(
        clinic=clinic,
        status=ImportStatus.RUNNING,
        sha256="0" * 64,
        source_name="big.csv",
        total_rows=1000,
        created_by=boss,
    )
    sign_in(page, "boss@test.example")
    page.goto(f"/settings/import/{job.pk}/")
    bar = page.locator("progress")
    expect(bar).to_have_attribute("value", "0")
    PatientImport.objects.filter(pk=job.pk).update(processed_rows=400, new_count=390, error_count=10)
    expect(bar).to_have_attribute("value", "400", timeout=5000)
    expect(page.get_by_text("400 of 1000 rows · 40%")).to_be_visible()
    PatientImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.DRY_RUN_DONE, processed_rows=1000, new_count=990, error_count=10
    )
    expect(page.get_by_text("nothing has been imported yet")).to_be_visible(timeout=5000)
    expect(page.locator("progress")).to_have_count(0)
    assert page.csp_violations == []


def test_a_file_above_the_upload_limit_shows_a_toast(page, clinic, make_member):  # noqa: F811
    make_member(clinic, Role.OWNER, email="boss@test.example")
    sign_in(page, "boss@test.example")
    page.goto("/settings/import/")
    big = b"First Name,Last Name\n" + b"x" * (22 * 1024 * 1024)
    page.get_by_label("CSV file").set_input_files({"name": "huge.csv", "mimeType": "text/csv", "buffer": big})
    page.get_by_role("button", name="Check file").click()
    toast = page.get_by_role("region", name="Notifications")
    expect(toast).to_contain_text("too large", timeout=15000)
    assert not PatientImport.objects.exists()
    assert page.csp_violations == []
