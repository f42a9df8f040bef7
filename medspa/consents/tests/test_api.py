"""Forms and consents through the JSON API: forms, versions and requirements, sending and
submitting (the patient's link without staff credentials, or staff), a patient's forms, an
appointment's standing, a submission and its revocation; bad input, tenancy and roles."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from medspa.consents import selectors, services
from medspa.consents.models import Form, FormLink, FormRequirement, FormRevocation, FormSubmission, FormVersion
from medspa.consents.tests.fixtures import CONSENT_ANSWERS, HISTORY_ANSWERS, TYPED, drawn_signature
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role

pytestmark = pytest.mark.django_db

DEFINITION = {
    "sections": [
        {
            "key": "about",
            "title": "About you",
            "fields": [
                {"key": "smoker", "label": "Do you smoke?", "type": "yes_no", "required": True},
                {
                    "key": "per_day",
                    "label": "How many a day?",
                    "type": "number",
                    "required": True,
                    "show_if": {"field": "smoker", "op": "equals", "value": "yes"},
                },
            ],
        },
        {
            "key": "sign",
            "title": "Signature",
            "fields": [{"key": "signature", "label": "Signature", "type": "signature", "required": True}],
        },
    ]
}
SCREENING_ANSWERS = {
    "pregnant": "no",
    "pregnant_detail": "should vanish",
    "infection": "no",
    "neuromuscular": "no",
    "aminoglycosides": "no",
    "toxin_allergy": "no",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def as_user(api_token):
    """A JSON client with a bearer token for `user` in `clinic`."""

    def make(user, clinic) -> Client:
        return Client(headers={"Authorization": f"Bearer {api_token(user, clinic)}"})

    return make


@pytest.fixture
def owner_api(as_user, forms_world):
    return as_user(forms_world.owner, forms_world.clinic)


def send(client, method: str, url: str, body=None):
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(url, data=data, content_type="application/json")


def anonymous_submit(form_id, body):
    return send(Client(), "post", f"/api/forms/{form_id}/submit", body)


def copy_link(world, form=None, **extra) -> tuple[str, str]:
    """(link id, token) of a link made for staff to pass on."""
    sent = services.form_send(
        actor=world.as_owner,
        form_id=(form or world.consent).pk,
        patient_id=world.patient.pk,
        appointment_id=world.appointment_id,
        channel="copy",
        **extra,
    )
    return str(sent.link.pk), sent.token


def fill(template: str, values: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)


def submitted(world) -> int:
    return FormSubmission.objects.filter(clinic=world.clinic).count()


# --- forms, versions, requirements --------------------------------------------------------


def test_form_list_has_the_library(owner_api, forms_world):
    response = owner_api.get("/api/forms")
    assert response.status_code == 200
    forms = {f["key"]: f for f in response.json()}
    assert len(forms) == 11
    consent = forms["neurotoxin-consent"]
    assert consent["current_version"] == 1 and consent["draft_pending"] is False
    assert consent["kind"] == "consent" and consent["valid_days"] == 365 and consent["active"] is True


def test_create_a_draft_then_publish_it(owner_api, forms_world):
    created = send(owner_api, "post", "/api/forms", {"name": "Smoking", "kind": "intake", "definition": DEFINITION})
    assert created.status_code == 201, created.content
    form = created.json()
    assert form["current_version"] == 0 and form["draft_pending"] and form["definition"] is None
    assert form["draft"]["sections"][0]["fields"][1]["show_if"]["field"] == "smoker"
    published = send(
        owner_api, "post", f"/api/forms/{form['id']}/publish", {"material": True, "note": "First", "base_version": 0}
    )
    assert published.status_code == 201, published.content
    assert published.json()["number"] == 1 and published.json()["material"] is True
    detail = owner_api.get(f"/api/forms/{form['id']}").json()
    assert detail["current_version"] == 1 and detail["draft"] is None
    assert detail["definition"]["sections"][0]["key"] == "about"
    assert [v["number"] for v in detail["versions"]] == [1]
    assert AuditEvent.objects.filter(action="form.published", object_id=form["id"]).exists()


def test_create_published_at_once(owner_api, forms_world):
    body = {"name": "Now", "kind": "consent", "definition": DEFINITION, "publish": True, "valid_days": 30}
    form = send(owner_api, "post", "/api/forms", body).json()
    assert form["current_version"] == 1 and form["valid_days"] == 30 and not form["draft_pending"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"name": "Bad", "kind": "intake", "definition": {"sections": [{"key": "Bad Key"}]}},
            "definition.sections.0.key",
        ),
        ({"name": "Bad", "kind": "intake", "definition": {"sections": []}}, "definition.sections"),
        ({"name": " ", "kind": "intake", "definition": DEFINITION}, "name"),
        ({"name": "Bad", "kind": "essay", "definition": DEFINITION}, "kind"),
        ({"name": "Bad", "kind": "intake", "definition": DEFINITION, "valid_days": 4000}, "valid_days"),
        ({"name": "Bad", "kind": "intake"}, "definition"),
        ({"name": "x" * 121, "kind": "intake", "definition": DEFINITION}, "name"),
        ({"name": "Bad", "kind": "intake", "definition": DEFINITION, "clinic_id": "x"}, "clinic_id"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(owner_api, forms_world, body, field):
    before = Form.objects.count()
    response = send(owner_api, "post", "/api/forms", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"], response.json()
    assert Form.objects.count() == before


def test_update_edits_the_draft_and_settings(owner_api, forms_world):
    w = forms_world
    url = f"/api/forms/{w.consent.pk}"
    response = send(owner_api, "put", url, {"definition": DEFINITION, "name": "Toxin consent", "valid_days": None})
    assert response.status_code == 200, response.content
    form = response.json()
    assert form["draft_pending"] and form["name"] == "Toxin consent" and form["valid_days"] is None
    assert form["definition"]["sections"][0]["key"] != "about"  # the published version is untouched
    assert send(owner_api, "put", url, {"prefill": False}).json()["valid_days"] is None  # not given: kept
    retired = send(owner_api, "put", url, {"active": False}).json()
    assert retired["active"] is False and retired["prefill"] is False
    bad = send(owner_api, "put", url, {"definition": {"sections": [{"key": "a", "fields": []}]}})
    assert bad.status_code == 422 and "definition.sections.0.fields" in bad.json()["fields"]


def test_publish_conflicts(owner_api, forms_world):
    w = forms_world
    url = f"/api/forms/{w.consent.pk}/publish"
    nothing = send(owner_api, "post", url, {"material": False})
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_publish"
    send(owner_api, "put", f"/api/forms/{w.consent.pk}", {"definition": DEFINITION})
    stale = send(owner_api, "post", url, {"material": False, "base_version": 0})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert FormVersion.objects.filter(form=w.consent).count() == 1
    missing = send(owner_api, "post", url, {"note": "No material flag"})
    assert missing.status_code == 422 and "material" in missing.json()["fields"]


def test_requirements_are_replaced(owner_api, forms_world, other_forms_world):
    w = forms_world
    url = f"/api/forms/{w.consent.pk}/requirements"
    rules = {"rules": [{"service_id": str(w.service_id)}, {"provider_id": str(w.provider.pk)}, {}]}
    response = send(owner_api, "put", url, rules)
    assert response.status_code == 200, response.content
    found = response.json()
    assert len(found) == 3 and {r["provider_name"] for r in found} >= {w.provider.full_name}
    theirs = send(owner_api, "put", url, {"rules": [{"service_id": str(other_forms_world.service_id)}]})
    assert theirs.status_code == 422 and "rules.0.service_id" in theirs.json()["fields"]
    assert FormRequirement.objects.filter(form=w.consent).count() == 3
    assert send(owner_api, "put", url, {"rules": [{"service": "x"}]}).status_code == 422


def test_form_submissions_are_listed_and_the_listing_audited(owner_api, forms_world):
    w = forms_world
    _, token = copy_link(w)
    services.form_submit_link(token=token, answers=CONSENT_ANSWERS, signatures=TYPED)
    response = owner_api.get(f"/api/forms/{w.consent.pk}/submissions")
    assert response.status_code == 200
    [row] = response.json()
    assert row["status"] == "valid" and row["patient_name"] == "Ava Lopez" and row["version"] == 1
    assert AuditEvent.objects.filter(action="form.submissions_listed", object_id=str(w.consent.pk)).exists()
    assert owner_api.get(f"/api/forms/{w.consent.pk}/submissions?limit=0").status_code == 422


# --- the patient's link --------------------------------------------------------------------


def test_send_a_copy_link_then_submit_it_anonymously(owner_api, forms_world):
    w = forms_world
    sent = send(
        owner_api,
        "post",
        f"/api/forms/{w.consent.pk}/send",
        {"patient_id": str(w.patient.pk), "appointment_id": str(w.appointment_id), "channel": "copy", "days": 3},
    )
    assert sent.status_code == 201, sent.content
    link = sent.json()
    assert link["url"].startswith("http://testserver/f/")
    token = link["url"].rsplit("/f/", 1)[1].strip("/")
    body = {"token": token, "answers": CONSENT_ANSWERS, "signatures": TYPED}
    first = anonymous_submit(w.consent.pk, body)
    assert first.status_code == 201, first.content
    again = anonymous_submit(w.consent.pk, {"token": token, "answers": {}, "signatures": {}})
    assert again.status_code == 200 and again.json() == first.json()
    assert set(first.json()) == {"id", "version", "submitted_at", "content_hash"}
    assert first.json()["version"] == 1 and len(first.json()["content_hash"]) == 64
    submission = FormSubmission.objects.get(pk=first.json()["id"])
    assert submission.via == "link" and str(submission.appointment_id) == str(w.appointment_id)
    assert FormLink.objects.get(pk=link["link_id"]).submission_id == submission.pk
    assert submitted(w) == 1


def test_anonymous_answers_carry_no_phi(forms_world):
    """AUTHZ-5: a link's caller gets ids, times and a hash, never the patient's details."""
    w = forms_world
    _, token = copy_link(w)
    response = anonymous_submit(
        w.consent.pk,
        {
            "token": token,
            "answers": CONSENT_ANSWERS,
            "signatures": {"signature": {"method": "drawn", "image": drawn_signature()}},
        },
    )
    assert response.status_code == 201
    text = response.content.decode()
    for secret in ("Ava", "Lopez", w.patient.email, str(w.patient.pk), str(w.appointment_id), "AL"):
        assert secret not in text


def test_link_with_missing_answers_or_signature_writes_nothing(forms_world):
    w = forms_world
    link_id, token = copy_link(w)
    response = anonymous_submit(w.consent.pk, {"token": token, "answers": {"risks": True}, "signatures": {}})
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert "answers.alternatives" in fields and "signatures.signature" in fields
    unsigned = anonymous_submit(
        w.consent.pk, {"token": token, "answers": CONSENT_ANSWERS, "signatures": {"signature": {"method": "typed"}}}
    )
    assert unsigned.status_code == 422 and "signatures.signature" in unsigned.json()["fields"]
    assert submitted(w) == 0 and FormLink.objects.get(pk=link_id).submission_id is None
    assert "Ava" not in response.content.decode()


def test_link_drops_answers_to_hidden_questions(forms_world):
    w = forms_world
    screening = w.form("neurotoxin-screening")
    _, token = copy_link(w, screening)
    response = anonymous_submit(screening.pk, {"token": token, "answers": SCREENING_ANSWERS, "signatures": TYPED})
    assert response.status_code == 201, response.content
    submission = FormSubmission.objects.get(pk=response.json()["id"])
    assert "pregnant_detail" not in submission.answers and submission.answers["pregnant"] == "no"


def test_tampered_expired_and_retired_links(owner_api, forms_world):
    w = forms_world
    link_id, token = copy_link(w)
    body = {"answers": CONSENT_ANSWERS, "signatures": TYPED}
    tampered = anonymous_submit(w.consent.pk, {**body, "token": token[:-2] + ("xx" if token[-2:] != "xx" else "yy")})
    assert tampered.status_code == 404
    assert anonymous_submit(w.consent.pk, {**body, "token": "short"}).status_code == 404
    with time_machine.travel(FormLink.objects.get(pk=link_id).expires_at + timedelta(seconds=1)):
        expired = anonymous_submit(w.consent.pk, {**body, "token": token})
    assert expired.status_code == 410 and expired.json()["code"] == "link_expired"
    send(owner_api, "put", f"/api/forms/{w.consent.pk}", {"definition": DEFINITION})
    send(owner_api, "post", f"/api/forms/{w.consent.pk}/publish", {"material": True})
    retired = anonymous_submit(w.consent.pk, {**body, "token": token})
    assert retired.status_code == 409 and retired.json()["code"] == "version_retired"
    assert submitted(w) == 0


def test_a_link_cannot_submit_another_form(forms_world, other_forms_world):
    """AUTHZ-5: the token opens its own form only; any other form id (ours or another
    clinic's) is a 404 and nothing is written."""
    w = forms_world
    _, token = copy_link(w)
    body = {"token": token, "answers": CONSENT_ANSWERS, "signatures": TYPED}
    for form_id in (w.form("filler-consent").pk, other_forms_world.consent.pk):
        response = anonymous_submit(form_id, body)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert FormSubmission.objects.count() == 0
    assert anonymous_submit(w.consent.pk, body).status_code == 201


def test_a_link_names_the_patient_itself(forms_world, other_forms_world):
    w = forms_world
    _, token = copy_link(w)
    body = {"token": token, "answers": CONSENT_ANSWERS, "signatures": TYPED}
    response = anonymous_submit(w.consent.pk, {**body, "patient_id": str(other_forms_world.patient.pk)})
    assert response.status_code == 422 and "patient_id" in response.json()["fields"]
    assert anonymous_submit(w.consent.pk, {**body, "clinic_id": str(other_forms_world.clinic.pk)}).status_code == 422
    assert FormSubmission.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"answers": CONSENT_ANSWERS, "signatures": TYPED},
        {"token": "", "answers": CONSENT_ANSWERS, "signatures": TYPED},
        {"token": None, "patient_id": "00000000-0000-0000-0000-000000000001"},
    ],
)
def test_anonymous_submit_without_a_token_is_401(forms_world, body):
    response = anonymous_submit(forms_world.consent.pk, body)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert Client().post(f"/api/forms/{forms_world.consent.pk}/submit", data={"token": "x" * 43}).status_code == 401
    assert submitted(forms_world) == 0


def test_link_submissions_are_rate_limited_per_address(forms_world):
    w = forms_world
    client = Client(REMOTE_ADDR="198.51.100.7")
    url = f"/api/forms/{w.consent.pk}/submit"
    codes = [send(client, "post", url, {"token": "x" * 43}).status_code for _ in range(31)]
    assert codes[:30] == [404] * 30 and codes[30] == 429


# --- staff submissions and sending ----------------------------------------------------------


def test_staff_enter_a_completed_form(as_user, forms_world):
    w = forms_world
    front = as_user(w.front_desk, w.clinic)
    body = {"patient_id": str(w.patient.pk), "answers": CONSENT_ANSWERS, "signatures": TYPED, "version": 1}
    response = send(front, "post", f"/api/forms/{w.consent.pk}/submit", body)
    assert response.status_code == 201, response.content
    submission = FormSubmission.objects.get(pk=response.json()["id"])
    assert submission.via == "staff" and submission.entered_by == w.front_desk
    retired = send(front, "post", f"/api/forms/{w.consent.pk}/submit", {**body, "version": 7})
    assert retired.status_code == 409 and retired.json()["code"] == "version_retired"
    no_patient = send(front, "post", f"/api/forms/{w.consent.pk}/submit", {"answers": CONSENT_ANSWERS})
    assert no_patient.status_code == 422 and "patient_id" in no_patient.json()["fields"]
    unsigned = send(front, "post", f"/api/forms/{w.consent.pk}/submit", {**body, "signatures": {}})
    assert unsigned.status_code == 422 and "signatures.signature" in unsigned.json()["fields"]
    assert submitted(w) == 1


def test_staff_cannot_submit_a_retired_form(owner_api, forms_world):
    w = forms_world
    send(owner_api, "put", f"/api/forms/{w.consent.pk}", {"active": False})
    body = {"patient_id": str(w.patient.pk), "answers": CONSENT_ANSWERS, "signatures": TYPED}
    response = send(owner_api, "post", f"/api/forms/{w.consent.pk}/submit", body)
    assert response.status_code == 409 and response.json()["code"] == "form_retired"


def test_send_by_email_hides_the_link(owner_api, forms_world):
    w = forms_world
    url = f"/api/forms/{w.consent.pk}/send"
    response = send(owner_api, "post", url, {"patient_id": str(w.patient.pk)})
    assert response.status_code == 201, response.content
    assert response.json()["url"] is None and response.json()["channel"] == "email"
    for bad, field in (({"days": 0}, "days"), ({"days": 61}, "days"), ({"channel": "sms"}, "channel")):
        refused = send(owner_api, "post", url, {"patient_id": str(w.patient.pk), **bad})
        assert refused.status_code == 422 and field in refused.json()["fields"]
    assert FormLink.objects.filter(clinic=w.clinic).count() == 1


# --- a patient's forms, an appointment's standing, a submission -------------------------------


def test_patient_forms_show_status_and_open_links(as_user, forms_world):
    w = forms_world
    _, token = copy_link(w)
    consent, _ = services.form_submit_link(token=token, answers=CONSENT_ANSWERS, signatures=TYPED)
    _, history_token = copy_link(w, w.form("medical-history"))
    history, _ = services.form_submit_link(token=history_token, answers=HISTORY_ANSWERS, signatures=TYPED)
    screening_link, _ = copy_link(w, w.form("neurotoxin-screening"))
    url = f"/api/patients/{w.patient.pk}/forms"

    def statuses():
        """[(form, status)] newest first, and the open links' ids (a fresh token: time may have moved)."""
        body = as_user(w.owner, w.clinic).get(url).json()
        return [(row["form_name"], row["status"]) for row in body["submissions"]], [
            link["id"] for link in body["links"]
        ]

    found, links = statuses()
    assert found == [("Medical history", "valid"), ("Neurotoxin consent", "valid")] and links == [screening_link]
    assert AuditEvent.objects.filter(action="form_submission.listed", patient_id=str(w.patient.pk)).exists()
    services.submission_revoke(actor=w.as_owner, submission_id=consent.pk, reason="Changed mind")
    services.form_update(actor=w.as_owner, form_id=history.form_id, definition=DEFINITION)
    services.form_publish(actor=w.as_owner, form_id=history.form_id, material=True)
    found, _ = statuses()
    assert found == [("Medical history", "outdated"), ("Neurotoxin consent", "revoked")]
    _, token = copy_link(w)
    renewed, _ = services.form_submit_link(token=token, answers=CONSENT_ANSWERS, signatures=TYPED)
    assert statuses()[0][0] == ("Neurotoxin consent", "valid")
    with time_machine.travel(renewed.expires_at):
        found, links = statuses()
    assert found[0] == ("Neurotoxin consent", "expired") and links == []


def test_appointment_standing(owner_api, forms_world):
    w = forms_world
    url = f"/api/appointments/{w.appointment_id}/forms"
    before = owner_api.get(url).json()
    assert before["ok"] is False and before["summary"] == "missing"
    assert [(f["name"], f["status"], f["submission_id"]) for f in before["forms"]] == [
        ("Neurotoxin consent", "missing", None)
    ]
    _, token = copy_link(w)
    submission, _ = services.form_submit_link(token=token, answers=CONSENT_ANSWERS, signatures=TYPED)
    after = owner_api.get(url).json()
    assert after["ok"] is True and after["summary"] == "complete"
    assert after["forms"][0]["submission_id"] == str(submission.pk) and after["forms"][0]["expires_at"]


def test_submission_detail_is_the_stored_document_and_audited(owner_api, forms_world):
    w = forms_world
    _, token = copy_link(w)
    signatures = {"signature": {"method": "drawn", "image": drawn_signature()}}
    submission, _ = services.form_submit_link(token=token, answers=CONSENT_ANSWERS, signatures=signatures)
    response = owner_api.get(f"/api/form-submissions/{submission.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["document"] == submission.document and body["content_withheld"] is False
    assert body["content_hash"] == submission.content_hash and body["signature_hash"] == submission.signature_hash
    assert body["definition_hash"] == submission.version.definition_hash
    [mark] = body["signatures"]
    assert mark["method"] == "drawn" and len(mark["image_sha256"]) == 64 and "image_file_id" not in mark
    assert body["status"] == "valid" and body["revocation"] is None
    viewed = AuditEvent.objects.filter(action="form_submission.viewed", object_id=str(submission.pk))
    assert viewed.count() == 1 and viewed.get().changes["via"] == "api"


def test_clinical_answers_only_for_clinical_roles(as_user, forms_world):
    w = forms_world
    _, token = copy_link(w, w.form("medical-history"))
    history, _ = services.form_submit_link(token=token, answers=HISTORY_ANSWERS, signatures=TYPED)
    url = f"/api/form-submissions/{history.pk}"
    front = as_user(w.front_desk, w.clinic).get(url).json()
    assert front["content_withheld"] is True and front["document"] is None and front["profile_updates"] is None
    assert "Vitamin D" not in json.dumps(front) and "Latex" not in json.dumps(front)
    provider = as_user(w.provider, w.clinic).get(url).json()
    assert provider["content_withheld"] is False and "Vitamin D" in json.dumps(provider["document"])
    assert provider["profile_updates"] == {"medications": "Vitamin D", "allergies": "Latex"}


def test_revoke_is_recorded_once(as_user, forms_world):
    w = forms_world
    _, token = copy_link(w)
    submission, _ = services.form_submit_link(token=token, answers=CONSENT_ANSWERS, signatures=TYPED)
    front = as_user(w.front_desk, w.clinic)
    url = f"/api/form-submissions/{submission.pk}/revoke"
    first = send(front, "post", url, {"reason": "Patient called"})
    assert first.status_code == 200, first.content
    assert first.json()["reason"] == "Patient called" and first.json()["by_patient"] is True
    again = send(front, "post", url, {"reason": "Twice"})
    assert again.json()["revoked_at"] == first.json()["revoked_at"] and again.json()["reason"] == "Patient called"
    assert FormRevocation.objects.filter(submission=submission).count() == 1
    assert send(front, "post", url, {"reason": "x" * 501}).status_code == 422
    detail = front.get(f"/api/form-submissions/{submission.pk}").json()
    assert detail["status"] == "revoked" and detail["revocation"]["reason"] == "Patient called"
    standing = selectors.appointment_standing(actor=w.as_owner, appointment_id=w.appointment_id)
    assert standing.forms[0].status == "revoked"


# --- tenancy and roles ------------------------------------------------------------------------


def test_another_clinics_objects_look_missing(owner_api, forms_world, other_forms_world):
    w, o = forms_world, other_forms_world
    _, token = copy_link(o)
    theirs, _ = services.form_submit_link(token=token, answers=CONSENT_ANSWERS, signatures=TYPED)
    own_patient = {"patient_id": str(w.patient.pk)}
    staff_submit = {**own_patient, "answers": CONSENT_ANSWERS, "signatures": TYPED}
    calls = [
        ("get", f"/api/forms/{o.consent.pk}", None),
        ("put", f"/api/forms/{o.consent.pk}", {"description": "Mine now"}),
        ("post", f"/api/forms/{o.consent.pk}/publish", {"material": True}),
        ("put", f"/api/forms/{o.consent.pk}/requirements", {"rules": [{}]}),
        ("get", f"/api/forms/{o.consent.pk}/submissions", None),
        ("post", f"/api/forms/{o.consent.pk}/submit", staff_submit),
        ("post", f"/api/forms/{w.consent.pk}/submit", {**staff_submit, "patient_id": str(o.patient.pk)}),
        (
            "post",
            f"/api/forms/{w.consent.pk}/submit",
            {**staff_submit, "appointment_id": str(o.appointment_id)},
        ),
        ("post", f"/api/forms/{o.consent.pk}/send", {**own_patient, "channel": "copy"}),
        ("post", f"/api/forms/{w.consent.pk}/send", {"patient_id": str(o.patient.pk), "channel": "copy"}),
        ("get", f"/api/patients/{o.patient.pk}/forms", None),
        ("get", f"/api/appointments/{o.appointment_id}/forms", None),
        ("get", f"/api/form-submissions/{theirs.pk}", None),
        ("post", f"/api/form-submissions/{theirs.pk}/revoke", {"reason": "Not mine"}),
    ]
    links = FormLink.objects.count()
    for method, url, body in calls:
        response = send(owner_api, method, url, body)
        assert response.status_code == 404, (method, url, response.status_code, response.content[:200])
        assert "Ava" not in response.content.decode()
    assert FormSubmission.objects.count() == 1 and FormLink.objects.count() == links
    assert not FormRevocation.objects.exists()
    assert FormRequirement.objects.filter(clinic=o.clinic).count() == 1
    assert Form.objects.get(pk=o.consent.pk).description != "Mine now"


@pytest.mark.parametrize(
    ("role", "method", "url", "body"),
    [
        (Role.READ_ONLY, "get", "/api/forms", None),
        (Role.BILLING, "get", "/api/forms/{form}", None),
        (Role.FRONT_DESK, "post", "/api/forms", {"name": "X", "kind": "intake", "definition": DEFINITION}),
        (Role.PROVIDER, "post", "/api/forms/{form}/publish", {"material": True}),
        (Role.FRONT_DESK, "put", "/api/forms/{form}/requirements", {"rules": [{}]}),
        (Role.MEDICAL_DIRECTOR, "post", "/api/forms/{form}/send", {"patient_id": "{patient}", "channel": "copy"}),
        (
            Role.MEDICAL_DIRECTOR,
            "post",
            "/api/forms/{form}/submit",
            {"patient_id": "{patient}", "answers": CONSENT_ANSWERS, "signatures": TYPED},
        ),
        (Role.READ_ONLY, "get", "/api/patients/{patient}/forms", None),
        (Role.BILLING, "get", "/api/appointments/{appointment}/forms", None),
        (Role.READ_ONLY, "get", "/api/form-submissions/{submission}", None),
        (Role.MEDICAL_DIRECTOR, "post", "/api/form-submissions/{submission}/revoke", {"reason": "No"}),
    ],
)
def test_roles_without_the_permission_are_refused(as_user, make_member, forms_world, role, method, url, body):
    w = forms_world
    _, token = copy_link(w)
    submission, _ = services.form_submit_link(token=token, answers=CONSENT_ANSWERS, signatures=TYPED)
    values = {
        "form": w.consent.pk,
        "patient": w.patient.pk,
        "appointment": w.appointment_id,
        "submission": submission.pk,
    }
    client = as_user(make_member(w.clinic, role, email=f"{role}@roles.example"), w.clinic)
    filled = json.loads(fill(json.dumps(body), values)) if body else None
    before = (Form.objects.count(), FormSubmission.objects.count(), FormLink.objects.count())
    response = send(client, method, fill(url, values), filled)
    assert response.status_code == 403, response.content
    assert (Form.objects.count(), FormSubmission.objects.count(), FormLink.objects.count()) == before
    assert not FormRevocation.objects.exists()


def test_lists_cost_the_same_queries_for_one_row_or_many(owner_api, forms_world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = forms_world
    urls = (f"/api/forms/{w.consent.pk}/submissions", f"/api/patients/{w.patient.pk}/forms")

    def queries() -> list[int]:
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert owner_api.get(url).status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts

    _, token = copy_link(w)
    services.form_submit_link(token=token, answers=CONSENT_ANSWERS, signatures=TYPED)
    copy_link(w)
    queries()  # the token's first use is recorded once
    one = queries()
    for _ in range(4):
        _, token = copy_link(w)
        services.form_submit_link(token=token, answers=CONSENT_ANSWERS, signatures=TYPED)
        copy_link(w, w.form("filler-consent"))
    assert queries() == one
