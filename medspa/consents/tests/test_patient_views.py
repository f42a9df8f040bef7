"""The patient's form link as a browser without script would use it (and as the page's
script calls it): the page, refusals of unknown, tampered and expired links, the plain
long-form submit, errors beside their questions, answers to hidden questions dropped,
autosave and resume, photo uploads (FILE-2), submitting twice, withdrawing, a replaced
version — and the headers that keep the link private."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from medspa.consents import services
from medspa.consents.choices import FormKind
from medspa.consents.models import FormDraft, FormLink, FormRevocation, FormSubmission
from medspa.consents.tests.fixtures import CONSENT_ANSWERS, drawn_signature
from medspa.core.models import AuditEvent, StoredFile
from medspa.core.tests.images import png

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
# The neurotoxin consent as its page posts it: ticked boxes send "yes", the signature typed.
CONSENT_POST = {
    "answers.risks": "yes",
    "answers.alternatives": "yes",
    "answers.results": "yes",
    "answers.questions": "yes",
    "answers.initials": "AL",
    "answers.printed_name": "Ava Lopez",
    "signatures.signature.method": "typed",
    "signatures.signature.name": "Ava Lopez",
}
PHOTO_FORM = {
    "sections": [
        {
            "key": "skin",
            "title": "Your skin",
            "fields": [
                {"key": "concern", "label": "Would you like to show us the area?", "type": "yes_no", "required": True},
                {
                    "key": "area_photo",
                    "label": "A photo of the area",
                    "type": "file",
                    "required": True,
                    "show_if": {"field": "concern", "op": "equals", "value": "yes"},
                },
                {"key": "age", "label": "Age", "type": "number"},
            ],
        }
    ]
}


def _send(world, form=None):
    return services.form_send(
        actor=world.as_owner,
        form_id=(form or world.consent).pk,
        patient_id=world.patient.pk,
        appointment_id=world.appointment_id,
        channel="copy",
    )


def photo_form(world):
    return services.form_create(
        actor=world.as_owner, name="Skin photo", kind=FormKind.INTAKE, definition=PHOTO_FORM, publish=True
    )


@pytest.fixture
def no_worker(settings):
    settings.FILE_DECODE_IN_WORKER = False


# The page --------------------------------------------------------------------------------


def test_the_form_page_shows_the_form_privately(forms_world):
    sent = _send(forms_world)
    response = Client().get(sent.path)
    assert response.status_code == 200
    html = response.content.decode()
    assert forms_world.clinic.name in html and "Hello Ava," in html and "Neurotoxin consent" in html
    assert "Lopez" not in html  # nothing about the patient beyond their first name
    assert 'id="consent-definition"' in html and "dist/consent_form.js" in html
    assert 'name="signatures.signature.name"' in html and 'name="answers.risks"' in html
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert FormLink.objects.get(pk=sent.link.pk).opened_at is not None
    assert AuditEvent.objects.filter(action="form_link.opened", object_id=str(sent.link.pk)).count() == 1


def test_unknown_and_tampered_links_are_a_friendly_404(forms_world):
    sent = _send(forms_world)
    for path in ("/f/" + "x" * 43 + "/", "/f/short/", sent.path[:-3] + "zz/"):
        response = Client().get(path)
        assert response.status_code == 404, path
        assert "We could not find this form" in response.content.decode()
        assert response["Cache-Control"] == "private, no-store"
    tampered = sent.path[:-3] + "zz/"
    assert Client().post(tampered, CONSENT_POST).status_code == 404
    assert not FormSubmission.objects.exists()


def test_expired_and_cancelled_links_are_410_asking_for_a_new_one(forms_world):
    expired = _send(forms_world)
    FormLink.objects.filter(pk=expired.link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    cancelled = _send(forms_world)
    services.link_cancel(actor=forms_world.as_owner, link_id=cancelled.link.pk)
    for sent in (expired, cancelled):
        response = Client().get(sent.path)
        assert response.status_code == 410
        assert "Ask the clinic to send you a new one" in response.content.decode()
        assert Client().post(sent.path, CONSENT_POST).status_code == 410
        assert Client().post(sent.path + "save/", {"answers.initials": "AL"}, **JSON).status_code == 410
    assert not FormSubmission.objects.exists() and not FormDraft.objects.exists()


# Submitting ------------------------------------------------------------------------------


def test_plain_post_completes_the_form_and_shows_the_confirmation(forms_world):
    sent = _send(forms_world)
    client = Client()
    response = client.post(sent.path, CONSENT_POST)
    assert response.status_code == 303 and response["Location"] == sent.path
    submission = FormSubmission.objects.get(clinic=forms_world.clinic)
    assert submission.answers == CONSENT_ANSWERS
    assert submission.signatures[0]["method"] == "typed" and submission.signatures[0]["name"] == "Ava Lopez"
    page = client.get(sent.path)
    html = page.content.decode()
    assert page.status_code == 200 and "Thank you, Ava" in html and "Neurotoxin consent" in html
    assert "withdraw this consent" in html and "Typed name" in html


def test_submitting_twice_keeps_the_first(forms_world):
    sent = _send(forms_world)
    assert Client().post(sent.path, CONSENT_POST).status_code == 303
    again = Client().post(sent.path, {**CONSENT_POST, "answers.initials": "ZZ"})
    assert again.status_code == 303 and again["Location"] == sent.path
    by_script = Client().post(sent.path, CONSENT_POST, **JSON)
    assert by_script.status_code == 200 and by_script.json() == {"redirect": sent.path}
    assert FormSubmission.objects.filter(clinic=forms_world.clinic).count() == 1
    assert FormSubmission.objects.get().answers["initials"] == "AL"


def test_the_script_submits_a_drawn_signature(forms_world):
    sent = _send(forms_world)
    data = {
        **CONSENT_POST,
        "signatures.signature.method": "drawn",
        "signatures.signature.image": drawn_signature(),
        "signatures.signature.name": "",
    }
    response = Client().post(sent.path, data, **JSON)
    assert response.status_code == 200 and response.json() == {"redirect": sent.path}
    mark = FormSubmission.objects.get().signatures[0]
    assert mark["method"] == "drawn" and len(mark["image_sha256"]) == 64


def test_errors_come_back_beside_their_questions(forms_world):
    sent = _send(forms_world)
    partial = {"answers.risks": "yes", "answers.initials": "AL", "signatures.signature.method": "typed"}
    by_script = Client().post(sent.path, partial, **JSON)
    assert by_script.status_code == 422
    fields = by_script.json()["fields"]
    assert fields["answers.alternatives"] == "This question needs an answer."
    assert "signatures.signature" in fields and "answers.risks" not in fields

    plain = Client().post(sent.path, partial)
    html = plain.content.decode()
    assert plain.status_code == 422
    assert 'data-error-for="answers.alternatives">This question needs an answer.' in html
    assert 'data-error-for="signatures.signature">Sign here' in html
    assert 'href="#field-alternatives"' in html  # the summary links to the question
    assert 'id="q-initials" name="answers.initials" value="AL"' in html  # what was typed is kept
    assert 'id="q-risks" name="answers.risks" value="yes" checked' in html
    assert not FormSubmission.objects.exists()


def test_answers_to_hidden_questions_are_dropped(forms_world):
    screening = forms_world.form("neurotoxin-screening")
    sent = _send(forms_world, screening)
    data = {
        "answers.pregnant": "no",
        "answers.infection": "no",
        "answers.neuromuscular": "no",
        "answers.neuromuscular_detail": "should vanish",
        "answers.aminoglycosides": "no",
        "answers.toxin_allergy": "no",
        "answers.event_soon": "no",
        "answers.event_detail": "a wedding",
        "answers.last_toxin": "Never",
    }
    assert Client().post(sent.path, data).status_code == 303
    answers = FormSubmission.objects.get().answers
    assert "neuromuscular_detail" not in answers and "event_detail" not in answers
    assert answers["event_soon"] == "no" and answers["last_toxin"] == "Never"


def test_checkbox_lists_post_as_repeated_values(forms_world):
    history = forms_world.form("medical-history")
    sent = _send(forms_world, history)
    response = Client().get(sent.path)
    assert 'name="answers.conditions" value="Diabetes"' in response.content.decode()
    data = {
        "answers.date_of_birth": "1990-04-01",
        "answers.conditions": ["Diabetes", "Skin cancer"],
        "answers.conditions_detail": "Type 2, controlled",
        "answers.pregnant": "no",
        "answers.smoker": "no",
        "answers.general_health": "8",
        "answers.takes_medications": "no",
        "answers.blood_thinners": "no",
        "answers.isotretinoin": "no",
        "answers.has_allergies": "no",
        "answers.prior_reaction": "no",
        "answers.accurate": "yes",
        "signatures.signature.name": "Ava Lopez",
        "answers.printed_name": "Ava Lopez",
    }
    posted = Client().post(sent.path, data, **JSON)
    assert posted.status_code == 200, posted.json()
    answers = FormSubmission.objects.get().answers
    assert answers["conditions"] == ["Diabetes", "Skin cancer"] and answers["general_health"] == 8


def test_a_replaced_version_is_refused_with_a_message(forms_world):
    sent = _send(forms_world)
    definition = forms_world.consent.versions.get(number=1).definition
    services.form_update(actor=forms_world.as_owner, form_id=forms_world.consent.pk, definition=definition)
    services.form_publish(actor=forms_world.as_owner, form_id=forms_world.consent.pk, material=True)
    plain = Client().post(sent.path, CONSENT_POST)
    assert plain.status_code == 409 and "was updated since this was sent" in plain.content.decode()
    by_script = Client().post(sent.path, CONSENT_POST, **JSON)
    assert by_script.status_code == 409 and by_script.json()["code"] == "version_retired"
    assert not FormSubmission.objects.exists()


def test_csrf_is_enforced_on_the_public_form(forms_world):
    sent = _send(forms_world)
    client = Client(enforce_csrf_checks=True)
    assert client.post(sent.path, CONSENT_POST).status_code == 403
    page = client.get(sent.path)
    token = page.cookies["medspa_csrftoken"].value
    assert client.post(sent.path, CONSENT_POST, HTTP_X_CSRFTOKEN=token, **JSON).status_code == 200
    assert FormSubmission.objects.count() == 1


# Autosave and resume ---------------------------------------------------------------------


def test_autosave_keeps_answers_and_step_and_the_page_resumes(forms_world):
    sent = _send(forms_world)
    client = Client()
    saved = client.post(sent.path + "save/", {"answers.risks": "yes", "answers.initials": "AL", "step": "1"}, **JSON)
    assert saved.status_code == 200 and saved.json()["fields"] == {}
    draft = FormDraft.objects.get(link=sent.link)
    assert draft.answers == {"risks": True, "initials": "AL"} and draft.step == 1
    html = Client().get(sent.path).content.decode()
    assert 'data-step="1"' in html
    assert 'id="q-initials" name="answers.initials" value="AL"' in html
    assert 'id="q-risks" name="answers.risks" value="yes" checked' in html
    assert not FormSubmission.objects.exists()


def test_autosave_keeps_the_valid_answers_and_names_the_others(forms_world):
    form = photo_form(forms_world)
    sent = _send(forms_world, form)
    saved = Client().post(sent.path + "save/", {"answers.concern": "no", "answers.age": "forty"}, **JSON)
    assert saved.status_code == 200
    assert saved.json()["fields"] == {"answers.age": "Enter a number."}
    assert FormDraft.objects.get(link=sent.link).answers == {"concern": "no"}


def test_autosave_after_submitting_is_refused(forms_world):
    sent = _send(forms_world)
    Client().post(sent.path, CONSENT_POST)
    refused = Client().post(sent.path + "save/", {"answers.initials": "ZZ"}, **JSON)
    assert refused.status_code == 409 and refused.json()["code"] == "already_submitted"


# Uploads (FILE-2) -----------------------------------------------------------------------


def test_upload_refuses_a_file_that_is_not_an_image(forms_world, no_worker):
    sent = _send(forms_world, photo_form(forms_world))
    fake = SimpleUploadedFile("notes.png", b"%PDF-1.4 not an image at all", content_type="image/png")
    response = Client().post(sent.path + "upload/", {"field": "area_photo", "file": fake}, **JSON)
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["answers.area_photo"]
    assert not StoredFile.objects.exists()
    unknown = Client().post(sent.path + "upload/", {"field": "age", "file": SimpleUploadedFile("a.png", png())}, **JSON)
    assert unknown.status_code == 422 and not StoredFile.objects.exists()


def test_uploaded_photo_is_the_answer_of_its_question(forms_world, no_worker):
    sent = _send(forms_world, photo_form(forms_world))
    client = Client()
    uploaded = client.post(
        sent.path + "upload/", {"field": "area_photo", "file": SimpleUploadedFile("arm.png", png())}, **JSON
    )
    assert uploaded.status_code == 200
    file_id = uploaded.json()["file_id"]
    done = client.post(sent.path, {"answers.concern": "yes", "answers.area_photo": file_id}, **JSON)
    assert done.status_code == 200
    assert FormSubmission.objects.get().answers["area_photo"] == file_id


def test_plain_post_uploads_the_photo_with_the_form(forms_world, no_worker):
    sent = _send(forms_world, photo_form(forms_world))
    data = {"answers.concern": "yes", "upload.area_photo": SimpleUploadedFile("arm.png", png())}
    assert Client().post(sent.path, data).status_code == 303
    answer = FormSubmission.objects.get().answers["area_photo"]
    assert StoredFile.objects.filter(pk=answer, kind="form_upload").exists()


def test_plain_post_with_a_bad_file_shows_the_error_and_submits_nothing(forms_world, no_worker):
    sent = _send(forms_world, photo_form(forms_world))
    bad = SimpleUploadedFile("arm.png", b"GIF89a broken", content_type="image/png")
    response = Client().post(sent.path, {"answers.concern": "yes", "upload.area_photo": bad})
    assert response.status_code == 422
    assert 'data-error-for="answers.area_photo">' in response.content.decode()
    assert not FormSubmission.objects.exists() and not StoredFile.objects.exists()


# Withdrawing -----------------------------------------------------------------------------


def test_withdraw_asks_first_then_records_the_revocation(forms_world):
    sent = _send(forms_world)
    client = Client()
    assert client.get(sent.path + "withdraw/")["Location"] == sent.path  # nothing to withdraw yet
    client.post(sent.path, CONSENT_POST)
    confirm = client.get(sent.path + "withdraw/")
    assert confirm.status_code == 200 and "Yes, withdraw it" in confirm.content.decode()
    assert not FormRevocation.objects.exists()
    done = client.post(sent.path + "withdraw/", {"reason": "Changed my mind"})
    assert done.status_code == 303 and done["Location"] == sent.path + "?withdrawn=1"
    revocation = FormRevocation.objects.get()
    assert revocation.by_patient and revocation.reason == "Changed my mind"
    page = client.get(done["Location"]).content.decode()
    assert "Your consent is withdrawn" in page and "withdraw this consent" not in page


def test_withdraw_before_submitting_is_refused(forms_world):
    sent = _send(forms_world)
    response = Client().post(sent.path + "withdraw/", {"reason": "x"})
    assert response.status_code == 409
    assert not FormRevocation.objects.exists()


def test_a_link_to_a_replaced_version_says_so_when_opened(forms_world, client):
    from medspa.consents import selectors, services

    w = forms_world
    sent = services.form_send(actor=w.as_owner, form_id=w.consent.pk, patient_id=w.patient.pk)
    version = selectors.current_version(w.consent)
    services.form_update(actor=w.as_owner, form_id=w.consent.pk, definition=version.definition)
    services.form_publish(actor=w.as_owner, form_id=w.consent.pk, material=True)
    page = client.get(f"/f/{sent.token}/")
    assert page.status_code == 409 and "This form changed" in page.content.decode()
