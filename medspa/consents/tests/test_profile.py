"""The profile's Consents tab, the consent entries of the patient timeline, the sidebar entry
and the appointment status icon."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse

from medspa.consents import selectors, services
from medspa.consents.profile import patient_timeline_entries
from medspa.consents.tests.fixtures import HISTORY_ANSWERS
from medspa.consents.tests.test_views import submit
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role

pytestmark = pytest.mark.django_db

PHOTO_ANSWERS = {
    "clinical": "yes",
    "marketing": "no",
    "social_media": "yes",
    "gallery": "no",
    "case_study": "no",
    "printed_name": "Ava Lopez",
}


def _tab(client, patient):
    return client.get(reverse("patient_consents", args=[patient.pk]))


def test_tab_lists_submissions_links_and_photo_permissions(forms_world, login):
    w = forms_world
    submission = submit(w)
    revoked = submit(w)
    services.submission_revoke(actor=w.as_owner, submission_id=revoked.pk, reason="Withdrawn")
    sent = services.form_send(actor=w.as_owner, form_id=w.form("medical-history").pk, patient_id=w.patient.pk)

    response = _tab(login(w.front_desk), w.patient)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="consents-tab"' in page
    assert f'data-submission="{submission.pk}"' in page and f'data-submission="{revoked.pk}"' in page
    assert "Valid" in page and "Revoked" in page
    assert reverse("consents_submission_pdf", args=[submission.pk]) in page
    assert f'data-link="{sent.link.pk}"' in page and reverse("consents_link_cancel", args=[sent.link.pk]) in page
    assert 'data-testid="photo-permissions"' in page and "No photo release in force" in page
    assert 'data-testid="consents-send"' in page and "Medical history" in page
    assert AuditEvent.objects.filter(action="form_submission.listed", patient_id=str(w.patient.pk)).exists()


def test_tab_shows_what_the_photo_release_allows(forms_world, login):
    w = forms_world
    submit(w, form=w.form("photo-release"), answers=PHOTO_ANSWERS)
    page = _tab(login(w.owner), w.patient).content.decode()
    assert "From the patient’s latest photo release." in page
    assert page.count(">Allowed<") == 2 and page.count(">Not allowed<") == 3


def test_tab_for_the_md_has_no_send_and_read_only_has_no_tab(forms_world, login, make_member):
    w = forms_world
    submit(w)
    md_page = _tab(login(w.md), w.patient).content.decode()
    assert 'data-testid="consents-tab"' in md_page and 'data-testid="consents-send"' not in md_page
    assert "Cancel link" not in md_page
    read_only = make_member(w.clinic, Role.READ_ONLY, email="ro@test.example")
    client = login(read_only)
    profile = client.get(reverse("patient_detail", args=[w.patient.pk])).content.decode()
    assert reverse("patient_consents", args=[w.patient.pk]) not in profile
    tab = _tab(client, w.patient).content.decode()
    assert 'data-testid="consents-tab"' not in tab and "are not available to your role" in tab


def test_timeline_has_signed_revoked_and_sent_entries(forms_world, login):
    w = forms_world
    submission = submit(w)
    services.submission_revoke(actor=w.as_owner, submission_id=submission.pk, reason="Withdrawn")
    page = login(w.owner).get(reverse("patient_timeline", args=[w.patient.pk])).content.decode()
    assert "Signed Neurotoxin consent v1" in page
    assert "Revoked Neurotoxin consent" in page and "Withdrawn" in page
    assert "Sent Neurotoxin consent" in page
    assert reverse("consents_submission", args=[submission.pk]) in page
    entries = patient_timeline_entries(actor=w.actor(w.front_desk), patient_id=w.patient.pk, limit=2)
    assert len(entries) == 2 and entries[0].at >= entries[1].at


def test_sidebar_has_consents_with_the_review_badge(forms_world, login):
    w = forms_world
    submit(w, form=w.form("medical-history"), answers=HISTORY_ANSWERS)
    provider = login(w.provider).get(reverse("consents_dashboard"))
    items = {item["key"]: item for item in provider.context["nav_items"]}
    assert items["consents"]["url"] == "/consents/" and items["consents"]["badge"] == 1
    front = login(w.front_desk).get(reverse("consents_dashboard"))
    items = {item["key"]: item for item in front.context["nav_items"]}
    assert items["consents"]["badge"] == 0


def _icon(standing) -> str:
    return Template("{% load consents_tags %}{% consent_icon standing %}").render(Context({"standing": standing}))


def test_status_icon_for_none_complete_and_outstanding(forms_world):
    w = forms_world
    assert _icon(None).strip() == "" and _icon(selectors.Standing(())).strip() == ""
    standing = selectors.appointment_standing(actor=w.as_owner, appointment_id=w.appointment_id)
    outstanding = _icon(standing)
    assert 'data-consents="outstanding"' in outstanding and "Neurotoxin consent (missing)" in outstanding
    submit(w)
    standing = selectors.appointment_standing(actor=w.as_owner, appointment_id=w.appointment_id)
    assert 'data-consents="complete"' in _icon(standing)


def test_the_front_desk_sees_a_medical_history_signed_but_not_its_answers(forms_world, login):
    w = forms_world
    history = submit(w, form=w.form("medical-history"), answers=HISTORY_ANSWERS)
    body = login(w.front_desk).get(f"/patients/{w.patient.pk}/consents/").content.decode()
    assert "Medical history" in body and f"/consents/submissions/{history.pk}/" not in body
    body = login(w.provider).get(f"/patients/{w.patient.pk}/consents/").content.decode()
    assert f"/consents/submissions/{history.pk}/" in body
