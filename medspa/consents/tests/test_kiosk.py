"""The clinic's tablet: staff start it for a patient (today's missing forms ticked), the
session is locked to the queued forms (staff pages and the API refused), the queue advances
form by form to a locked thank-you screen, and only the signed-in staff member's password
unlocks it (a wrong one is audited and changes nothing). Roles without consents.send are
refused; another clinic's patient looks missing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from medspa.consents.choices import SubmissionVia
from medspa.consents.models import FormLink, FormSubmission
from medspa.consents.tests.test_patient_views import CONSENT_POST, photo_form
from medspa.core.choices import AuditOutcome
from medspa.core.middleware import KIOSK_SESSION_KEY
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.core.tests.images import png
from medspa.scheduling.models import Appointment
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

POST_CARE = {
    "answers.instructions": "yes",
    "answers.printed_name": "Ava Lopez",
    "signatures.signature.method": "typed",
    "signatures.signature.name": "Ava Lopez",
}


@pytest.fixture
def today(forms_world):
    """The world's appointment moved to (just before) now: today's visit."""
    now = timezone.now() - timedelta(minutes=1)
    Appointment.objects.filter(pk=forms_world.appointment_id).update(start_at=now, end_at=now + timedelta(hours=1))
    return forms_world


@pytest.fixture
def desk(today, login):
    return login(today.front_desk)


def _start(client, world, *forms):
    return client.post(
        "/kiosk/start/",
        {
            "patient_id": str(world.patient.pk),
            "appointment_id": str(world.appointment_id),
            "form_ids": [str(f.pk) for f in forms],
        },
    )


def _link_id(client) -> str:
    html = client.get("/kiosk/form/").content.decode()
    return html.split('name="kiosk_link" value="', 1)[1].split('"', 1)[0]


def test_start_page_ticks_the_forms_todays_visit_misses(today, desk):
    response = desk.get(f"/kiosk/?patient_id={today.patient.pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="form_ids" value="{today.consent.pk}" checked' in html
    assert f'name="form_ids" value="{today.form("post-care").pk}">' in html  # offered, not ticked
    assert f'<option value="{today.appointment_id}" selected' in html


def test_search_finds_the_patient_without_a_name_in_the_url(today, desk):
    response = desk.post("/kiosk/search/", {"q": "Ava"})
    assert response.status_code == 200
    assert f"/kiosk/?patient_id={today.patient.pk}" in response.content.decode()


def test_other_clinic_patient_looks_missing(today, desk, other_forms_world):
    assert desk.get(f"/kiosk/?patient_id={other_forms_world.patient.pk}").status_code == 404
    assert desk.get("/kiosk/?patient_id=not-an-id").status_code == 404
    response = desk.post(
        "/kiosk/start/", {"patient_id": str(other_forms_world.patient.pk), "form_ids": [str(today.consent.pk)]}
    )
    assert response.status_code == 422 and "Find the patient first" in response.content.decode()
    assert not FormLink.objects.filter(via=SubmissionVia.KIOSK).exists()
    assert KIOSK_SESSION_KEY not in desk.session


def test_start_without_forms_is_refused_inline(today, desk):
    response = _start(desk, today)
    assert response.status_code == 422 and "Choose the forms to fill in." in response.content.decode()
    assert KIOSK_SESSION_KEY not in desk.session


def test_lock_refuses_every_staff_page_and_call(today, desk):
    assert _start(desk, today, today.consent)["Location"] == "/kiosk/form/"
    assert AuditEvent.objects.filter(action="form.kiosk_started", patient_id=str(today.patient.pk)).exists()
    for path in ("/patients/", f"/patients/{today.patient.pk}/", "/settings/", "/"):
        response = desk.get(path)
        assert response.status_code == 302 and response["Location"] == "/kiosk/", path
    assert desk.get("/kiosk/")["Location"] == "/kiosk/form/"
    api = desk.get("/api/patients", HTTP_ACCEPT="application/json")
    assert api.status_code == 403 and api.json()["code"] == "kiosk_locked"
    htmx = desk.get("/patients/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"] == "/kiosk/"
    posted = desk.post("/patients/new/", {"first_name": "Mallory"})
    assert posted.status_code == 303 and posted["Location"] == "/kiosk/"
    assert desk.get("/kiosk/form/").status_code == 200


def test_queue_advances_to_a_locked_thank_you(today, desk):
    _start(desk, today, today.consent, today.form("post-care"))
    first = desk.get("/kiosk/form/")
    html = first.content.decode()
    assert first.status_code == 200 and "Neurotoxin consent" in html and "Form 1 of 2" in html
    assert "/f/" not in html and "Lopez" not in html  # no token in any URL, only the first name
    assert first["Cache-Control"] == "private, no-store"
    sent = desk.post("/kiosk/form/", {**CONSENT_POST, "kiosk_link": _link_id(desk)})
    assert sent.status_code == 303 and sent["Location"] == "/kiosk/form/"
    submission = FormSubmission.objects.get(form=today.consent)
    assert submission.via == SubmissionVia.KIOSK and str(submission.appointment_id) == str(today.appointment_id)

    second = desk.get("/kiosk/form/").content.decode()
    assert "Post-care acknowledgement" in second and "Form 2 of 2" in second
    by_script = desk.post("/kiosk/form/", {**POST_CARE, "kiosk_link": _link_id(desk)}, HTTP_ACCEPT="application/json")
    assert by_script.json() == {"redirect": "/kiosk/form/"}

    done = desk.get("/kiosk/form/")
    assert done.status_code == 200 and "please hand the tablet back" in done.content.decode()
    desk.get("/kiosk/form/")
    assert AuditEvent.objects.filter(action="kiosk.finished").count() == 1
    assert desk.get("/patients/")["Location"] == "/kiosk/"  # still locked


def test_a_second_submit_of_the_same_form_changes_nothing(today, desk):
    _start(desk, today, today.consent, today.form("post-care"))
    link_id = _link_id(desk)
    desk.post("/kiosk/form/", {**CONSENT_POST, "kiosk_link": link_id})
    again = desk.post("/kiosk/form/", {**CONSENT_POST, "answers.initials": "ZZ", "kiosk_link": link_id})
    assert again.status_code == 303 and again["Location"] == "/kiosk/form/"
    assert FormSubmission.objects.count() == 1
    stale = desk.post(
        "/kiosk/form/save/", {"answers.initials": "ZZ", "kiosk_link": link_id}, HTTP_ACCEPT="application/json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "kiosk_moved"


def test_autosave_on_the_tablet(today, desk):
    _start(desk, today, today.consent)
    saved = desk.post(
        "/kiosk/form/save/",
        {"answers.initials": "AL", "step": "0", "kiosk_link": _link_id(desk)},
        HTTP_ACCEPT="application/json",
    )
    assert saved.status_code == 200
    assert 'name="answers.initials" value="AL"' in desk.get("/kiosk/form/").content.decode()


def test_photos_upload_on_the_tablet(today, desk, settings):
    settings.FILE_DECODE_IN_WORKER = False
    _start(desk, today, photo_form(today))
    link_id = _link_id(desk)
    photo = {"field": "area_photo", "file": SimpleUploadedFile("arm.png", png())}
    uploaded = desk.post("/kiosk/form/upload/", {**photo, "kiosk_link": link_id}, HTTP_ACCEPT="application/json")
    assert uploaded.status_code == 200
    done = desk.post(
        "/kiosk/form/",
        {"answers.concern": "yes", "answers.area_photo": uploaded.json()["file_id"], "kiosk_link": link_id},
        HTTP_ACCEPT="application/json",
    )
    assert done.json() == {"redirect": "/kiosk/form/"}
    assert FormSubmission.objects.get().answers["area_photo"] == uploaded.json()["file_id"]


def test_wrong_password_keeps_it_locked_and_is_audited(today, desk):
    _start(desk, today, today.consent)
    response = desk.post("/kiosk/unlock/", {"password": "not-the-password"})
    assert response.status_code == 422 and "The tablet stays locked" in response.content.decode()
    failed = AuditEvent.objects.get(action="kiosk.unlock_failed")
    assert failed.outcome == AuditOutcome.DENIED and failed.patient_id == str(today.patient.pk)
    assert desk.get("/patients/")["Location"] == "/kiosk/"
    assert not AuditEvent.objects.filter(action="kiosk.unlocked").exists()


def test_staff_password_unlocks_and_returns_to_the_kiosk_page(today, desk):
    _start(desk, today, today.consent)
    response = desk.post("/kiosk/unlock/", {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/kiosk/"
    assert KIOSK_SESSION_KEY not in desk.session
    assert desk.get("/patients/").status_code == 200
    assert desk.get("/kiosk/").status_code == 200
    unlocked = AuditEvent.objects.get(action="kiosk.unlocked")
    assert unlocked.changes["pending"] == 1 and unlocked.changes["completed"] == 0


def test_idle_tablet_page_and_unlock_page_when_not_locked(today, desk):
    assert "Nothing to fill in here" in desk.get("/kiosk/form/").content.decode()
    assert "This device is not locked" in desk.get("/kiosk/unlock/").content.decode()
    assert desk.post("/kiosk/unlock/", {"password": PASSWORD})["Location"] == "/kiosk/"


@pytest.mark.parametrize("role", [Role.BILLING, Role.MEDICAL_DIRECTOR, Role.READ_ONLY])
def test_roles_without_send_are_refused(today, login, make_member, role):
    client = login(make_member(today.clinic, role, email=f"{role}@kiosk.example"))
    assert client.get(f"/kiosk/?patient_id={today.patient.pk}").status_code == 403
    assert _start(client, today, today.consent).status_code == 403
    assert client.get("/kiosk/form/").status_code == 403
    assert not FormLink.objects.filter(via=SubmissionVia.KIOSK).exists()
    assert KIOSK_SESSION_KEY not in client.session
