"""The staff consent pages: the dashboard (what upcoming visits still need, what expires,
what waits for review), the submission viewer (what the patient saw, audited), revocation,
profile review and sending forms — for the owner, the provider, the front desk, read-only
staff and another clinic."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from medspa.consents import selectors, services
from medspa.consents.choices import FormStatus, ProfileReview
from medspa.consents.models import FormLink, FormRevocation, FormSubmission
from medspa.consents.tests.fixtures import CONSENT_ANSWERS, HISTORY_ANSWERS, TYPED, book_visit, drawn_signature
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.patients.models import Allergy, Patient

pytestmark = pytest.mark.django_db


def submit(world, *, form=None, answers=None, signatures=None, appointment_id=None) -> FormSubmission:
    """The world's patient completes a form through a link sent by the owner."""
    sent = services.form_send(
        actor=world.as_owner,
        form_id=(form or world.consent).pk,
        patient_id=world.patient.pk,
        appointment_id=appointment_id or world.appointment_id,
    )
    submission, _ = services.form_submit_link(
        token=sent.token, answers=answers or CONSENT_ANSWERS, signatures=signatures or TYPED
    )
    return submission


def _viewer(submission) -> str:
    return reverse("consents_submission", args=[submission.pk])


def _reads(submission, action="form_submission.viewed") -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_id=str(submission.pk)))


# --- dashboard -------------------------------------------------------------------------


def test_dashboard_lists_upcoming_visits_with_forms_outstanding(forms_world, login):
    w = forms_world
    soon = book_visit(w, days=2)
    response = login(w.front_desk).get(reverse("consents_dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-appointment="{soon.pk}"' in page
    assert "Ava Lopez" in page and "Neurotoxin consent" in page and "Missing" in page
    # The world's own appointment is 9 days out: outside the default week.
    assert f'data-appointment="{w.appointment_id}"' not in page
    assert reverse("consents_appointment_send", args=[soon.pk]) in page


def test_dashboard_filters_by_dates_provider_and_location(forms_world, login):
    w = forms_world
    soon = book_visit(w, days=2)
    client = login(w.owner)
    today = timezone.localdate()
    later = client.get(
        reverse("consents_dashboard"),
        {"day_from": (today + timedelta(days=8)).isoformat(), "day_to": (today + timedelta(days=10)).isoformat()},
    ).content.decode()
    assert f'data-appointment="{w.appointment_id}"' in later and f'data-appointment="{soon.pk}"' not in later
    other_provider = client.get(reverse("consents_dashboard"), {"provider": str(w.md.pk)})
    assert other_provider.status_code == 200
    assert "No visits match these filters" in other_provider.content.decode()
    mine = client.get(reverse("consents_dashboard"), {"provider": str(w.provider.pk)}).content.decode()
    assert f'data-appointment="{soon.pk}"' in mine
    bad = client.get(reverse("consents_dashboard"), {"day_from": "2030-01-10", "day_to": "2030-01-01"})
    assert bad.status_code == 200 and "The end date is before the start date." in bad.content.decode()


def test_dashboard_drops_a_visit_once_its_forms_are_complete(forms_world, login):
    w = forms_world
    soon = book_visit(w, days=2)
    submit(w, appointment_id=soon.pk)
    page = login(w.owner).get(reverse("consents_dashboard")).content.decode()
    assert f'data-appointment="{soon.pk}"' not in page
    assert "All set for the week" in page


def test_dashboard_shows_expiring_consents_and_pending_reviews(forms_world, login):
    w = forms_world
    services.form_update(actor=w.as_owner, form_id=w.consent.pk, valid_days=10)
    expiring = submit(w)
    history = submit(w, form=w.form("medical-history"), answers=HISTORY_ANSWERS)
    assert history.profile_review == ProfileReview.PENDING
    page = login(w.owner).get(reverse("consents_dashboard")).content.decode()
    assert reverse("consents_submission", args=[expiring.pk]) in page
    assert 'data-testid="pending-count">1<' in page
    assert reverse("consents_submission", args=[history.pk]) in page
    # Signed again since (for a year): the older one no longer needs renewing.
    services.form_update(actor=w.as_owner, form_id=w.consent.pk, valid_days=365)
    submit(w)
    again = login(w.owner).get(reverse("consents_dashboard")).content.decode()
    assert reverse("consents_submission", args=[expiring.pk]) not in again
    assert "Nothing expiring soon" in again


def test_dashboard_query_count_does_not_grow_with_visits(forms_world, login, django_assert_max_num_queries):
    w = forms_world
    client = login(w.owner)
    book_visit(w, days=1)
    client.get(reverse("consents_dashboard"))
    with django_assert_max_num_queries(30) as one:
        client.get(reverse("consents_dashboard"))
    for days in (2, 3, 4):
        book_visit(w, days=days)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("consents_dashboard"))


def test_send_from_the_dashboard_emails_the_missing_form(forms_world, login, django_capture_on_commit_callbacks):
    w = forms_world
    soon = book_visit(w, days=2)
    mail.outbox.clear()
    url = reverse("consents_appointment_send", args=[soon.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = login(w.front_desk).post(url, {"form_id": str(w.consent.pk), "next": "/consents/?page=1"})
    assert response.status_code == 302 and response["Location"] == "/consents/?page=1"
    link = FormLink.objects.filter(clinic=w.clinic, appointment=soon, sent_by=w.front_desk).get()
    assert link.form == w.consent and link.channel == "email"
    assert any("Neurotoxin consent" in m.body and "/f/" in m.body for m in mail.outbox)
    # "Send all missing" (no form) sends every outstanding form; an open link shows as sent.
    page = login(w.owner).get(reverse("consents_dashboard")).content.decode()
    assert "Link sent" in page and "Resend" in page
    with django_capture_on_commit_callbacks(execute=True):
        back = login(w.owner).post(url, {"next": "https://evil.example/"})
    assert back["Location"] == reverse("consents_dashboard")
    assert FormLink.objects.filter(clinic=w.clinic, appointment=soon, sent_by=w.owner).count() == 1


def test_dashboard_send_refuses_roles_without_send_and_other_clinics(forms_world, other_forms_world, login):
    w, o = forms_world, other_forms_world
    soon = book_visit(w, days=2)
    before = FormLink.objects.filter(appointment=soon).count()  # the booking sent its own
    url = reverse("consents_appointment_send", args=[soon.pk])
    assert login(w.md).post(url).status_code == 403
    assert login(o.owner).post(url).status_code == 404
    assert FormLink.objects.filter(appointment=soon).count() == before


# --- viewer ----------------------------------------------------------------------------


def test_viewer_shows_the_stored_document_signatures_and_manifest(forms_world, login):
    w = forms_world
    submission = submit(w, signatures={"signature": {"method": "drawn", "image": drawn_signature()}})
    response = login(w.provider).get(_viewer(submission))
    assert response.status_code == 200
    page = response.content.decode()
    document = submission.document
    for item in document["sections"][0]["items"]:
        assert item["label"] in page
        if item.get("text"):
            assert item["text"][:60] in page
    assert "Acknowledged" in page and "AL" in page
    assert submission.content_hash in page and submission.signature_hash in page
    assert submission.signatures[0]["image_sha256"] in page
    assert 'data-testid="signature-image"' in page and "/files/" in page
    assert "Version 1" in page and "Valid" in page
    assert reverse("consents_submission_pdf", args=[submission.pk]) in page
    [event] = _reads(submission)
    assert event.changes["via"] == "page" and event.patient_id == str(w.patient.pk)
    assert AuditEvent.objects.filter(action="file.urls_issued", patient_id=str(w.patient.pk)).exists()


def test_viewer_shows_what_the_patient_saw_after_a_new_version(forms_world, login):
    w = forms_world
    submission = submit(w)
    original = submission.document["sections"][0]["items"][0]["text"]
    version = selectors.current_version(w.consent)
    changed = {
        **version.definition,
        "sections": [
            {
                **version.definition["sections"][0],
                "fields": [
                    {**version.definition["sections"][0]["fields"][0], "text": "Entirely new wording of the risks."},
                    *version.definition["sections"][0]["fields"][1:],
                ],
            },
            *version.definition["sections"][1:],
        ],
    }
    services.form_update(actor=w.as_owner, form_id=w.consent.pk, definition=changed)
    services.form_publish(actor=w.as_owner, form_id=w.consent.pk, material=True, note="New wording")
    page = login(w.owner).get(_viewer(submission)).content.decode()
    assert original[:60] in page
    assert "Entirely new wording" not in page
    assert "Version 1" in page and "Outdated" in page


def test_viewer_typed_signature_and_other_roles(forms_world, other_forms_world, login, make_member):
    w, o = forms_world, other_forms_world
    submission = submit(w)
    page = login(w.md).get(_viewer(submission)).content.decode()
    assert 'data-testid="typed-signature">Ava Lopez<' in page
    assert "Record a revocation" not in page  # the MD does not send or revoke
    read_only = make_member(w.clinic, Role.READ_ONLY, email="readonly@test.example")
    assert login(read_only).get(_viewer(submission)).status_code == 403
    before = len(_reads(submission))
    assert login(o.owner).get(_viewer(submission)).status_code == 404
    assert len(_reads(submission)) == before


def test_another_clinics_submission_is_404_on_every_route(forms_world, other_forms_world, login):
    w, o = forms_world, other_forms_world
    theirs = submit(o)
    client = login(w.owner)
    events = AuditEvent.objects.filter(clinic=o.clinic).count()
    for name in ("consents_submission", "consents_submission_pdf"):
        url = reverse(name, args=[theirs.pk])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert client.post(reverse("consents_submission_revoke", args=[theirs.pk]), {"reason": "x"}).status_code == 404
    profile = reverse("consents_submission_profile", args=[theirs.pk])
    assert client.post(profile, {"decision": "dismiss"}).status_code == 404
    assert client.post(reverse("consents_patient_send", args=[o.patient.pk]), {}).status_code == 404
    link = FormLink.objects.filter(clinic=o.clinic).first()
    assert client.post(reverse("consents_link_cancel", args=[link.pk])).status_code == 404
    assert AuditEvent.objects.filter(clinic=o.clinic).count() == events
    assert not FormRevocation.objects.filter(submission=theirs).exists()
    link.refresh_from_db()
    assert link.cancelled_at is None


def test_wrong_methods_are_405(forms_world, login):
    w = forms_world
    submission = submit(w)
    client = login(w.owner)
    assert client.post(_viewer(submission)).status_code == 405
    assert client.post(reverse("consents_submission_pdf", args=[submission.pk])).status_code == 405
    assert client.get(reverse("consents_submission_revoke", args=[submission.pk])).status_code == 405
    assert client.get(reverse("consents_patient_send", args=[w.patient.pk])).status_code == 405
    assert _reads(submission) == []


# --- revocation ------------------------------------------------------------------------


def test_record_a_revocation_from_the_viewer(forms_world, login):
    w = forms_world
    submission = submit(w)
    client = login(w.front_desk)
    url = reverse("consents_submission_revoke", args=[submission.pk])
    missing = client.post(url, {"reason": "  "})
    assert missing.status_code == 422 and "This field is required." in missing.content.decode()
    assert not FormRevocation.objects.filter(submission=submission).exists()
    response = client.post(url, {"reason": "Patient called to withdraw"})
    assert response.status_code == 302 and response["Location"] == _viewer(submission)
    revocation = FormRevocation.objects.get(submission=submission)
    assert revocation.reason == "Patient called to withdraw" and revocation.recorded_by == w.front_desk
    page = client.get(_viewer(submission)).content.decode()
    assert 'data-testid="revoked"' in page and "Patient called to withdraw" in page
    assert w.front_desk.full_name in page and "Record a revocation" not in page
    standing = selectors.appointment_standing(actor=w.as_owner, appointment_id=w.appointment_id)
    assert standing.forms[0].status == FormStatus.REVOKED
    # Again: nothing new is written.
    client.post(url, {"reason": "Twice"})
    assert FormRevocation.objects.filter(submission=submission).count() == 1


def test_revocation_is_refused_to_roles_without_send(forms_world, login):
    w = forms_world
    submission = submit(w)
    response = login(w.md).post(reverse("consents_submission_revoke", args=[submission.pk]), {"reason": "No"})
    assert response.status_code == 403
    assert not FormRevocation.objects.filter(submission=submission).exists()


# --- profile review --------------------------------------------------------------------


def test_profile_review_applies_the_ticked_updates(forms_world, login):
    w = forms_world
    submission = submit(w, form=w.form("medical-history"), answers=HISTORY_ANSWERS)
    client = login(w.provider)
    page = client.get(_viewer(submission)).content.decode()
    assert 'data-testid="profile-review"' in page and "Vitamin D" in page and "Latex" in page
    url = reverse("consents_submission_profile", args=[submission.pk])
    nothing = client.post(url, {"decision": "apply"})
    assert nothing.status_code == 422 and "Tick the updates to apply" in nothing.content.decode()
    response = client.post(url, {"decision": "apply", "apply": ["allergies"]})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.profile_review == ProfileReview.APPLIED
    assert list(Allergy.objects.filter(patient=w.patient).values_list("substance", flat=True)) == ["Latex"]
    assert Patient.objects.get(pk=w.patient.pk).medications == []
    again = client.get(_viewer(submission)).content.decode()
    assert 'data-testid="profile-review"' not in again and "applied to the profile" in again
    assert client.post(url, {"decision": "dismiss"}).status_code == 302  # already reviewed: a toast
    assert AuditEvent.objects.filter(action="patient.updated_from_form", object_id=str(submission.pk)).count() == 1


def test_profile_review_dismiss_all(forms_world, login):
    w = forms_world
    submission = submit(w, form=w.form("medical-history"), answers=HISTORY_ANSWERS)
    login(w.owner).post(reverse("consents_submission_profile", args=[submission.pk]), {"decision": "dismiss"})
    submission.refresh_from_db()
    assert submission.profile_review == ProfileReview.DISMISSED
    assert not Allergy.objects.filter(patient=w.patient).exists()


def test_front_desk_sees_the_submission_but_not_the_profile_review(forms_world, login):
    w = forms_world
    submission = submit(w, form=w.form("medical-history"), answers=HISTORY_ANSWERS)
    client = login(w.front_desk)
    page = client.get(_viewer(submission)).content.decode()
    assert 'data-testid="profile-review"' not in page
    response = client.post(
        reverse("consents_submission_profile", args=[submission.pk]), {"decision": "apply", "apply": ["allergies"]}
    )
    assert response.status_code == 403
    submission.refresh_from_db()
    assert submission.profile_review == ProfileReview.PENDING
    assert not Allergy.objects.filter(patient=w.patient).exists()
    # The MD reads clinical data but does not edit profiles: the service refuses.
    md = login(w.md).post(
        reverse("consents_submission_profile", args=[submission.pk]), {"decision": "apply", "apply": ["allergies"]}
    )
    assert md.status_code == 403
    assert 'data-testid="profile-review"' not in login(w.md).get(_viewer(submission)).content.decode()


# --- sending from the profile --------------------------------------------------------


def test_send_a_form_by_email_from_the_tab(forms_world, login, django_capture_on_commit_callbacks):
    w = forms_world
    mail.outbox.clear()
    url = reverse("consents_patient_send", args=[w.patient.pk])
    history = w.form("medical-history")
    with django_capture_on_commit_callbacks(execute=True):
        response = login(w.front_desk).post(url, {"form_id": str(history.pk), "channel": "email", "days": "5"})
    assert response.status_code == 302 and response["Location"] == reverse("patient_consents", args=[w.patient.pk])
    link = FormLink.objects.get(clinic=w.clinic, patient=w.patient, form=history)
    assert link.sent_to == w.patient.email and link.sent_by == w.front_desk
    assert timedelta(days=4, hours=23) < link.expires_at - timezone.now() <= timedelta(days=5)
    assert [m.to for m in mail.outbox if "Medical history" in m.body] == [[w.patient.email]]


def test_send_by_htmx_answers_the_tab_with_a_toast(forms_world, login):
    w = forms_world
    response = login(w.owner).post(
        reverse("consents_patient_send", args=[w.patient.pk]),
        {"form_id": str(w.consent.pk), "channel": "email", "days": "7"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="consents-tab"' in response.content.decode() and "Emailed Neurotoxin consent" in response["HX-Trigger"]


def test_copy_shows_the_link_once(forms_world, login):
    w = forms_world
    client = login(w.owner)
    url = reverse("consents_patient_send", args=[w.patient.pk])
    response = client.post(url, {"form_id": str(w.consent.pk), "channel": "copy", "days": "3"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="link-created"' in page
    link = FormLink.objects.get(clinic=w.clinic, patient=w.patient, channel="copy")
    token = page.split("/f/")[1].split("/")[0]
    assert services.link_resolve(token).pk == link.pk
    tab = client.get(reverse("patient_consents", args=[w.patient.pk])).content.decode()
    assert token not in tab and f'data-link="{link.pk}"' in tab


def test_send_errors_are_inline_and_write_nothing(forms_world, login):
    w = forms_world
    Patient.objects.filter(pk=w.patient.pk).update(email="")
    client = login(w.owner)
    url = reverse("consents_patient_send", args=[w.patient.pk])
    no_email = client.post(url, {"form_id": str(w.consent.pk), "channel": "email", "days": "7"})
    assert no_email.status_code == 422 and "No email address on file." in no_email.content.decode()
    bad = client.post(url, {"form_id": "not-a-form", "channel": "fax", "days": "99"})
    assert bad.status_code == 422
    assert not FormLink.objects.filter(clinic=w.clinic, patient=w.patient).exists()
    assert login(w.md).post(url, {"form_id": str(w.consent.pk), "channel": "copy", "days": "7"}).status_code == 403


def test_cancel_a_link_from_the_tab(forms_world, login):
    w = forms_world
    sent = services.form_send(actor=w.as_owner, form_id=w.consent.pk, patient_id=w.patient.pk, channel="copy")
    response = login(w.front_desk).post(reverse("consents_link_cancel", args=[sent.link.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("patient_consents", args=[w.patient.pk])
    sent.link.refresh_from_db()
    assert sent.link.cancelled_at is not None
    tab = login(w.owner).get(reverse("patient_consents", args=[w.patient.pk])).content.decode()
    assert f'data-link="{sent.link.pk}"' not in tab


def test_what_the_patient_typed_is_shown_as_text(forms_world, login):
    w = forms_world
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    answers = {**HISTORY_ANSWERS, "occupation": payload, "takes_medications_detail": payload}
    submission = submit(w, form=w.form("medical-history"), answers=answers)
    page = login(w.owner).get(_viewer(submission)).content.decode()
    assert payload not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
