"""The printable PDF of a submission: what it prints (read back with pypdf), that every export
is audited (via pdf), and who may not have it."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from medspa.consents import services
from medspa.consents.export import submission_pdf
from medspa.consents.tests.fixtures import drawn_signature
from medspa.consents.tests.test_views import submit
from medspa.core.errors import NotFound
from medspa.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> tuple[PdfReader, str]:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data), strict=True)
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _exports(submission) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="form_submission.exported", object_id=str(submission.pk)))


def test_the_pdf_prints_the_document_signature_and_manifest(forms_world, login):
    w = forms_world
    submission = submit(w, signatures={"signature": {"method": "drawn", "image": drawn_signature()}})

    response = login(w.front_desk).get(reverse("consents_submission_pdf", args=[submission.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "neurotoxin-consent-" in response["Content-Disposition"] and "-Lopez.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    reader, text = _text(response.content)
    first = submission.document["sections"][0]["items"][0]["text"]
    for expected in (
        w.clinic.name,
        "Neurotoxin consent, version 1",
        "Ava Lopez",
        first[:40],
        "Acknowledged",
        "Signature manifest",
        submission.content_hash,
        submission.signature_hash,
        submission.signatures[0]["image_sha256"],
        "Patient link",
    ):
        assert expected in text, expected
    pages = len(reader.pages)
    for number in range(1, pages + 1):
        footer = f"Submission {submission.pk} · page {number} of {pages} · content SHA-256 {submission.content_hash}"
        assert footer in reader.pages[number - 1].extract_text()
    assert sum(len(page.images) for page in reader.pages) == 1  # the drawn signature
    [event] = _exports(submission)
    assert event.changes["via"] == "pdf" and event.patient_id == str(w.patient.pk)


def test_a_revoked_submission_says_so_on_paper(forms_world):
    w = forms_world
    submission = submit(w)
    services.submission_revoke(actor=w.as_owner, submission_id=submission.pk, reason="Changed her mind")

    data, filename = submission_pdf(actor=w.as_owner, submission_id=submission.pk)

    _, text = _text(data)
    assert "REVOKED" in text and "Changed her mind" in text
    assert filename.endswith("-Lopez.pdf")


def test_no_pdf_for_read_only_staff_or_another_clinic(forms_world, other_forms_world, login, make_member):
    w, o = forms_world, other_forms_world
    submission = submit(w)
    url = reverse("consents_submission_pdf", args=[submission.pk])
    read_only = make_member(w.clinic, "read_only", email="ro@test.example")

    assert login(read_only).get(url).status_code == 403
    theirs = login(o.owner).get(url)
    assert theirs.status_code == 404 and b"%PDF" not in theirs.content
    with pytest.raises(NotFound):
        submission_pdf(actor=o.as_owner, submission_id=submission.pk)
    assert _exports(submission) == []
