"""Completing forms: drafts saved as the patient goes, uploads, the submission that binds what
was shown and answered, revocations, and the profile updates staff confirm.

A submission is all or nothing: every shown required answer and signature present, answers
to hidden fields dropped, the version still the form's current one. A link submits once;
submitting it again returns the first submission (idempotent).
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from medspa.consents.choices import FieldType, FormKind, ProfileReview, ProfileTarget, SignatureMethod, SubmissionVia
from medspa.consents.definition import all_fields, answers_clean, scores
from medspa.consents.models import Form, FormDraft, FormLink, FormRevocation, FormSubmission, FormVersion
from medspa.consents.selectors import as_uuid, current_version, photo_permissions
from medspa.consents.services.links import link_resolve
from medspa.consents.signing import content_hash, render_document, signature_hash
from medspa.core import files
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.context import current_request_info
from medspa.core.errors import Conflict, InvalidInput, NotFound
from medspa.patients.models import Patient

SEND = "consents.send"
UPLOAD_KIND = "form_upload"
SIGNATURE_KIND = "signature"
MAX_UPLOADS = 10
MAX_REASON = 500


def _patient_actor(link: FormLink) -> Actor:
    return Actor.patient(clinic=link.clinic, patient_id=str(link.patient_id), label="patient (form link)")


def link_open(token: str) -> FormLink:
    """The link for its page: the first opening is recorded and audited."""
    link = link_resolve(token)
    if link.opened_at is None:
        with transaction.atomic():
            FormLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(opened_at=timezone.now())
            audit_record(
                action="form_link.opened", actor=_patient_actor(link), obj=link, patient_id=str(link.patient_id)
            )
    return link


def draft_save(*, token: str, answers, step: int = 0) -> FormDraft:
    """Keep the patient's answers so far (validated, hidden answers dropped); never a submission."""
    with transaction.atomic():
        link = link_resolve(token, for_update=True)
        if link.submission_id is not None:
            raise Conflict("This form was already submitted.", code="already_submitted")
        clean = answers_clean(link.version.definition, answers)
        step = step if isinstance(step, int) and not isinstance(step, bool) and 0 <= step < 100 else 0
        draft, _ = FormDraft.objects.update_or_create(
            clinic=link.clinic, link=link, defaults={"answers": clean.answers, "step": step}
        )
    return draft


def draft_upload(*, token: str, upload) -> dict:
    """A file or photo for an upload field: decoded, re-encoded and sealed like every upload
    (FILE-2), remembered on the draft so only this link's submission can use it."""
    link = link_resolve(token)
    if link.submission_id is not None:
        raise Conflict("This form was already submitted.", code="already_submitted")
    prepared = files.prepare_image(upload=upload, field="file")
    with files.blob_written(prepared), transaction.atomic():
        link = link_resolve(token, for_update=True)
        draft, _ = FormDraft.objects.get_or_create(clinic=link.clinic, link=link)
        if len(draft.uploads) >= MAX_UPLOADS:
            raise InvalidInput(fields={"file": f"At most {MAX_UPLOADS} files per form."})
        stored = files.stored_file_create(actor=_patient_actor(link), prepared=prepared, kind=UPLOAD_KIND)
        draft.uploads = [*draft.uploads, str(stored.pk)]
        draft.save(update_fields=["uploads", "updated_at"])
        audit_record(
            action="form_upload.added", actor=_patient_actor(link), obj=stored, patient_id=str(link.patient_id)
        )
    return {"file_id": str(stored.pk), "sha256": stored.sha256}


def prefill(link: FormLink) -> dict:
    """Answers to start from: the draft if there is one; else, where the form allows, the
    patient's previous answers to the same questions and the profile's medications and
    allergies. Signatures, initials and acknowledgements are never carried over."""
    draft = FormDraft.objects.filter(clinic=link.clinic, link=link).first()
    if draft is not None:
        return draft.answers
    if not link.form.prefill:
        return {}
    fields = {f["key"]: f for f in all_fields(link.version.definition)}
    carried = {FieldType.SIGNATURE, FieldType.INITIALS, FieldType.ACKNOWLEDGEMENT, FieldType.FILE}
    answers = {}
    previous = (
        FormSubmission.objects.filter(clinic=link.clinic, patient_id=link.patient_id, form_id=link.form_id)
        .order_by("-submitted_at")
        .values_list("answers", flat=True)
        .first()
    )
    for key, value in (previous or {}).items():
        if key in fields and fields[key]["type"] not in carried:
            answers[key] = value
    patient = link.patient
    for key, field in fields.items():
        if key in answers:
            continue
        if field.get("profile") == ProfileTarget.MEDICATIONS and patient.medications:
            answers[key] = "\n".join(patient.medications)
        elif field.get("profile") == ProfileTarget.ALLERGIES:
            allergies = list(patient.allergies.values_list("substance", flat=True))
            if allergies:
                answers[key] = "\n".join(allergies)
    return answers


def _signature_marks(definition: dict, shown: list[str], raw) -> tuple[list[dict], dict]:
    """Each shown signature field's mark as given: (fields, prepared drawn images by field)."""
    raw = raw if isinstance(raw, dict) else {}
    wanted = [f for f in all_fields(definition) if f["type"] == FieldType.SIGNATURE and f["key"] in set(shown)]
    marks, drawn, errors = [], {}, {}
    for field in wanted:
        given = raw.get(field["key"])
        where = f"signatures.{field['key']}"
        if not isinstance(given, dict) or given.get("method") not in SignatureMethod.values:
            if field["required"]:
                errors[where] = "Sign here: draw your signature or type your full name."
            continue
        if given["method"] == SignatureMethod.TYPED:
            name = given.get("name")
            name = name.replace("\x00", "").strip()[:160] if isinstance(name, str) else ""
            if len(name) < 2:
                errors[where] = "Type your full name to sign."
                continue
            marks.append({"field": field["key"], "method": SignatureMethod.TYPED, "name": name})
        else:
            try:
                prepared = files.prepare_drawn(given.get("image"), field=where)
            except InvalidInput as exc:
                errors.update(exc.fields)
                continue
            if prepared is None:
                errors[where] = "Draw your signature in the box."
                continue
            drawn[field["key"]] = prepared
            marks.append({"field": field["key"], "method": SignatureMethod.DRAWN, "name": ""})
    if errors:
        raise InvalidInput("Please sign the form.", fields=errors)
    return marks, drawn


def _uploads_ok(definition: dict, answers: dict, allowed: set[str], clinic) -> None:
    errors = {}
    for field in all_fields(definition):
        value = answers.get(field["key"])
        if field["type"] == FieldType.FILE and value is not None and value not in allowed:
            errors[f"answers.{field['key']}"] = "Upload the file again."
    if errors:
        raise InvalidInput(fields=errors)


def _profile_updates(definition: dict, answers: dict, computed: dict) -> dict:
    updates = {}
    for field in all_fields(definition):
        target = field.get("profile")
        if target and answers.get(field["key"]):
            updates[target] = answers[field["key"]]
    for result in computed.values():
        if result.get("profile") == ProfileTarget.SKIN_TYPE:
            updates[ProfileTarget.SKIN_TYPE] = result["result"]
    return updates


def _photo_flags(clinic, patient_id) -> None:
    """The profile's photo consent flags follow the newest unrevoked photo release."""
    granted = photo_permissions(clinic_id=clinic.pk, patient_id=patient_id)
    Patient.objects.filter(clinic=clinic, pk=patient_id).update(
        photo_marketing_consent=granted["marketing"],
        clinical_photo_consent=granted["clinical"],
        version=F("version") + 1,
    )


def _record(
    *,
    actor: Actor,
    link: FormLink | None,
    form: Form,
    version: FormVersion,
    patient_id,
    appointment_id,
    answers,
    signatures,
    via: str,
    uploads: set[str],
    signer_name: str = "",
    signed_at=None,
) -> FormSubmission:
    """Validate everything, then write the submission (one transaction)."""
    definition = version.definition
    clean = answers_clean(definition, answers)
    errors = {f"answers.{k}": "This question needs an answer." for k in clean.missing}
    try:
        marks, drawn = _signature_marks(definition, clean.shown, signatures)
    except InvalidInput as exc:
        errors.update(exc.fields)
        marks, drawn = [], {}
    if errors:
        raise InvalidInput("Some answers need attention.", fields=errors)
    _uploads_ok(definition, clean.answers, uploads, form.clinic)
    computed = scores(definition, clean.answers)
    info = current_request_info()
    with contextlib.ExitStack() as stack:
        for prepared in drawn.values():
            stack.enter_context(files.blob_written(prepared))
        with transaction.atomic():
            if link is not None:
                link = FormLink.objects.select_for_update().get(pk=link.pk)
                if link.submission_id is not None:
                    return FormSubmission.objects.get(pk=link.submission_id)
            now = signed_at or timezone.now()
            printed = signer_name or str(clean.answers.get("printed_name") or "")
            if not printed:
                patient = Patient.objects.get(pk=patient_id)
                printed = f"{patient.first_name} {patient.last_name}"
            for mark in marks:
                mark["signed_at"] = now.isoformat()
                mark["name"] = mark["name"] or printed[:160]
                prepared = drawn.get(mark["field"])
                if prepared is not None:
                    stored = files.stored_file_create(actor=actor, prepared=prepared, kind=SIGNATURE_KIND)
                    mark["image_file_id"] = str(stored.pk)
                    mark["image_sha256"] = stored.sha256
            row = {
                "id": uuid.uuid4(),
                "clinic_id": form.clinic_id,
                "form_id": form.pk,
                "version_id": version.pk,
                "definition_hash": version.definition_hash,
                "patient_id": patient_id,
                "appointment_id": appointment_id,
                "answers": clean.answers,
                "signatures": marks,
                "computed": computed,
                "document": render_document(
                    name=version.name,
                    number=version.number,
                    definition=definition,
                    answers=clean.answers,
                    shown=clean.shown,
                    signatures=marks,
                    computed=computed,
                ),
                "signer_name": printed[:160],
                "submitted_at": now,
                "ip_address": (info.ip or "")[:45],
                "user_agent": (info.user_agent or "")[:300],
                "via": via,
            }
            content = content_hash(row)
            updates = _profile_updates(definition, clean.answers, computed)
            submission = FormSubmission.objects.create(
                id=row["id"],
                clinic_id=form.clinic_id,
                form=form,
                version=version,
                patient_id=patient_id,
                appointment_id=appointment_id,
                answers=row["answers"],
                signatures=marks,
                computed=computed,
                document=row["document"],
                via=via,
                signer_name=row["signer_name"],
                submitted_at=now,
                expires_at=now + timedelta(days=form.valid_days) if form.valid_days else None,
                ip_address=row["ip_address"],
                user_agent=row["user_agent"],
                entered_by=actor.user,
                content_hash=content,
                signature_hash=signature_hash(row, content),
                profile_updates=updates,
                profile_review=ProfileReview.PENDING if updates else ProfileReview.NONE,
            )
            if link is not None:
                link.submission = submission
                link.save(update_fields=["submission", "updated_at"])
                FormDraft.objects.filter(link=link).delete()
            if form.kind == FormKind.PHOTO_RELEASE:
                _photo_flags(form.clinic, patient_id)
            audit_record(
                action="form.submitted",
                actor=actor,
                obj=submission,
                patient_id=str(patient_id),
                changes={"form": str(form.pk), "version": version.number, "via": via, "content_hash": content},
            )
    return submission


def link_submittable_check(form: Form, version: FormVersion) -> None:
    """Refuse (409) a form the clinic retired or a version it has replaced since."""
    if not form.active:
        raise Conflict(f"{form.name} is no longer in use.", code="form_retired")
    if version.number != form.current_version:
        raise Conflict(
            f"{form.name} was updated since this was sent. Ask the clinic for the new version.",
            code="version_retired",
        )


def form_submit_link(*, token: str, answers, signatures) -> tuple[FormSubmission, bool]:
    """The patient submits through their link: (submission, created). A link already used
    returns its submission (created False); an expired link is 410; a version replaced since
    the link was sent is 409."""
    link = link_resolve(token)
    if link.submission_id is not None:
        return FormSubmission.objects.get(pk=link.submission_id), False
    link_submittable_check(link.form, link.version)
    draft = FormDraft.objects.filter(link=link).first()
    submission = _record(
        actor=_patient_actor(link),
        link=link,
        form=link.form,
        version=link.version,
        patient_id=link.patient_id,
        appointment_id=link.appointment_id,
        answers=answers,
        signatures=signatures,
        via=link.via,
        uploads=set(draft.uploads) if draft else set(),
    )
    return submission, True


def form_submit_staff(
    *,
    actor: Actor,
    form_id,
    patient_id,
    answers,
    signatures,
    appointment_id=None,
    version: int | None = None,
    signer_name: str = "",
    signed_at=None,
) -> FormSubmission:
    """Staff enter a completed form for a patient (a paper form, a phone interview). A paper
    form keeps the time it was signed (`signed_at`: within the last two years, not in the
    future), from which its validity runs."""
    from medspa.consents.services.links import _appointment, _form, _patient

    actor.require(SEND)
    now = timezone.now()
    if signed_at is not None and not (now - timedelta(days=730) <= signed_at <= now):
        raise InvalidInput(fields={"signed_at": "The date it was signed must be within the last two years."})
    form = _form(actor, form_id)
    patient = _patient(actor, patient_id)
    appointment = _appointment(actor, appointment_id, patient)
    current = current_version(form)
    if current is None:
        raise Conflict(f"{form.name} is not published.", code="form_not_published")
    if version is not None and version != current.number:
        raise Conflict(
            f"Version {version} of {form.name} is retired; use version {current.number}.", code="version_retired"
        )
    link_submittable_check(form, current)
    return _record(
        actor=actor,
        link=None,
        form=form,
        version=current,
        patient_id=patient.pk,
        appointment_id=appointment.pk if appointment else None,
        answers=answers,
        signatures=signatures,
        via=SubmissionVia.STAFF,
        uploads=set(),
        signer_name=(signer_name or "").strip()[:160],
        signed_at=signed_at,
    )


def _revoke(actor: Actor, submission: FormSubmission, reason: str, by_patient: bool) -> FormRevocation:
    reason = (reason or "").replace("\x00", "").strip()[:MAX_REASON] if isinstance(reason, str | type(None)) else ""
    existing = FormRevocation.objects.filter(submission=submission).first()
    if existing is not None:
        return existing
    revocation = FormRevocation.objects.create(
        clinic=submission.clinic,
        submission=submission,
        patient_id=submission.patient_id,
        reason=reason,
        by_patient=by_patient,
        recorded_by=actor.user,
        revoked_at=timezone.now(),
    )
    if submission.form.kind == FormKind.PHOTO_RELEASE:
        _photo_flags(submission.clinic, submission.patient_id)
    audit_record(
        action="form.revoked",
        actor=actor,
        obj=submission,
        patient_id=str(submission.patient_id),
        changes={"reason": reason, "by_patient": by_patient},
    )
    return revocation


def submission_revoke(*, actor: Actor, submission_id, reason: str = "", by_patient: bool = True) -> FormRevocation:
    """Record that the patient withdrew this consent (appended, effective at once; recording
    it twice keeps the first)."""
    actor.require(SEND)
    with transaction.atomic():
        submission = (
            FormSubmission.objects.select_for_update(of=("self",))
            .select_related("form")
            .filter(clinic=actor.clinic, pk=as_uuid(submission_id))
            .first()
        )
        if submission is None:
            raise NotFound()
        return _revoke(actor, submission, reason, by_patient)


def submission_revoke_by_link(*, token: str, reason: str = "") -> FormRevocation:
    """The patient withdraws the consent they submitted through this link (while it works)."""
    with transaction.atomic():
        link = link_resolve(token, for_update=True)
        if link.submission_id is None:
            raise Conflict("There is nothing to withdraw yet.", code="not_submitted")
        submission = FormSubmission.objects.select_related("form").get(pk=link.submission_id)
        return _revoke(_patient_actor(link), submission, reason, True)


def submission_profile_review(*, actor: Actor, submission_id, apply: list[str]) -> FormSubmission:
    """Staff confirm which of the answers offered to the profile (allergies, medications, skin
    type) to apply; the rest are dismissed. Applied allergies and medications are added to
    those on file, never replacing them."""
    from medspa.patients.models import Allergy

    actor.require("patients.edit")
    actor.require("patients.view_clinical")
    if not isinstance(apply, list) or not all(a in ProfileTarget.values for a in apply):
        raise InvalidInput(fields={"apply": "Choose among allergies, medications and skin type."})
    with transaction.atomic():
        submission = (
            FormSubmission.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(submission_id)).first()
        )
        if submission is None:
            raise NotFound()
        if submission.profile_review != ProfileReview.PENDING:
            raise Conflict("These answers were already reviewed.", code="already_reviewed")
        patient = Patient.objects.select_for_update().get(pk=submission.patient_id)
        offered = submission.profile_updates
        applied = []
        for target in apply:
            value = offered.get(target)
            if not value:
                continue
            if target == ProfileTarget.SKIN_TYPE:
                patient.skin_type = value
            elif target == ProfileTarget.MEDICATIONS:
                have = {m.casefold() for m in patient.medications}
                lines = [line.strip()[:200] for line in str(value).splitlines() if line.strip()]
                patient.medications = [*patient.medications, *[m for m in lines if m.casefold() not in have]][:100]
            elif target == ProfileTarget.ALLERGIES:
                have = {
                    a.casefold() for a in Allergy.objects.filter(patient=patient).values_list("substance", flat=True)
                }
                for line in str(value).splitlines():
                    substance = line.strip()[:120]
                    if substance and substance.casefold() not in have:
                        Allergy.objects.create(clinic=actor.clinic, patient=patient, substance=substance)
                        have.add(substance.casefold())
            applied.append(target)
        patient.version = F("version") + 1
        patient.save(update_fields=["skin_type", "medications", "version", "updated_at"])
        submission.profile_review = ProfileReview.APPLIED if applied else ProfileReview.DISMISSED
        submission.save(update_fields=["profile_review", "updated_at"])
        audit_record(
            action="patient.updated_from_form",
            actor=actor,
            obj=submission,
            patient_id=str(patient.pk),
            changes={"applied": applied},
        )
    return submission
