"""The printable PDF of a form submission: what the patient saw and answered, as stored.

It prints the stored `document` (every shown section and question with its help, paragraph
text, options and the answer as displayed), the computed scores, the drawn signature images,
and the signature manifest: signer, time, IP, user agent, how it was completed, the version,
and the content and signature hashes that bind it. A revocation is printed at the top. Every
page carries the submission id and its content SHA-256, so a page that lost its neighbours
still says which record it belongs to.

The layout helpers (font, headings, label/value lines, footer) are the chart PDF's.
"""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf.enums import XPos, YPos

from medspa.charting.export import FONT, SIGNATURE_MM, SMALL, ChartDocument, page_format
from medspa.consents import selectors
from medspa.consents.choices import FieldType, SignatureMethod
from medspa.consents.models import FormRevocation, FormSubmission
from medspa.core import files
from medspa.core.actors import Actor
from medspa.core.models import Location


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else ""


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def _parsed(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def submission_zone(submission: FormSubmission, clinic) -> ZoneInfo:
    """The time zone a submission's times are shown in: its visit's location, else the clinic's."""
    name = ""
    if submission.appointment_id:
        name = (
            Location.objects.filter(clinic_id=submission.clinic_id, pk=submission.appointment.location_id)
            .values_list("timezone", flat=True)
            .first()
            or ""
        )
    return ZoneInfo(name or clinic.timezone or "UTC")


def _cover(pdf: ChartDocument, *, actor: Actor, submission: FormSubmission, zone: ZoneInfo) -> None:
    document = submission.document
    patient = submission.patient
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 7, actor.clinic.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(
        0,
        5.5,
        f"{document.get('form', '')}, version {document.get('version', '')}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    pdf.heading("Patient and submission")
    pdf.field("Patient", f"{patient.first_name} {patient.last_name}".strip())
    pdf.field("Date of birth", patient.date_of_birth.isoformat() if patient.date_of_birth else "—")
    pdf.field("Submitted", f"{_local(submission.submitted_at, zone)} ({_utc(submission.submitted_at)})")
    pdf.field("Completed", submission.get_via_display())
    if submission.expires_at:
        pdf.field("Valid until", _local(submission.expires_at, zone))
    pdf.field("Submission id", str(submission.pk), size=SMALL)


def _revocation(pdf: ChartDocument, revocation: FormRevocation, zone: ZoneInfo) -> None:
    pdf.heading("REVOKED")
    who = revocation.recorded_by.full_name if revocation.recorded_by_id else "The patient, by their link"
    pdf.field("Revoked at", f"{_local(revocation.revoked_at, zone)} ({_utc(revocation.revoked_at)})")
    pdf.field("Recorded by", who)
    pdf.field("Reason", revocation.reason or "—")


def _document(pdf: ChartDocument, document: dict) -> None:
    for section in document.get("sections", []):
        pdf.heading(section.get("title") or "Section")
        for item in section.get("items", []):
            if item.get("type") == FieldType.NOTE:
                if item.get("label"):
                    pdf.heading(item["label"], level=3)
                pdf.paragraph(item.get("text", ""), size=SMALL)
                continue
            if item.get("text"):
                pdf.heading(item.get("label") or "", level=3)
                pdf.paragraph(item["text"], size=SMALL)
            if item.get("help"):
                pdf.paragraph(item["help"], size=SMALL, style="I")
            if item.get("options"):
                pdf.paragraph("Options: " + " · ".join(str(o) for o in item["options"]), size=SMALL, style="I")
            pdf.field(item.get("label") or "Answer", item.get("answer") or "—")
            pdf.ln(1)
    computed = document.get("computed") or []
    if computed:
        pdf.heading("Scores")
        for score in computed:
            pdf.field(score.get("label", ""), f"{score.get('result', '')} (score {score.get('score', '')})")


def _drawn(pdf: ChartDocument, stored) -> None:
    try:
        data = files.read_bytes(stored)
    except (files.FileKeyError, OSError):
        pdf.field("Drawn signature", "stored image unreadable", size=SMALL)
        return
    if pdf.will_page_break(SIGNATURE_MM + 2):
        pdf.add_page()
    pdf.image(io.BytesIO(data), x=pdf.l_margin, y=pdf.get_y() + 1, h=SIGNATURE_MM, keep_aspect_ratio=True)
    pdf.ln(SIGNATURE_MM + 2)


def _manifest(pdf: ChartDocument, *, submission: FormSubmission, drawn: dict, labels: dict, zone: ZoneInfo) -> None:
    pdf.heading("Signature manifest")
    pdf.paragraph(
        "The content hash is the SHA-256 of the submission's canonical content (the document shown, the "
        "answers, the signatures and scores); the signature hash chains it with the signer, time, IP, user "
        "agent and submission id.",
        size=SMALL,
        style="I",
    )
    pdf.field("Signer", submission.signer_name)
    pdf.field("Signed at", f"{_local(submission.submitted_at, zone)} ({_utc(submission.submitted_at)})")
    pdf.field("Completed", submission.get_via_display())
    pdf.field("Form version", str(submission.version.number))
    pdf.field("IP address", submission.ip_address or "—", size=SMALL)
    pdf.field("User agent", submission.user_agent or "—", size=SMALL)
    pdf.field("Content hash", submission.content_hash, size=SMALL)
    pdf.field("Signature hash", submission.signature_hash, size=SMALL)
    for number, mark in enumerate(submission.signatures, start=1):
        method = SignatureMethod(mark["method"]).label if mark.get("method") in SignatureMethod.values else "—"
        pdf.heading(
            f"{number}. {labels.get(mark.get('field'), mark.get('field', ''))} — {mark.get('name', '')}", level=3
        )
        pdf.field("Method", method, size=SMALL)
        signed_at = _parsed(mark.get("signed_at", ""))
        pdf.field("Signed at", _utc(signed_at) if signed_at else mark.get("signed_at", ""), size=SMALL)
        if mark.get("image_sha256"):
            pdf.field("Image SHA-256", mark["image_sha256"], size=SMALL)
        stored = drawn.get(mark.get("field"))
        if stored is not None:
            _drawn(pdf, stored)
        elif mark.get("method") == SignatureMethod.TYPED:
            pdf.field("Typed name", mark.get("name", ""), size=SMALL)


def signature_labels(document: dict) -> dict[str, str]:
    """{field key: label} of the signature questions of a stored document."""
    return {
        item["key"]: item.get("label") or "Signature"
        for section in document.get("sections", [])
        for item in section.get("items", [])
        if item.get("type") == FieldType.SIGNATURE
    }


def pdf_filename(submission: FormSubmission, zone: ZoneInfo) -> str:
    day = submission.submitted_at.astimezone(zone).date().isoformat()
    return files.sanitize_filename(f"{submission.form.key}-{day}-{submission.patient.last_name}", "pdf")


def submission_pdf(*, actor: Actor, submission_id) -> tuple[bytes, str]:
    """The printable PDF of a submission and its file name (requires `consents.view`).
    Another clinic's submission is 404. The read is audited (`form_submission.exported`, via
    pdf). Slow work (fonts, images): call it outside a transaction."""
    submission = selectors.submission_get(
        actor=actor, submission_id=submission_id, audit="form_submission.exported", via="pdf"
    )
    zone = submission_zone(submission, actor.clinic)
    revocation = selectors.submission_revocation(submission=submission)
    drawn = selectors.submission_signature_files(actor=actor, submission=submission)

    footer = f"Submission {submission.pk} · page {{page}} of {{pages}} · content SHA-256 {submission.content_hash}"
    pdf = ChartDocument(page_size=page_format(actor.clinic), footer_text=footer)
    pdf.set_title(f"{submission.document.get('form', submission.form.name)} — submission {submission.pk}")
    pdf.set_author(actor.clinic.name)
    pdf.add_page()
    _cover(pdf, actor=actor, submission=submission, zone=zone)
    if revocation is not None:
        _revocation(pdf, revocation, zone)
    _document(pdf, submission.document)
    _manifest(pdf, submission=submission, drawn=drawn, labels=signature_labels(submission.document), zone=zone)
    return bytes(pdf.output()), pdf_filename(submission, zone)
