"""Form and consent routes of the API: forms with their versions and requirements, sending a
form to a patient, submitting one (through the patient's link or entered by staff), a
patient's forms, an appointment's standing, a submission (audited) and its revocation.

The submit route is the only one open without staff credentials: a JSON body carrying a
link's `token` is the patient's own credential for that one form."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from django.http import HttpRequest
from django.http.request import RawPostDataException
from django.utils import timezone
from ninja import Query, Router, Status

from medspa.accounts.auth import needs
from medspa.consents import selectors, services
from medspa.consents.choices import FormStatus
from medspa.consents.models import Form, FormSubmission, FormVersion
from medspa.consents.schemas import (
    FormIn,
    FormOut,
    FormSubmissionRow,
    FormSummary,
    FormUpdate,
    PatientFormsOut,
    PublishIn,
    RequirementOut,
    RequirementsIn,
    RevocationOut,
    RevokeIn,
    SendIn,
    SentOut,
    StandingOut,
    SubmissionOut,
    SubmitIn,
    SubmitOut,
    VersionOut,
)
from medspa.core import ratelimit
from medspa.core.errors import InvalidInput, NotFound
from medspa.core.middleware import client_ip
from medspa.patients import selectors as patient_selectors

router = Router(tags=["forms"])
VIEW = needs("consents.view")
SEND = needs("consents.send")
MANAGE = needs("consents.manage")
LINK_SUBMITS_PER_IP_PER_MINUTE = 30


@dataclass(frozen=True)
class PatientLink:
    """The caller of a patient's form link: the link's secret is their only credential."""

    token: str


def link_token(request: HttpRequest) -> PatientLink | None:
    """A JSON body carrying a non-empty `token` is the patient's link (tried before staff
    credentials, so the same body means the same thing whoever sends it)."""
    if request.content_type != "application/json":
        return None
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, RawPostDataException):
        return None
    token = body.get("token") if isinstance(body, dict) else None
    return PatientLink(token) if isinstance(token, str) and token else None


# Staff holding consents.send, or anyone holding a patient's link (anonymous by design).
SUBMIT = {
    "auth": [link_token, *SEND["auth"]],
    "openapi_extra": {**SEND["openapi_extra"], "x-access": "public"},
}


@contextmanager
def _fields_renamed(rename: Callable[[str], str]) -> Iterator[None]:
    """Name a service's field errors after the request's fields."""
    try:
        yield
    except InvalidInput as exc:
        exc.fields = {rename(name): message for name, message in exc.fields.items()}
        raise


def _definition_field(name: str) -> str:
    return f"definition.{name}" if name.startswith(("sections", "scoring")) else name


def _rules_field(name: str) -> str:
    return "rules" + name[len("requirements") :] if name.startswith("requirements") else name


# --- shapes ------------------------------------------------------------------------------


def form_summary(form: Form) -> dict:
    return {
        "id": form.pk,
        "key": form.key,
        "name": form.name,
        "kind": form.kind,
        "description": form.description,
        "valid_days": form.valid_days,
        "prefill": form.prefill,
        "active": form.active,
        "from_library": form.from_library,
        "current_version": form.current_version,
        "material_version": form.material_version,
        "draft_pending": form.draft is not None,
    }


def version_json(version: FormVersion) -> dict:
    return {
        "form_id": version.form_id,
        "number": version.number,
        "material": version.material,
        "change_note": version.change_note,
        "definition_hash": version.definition_hash,
        "published_at": version.published_at,
    }


def requirement_json(rule) -> dict:
    return {
        "id": rule.pk,
        "service_id": rule.service_id,
        "service_name": rule.service.name if rule.service_id else "",
        "provider_id": rule.provider_id,
        "provider_name": rule.provider.full_name if rule.provider_id else "",
    }


def form_json(actor, form: Form) -> dict:
    current = selectors.current_version(form)
    return {
        **form_summary(form),
        "definition": current.definition if current else None,
        "draft": form.draft,
        "requirements": [requirement_json(r) for r in selectors.form_requirements(actor=actor, form=form)],
        "versions": [version_json(v) for v in selectors.form_versions(actor=actor, form=form)],
    }


def _status(submission: FormSubmission, revoked_at, now) -> str:
    """valid, expired, revoked or outdated (whether it still counts today)."""
    state = selectors.submission_state(submission, revoked=revoked_at is not None, at=now)
    return "valid" if state == FormStatus.COMPLETE else state


def submission_row(submission: FormSubmission, revoked_at, now) -> dict:
    """Needs the row's form and version loaded."""
    return {
        "id": submission.pk,
        "form_id": submission.form_id,
        "form_name": submission.form.name,
        "kind": submission.form.kind,
        "version": submission.version.number,
        "patient_id": submission.patient_id,
        "appointment_id": submission.appointment_id,
        "via": submission.via,
        "signer_name": submission.signer_name,
        "submitted_at": submission.submitted_at,
        "expires_at": submission.expires_at,
        "revoked_at": revoked_at,
        "status": _status(submission, revoked_at, now),
    }


def submitted_json(submission: FormSubmission) -> dict:
    """What a submitter gets back (a patient's link too): ids, version, time and hash only."""
    return {
        "id": submission.pk,
        "version": submission.version.number,
        "submitted_at": submission.submitted_at,
        "content_hash": submission.content_hash,
    }


def _signature_meta(mark: dict) -> dict:
    return {
        "field": mark.get("field", ""),
        "method": mark.get("method", ""),
        "name": mark.get("name", ""),
        "signed_at": mark.get("signed_at"),
        "image_sha256": mark.get("image_sha256"),
    }


def submission_json(actor, submission: FormSubmission) -> dict:
    revocation = selectors.submission_revocation(submission=submission)
    revoked_at = revocation.revoked_at if revocation else None
    clinical = actor.can("patients.view_clinical")
    withheld = not selectors.content_visible(actor, submission)
    return {
        **submission_row(submission, revoked_at, timezone.now()),
        "patient_name": submission.patient.display_name,
        "content_hash": submission.content_hash,
        "signature_hash": submission.signature_hash,
        "definition_hash": submission.version.definition_hash,
        "signatures": [_signature_meta(m) for m in submission.signatures],
        "document": None if withheld else submission.document,
        "content_withheld": withheld,
        "revocation": (
            {"revoked_at": revocation.revoked_at, "reason": revocation.reason, "by_patient": revocation.by_patient}
            if revocation
            else None
        ),
        "profile_review": submission.profile_review,
        "profile_updates": submission.profile_updates if clinical else None,
    }


def link_json(link) -> dict:
    return {
        "id": link.pk,
        "form_id": link.form_id,
        "form_name": link.form.name,
        "version": link.version.number,
        "appointment_id": link.appointment_id,
        "via": link.via,
        "channel": link.channel,
        "expires_at": link.expires_at,
        "opened_at": link.opened_at,
        "created_at": link.created_at,
    }


def _form_detail(request: HttpRequest, form_id) -> dict:
    return form_json(request.auth, selectors.form_get(actor=request.auth, form_id=form_id))


# --- forms -------------------------------------------------------------------------------


@router.get("/forms", response=list[FormSummary], **VIEW)
def form_list(request: HttpRequest, include_retired: bool = True):
    """The clinic's forms by name (the library is installed on first use)."""
    services.form_library_install(clinic=request.auth.clinic)
    return [form_summary(f) for f in selectors.form_list(actor=request.auth, include_retired=include_retired)]


@router.post("/forms", response={201: FormOut}, **MANAGE)
def form_create(request: HttpRequest, payload: FormIn):
    """A new form, kept as a draft or (`publish`) published at once as version 1."""
    with _fields_renamed(_definition_field):
        form = services.form_create(
            actor=request.auth,
            name=payload.name,
            kind=payload.kind,
            definition=payload.definition,
            description=payload.description,
            valid_days=payload.valid_days,
            prefill=payload.prefill,
            publish=payload.publish,
        )
    return Status(201, _form_detail(request, form.pk))


@router.get("/forms/{form_id}", response=FormOut, **VIEW)
def form_detail(request: HttpRequest, form_id: UUID):
    """The form, its current version's definition, the draft, its requirements and versions."""
    return _form_detail(request, form_id)


@router.put("/forms/{form_id}", response=FormOut, **MANAGE)
def form_update(request: HttpRequest, form_id: UUID, payload: FormUpdate):
    """Change the fields given: a `definition` becomes the draft of the next version (published
    versions never change); settings apply from now on; `active: false` retires the form."""
    given = payload.model_fields_set - {"active"}
    if given:
        options = {"valid_days": payload.valid_days} if "valid_days" in given else {}
        with _fields_renamed(_definition_field):
            services.form_update(
                actor=request.auth,
                form_id=form_id,
                definition=payload.definition,
                name=payload.name,
                kind=payload.kind,
                description=payload.description,
                prefill=payload.prefill,
                **options,
            )
    if payload.active is not None:
        services.form_set_active(actor=request.auth, form_id=form_id, active=payload.active)
    return _form_detail(request, form_id)


@router.post("/forms/{form_id}/publish", response={201: VersionOut}, **MANAGE)
def form_publish(request: HttpRequest, form_id: UUID, payload: PublishIn):
    """Publish the draft as the next version; 409 `stale_version` when `base_version` is not
    the current one, 409 `nothing_to_publish` without a draft."""
    version = services.form_publish(
        actor=request.auth,
        form_id=form_id,
        material=payload.material,
        note=payload.note,
        base_version=payload.base_version,
    )
    return Status(201, version_json(version))


@router.put("/forms/{form_id}/requirements", response=list[RequirementOut], **MANAGE)
def form_requirements_set(request: HttpRequest, form_id: UUID, payload: RequirementsIn):
    """Replace which visits need the form: each rule names a service, a provider, both, or
    neither (every visit)."""
    rules = [
        {
            "service_id": str(r.service_id) if r.service_id else None,
            "provider_id": str(r.provider_id) if r.provider_id else None,
        }
        for r in payload.rules
    ]
    with _fields_renamed(_rules_field):
        services.requirements_set(actor=request.auth, form_id=form_id, rules=rules)
    form = selectors.form_get(actor=request.auth, form_id=form_id)
    return [requirement_json(r) for r in selectors.form_requirements(actor=request.auth, form=form)]


@router.get("/forms/{form_id}/submissions", response=list[FormSubmissionRow], **VIEW)
def form_submission_list(request: HttpRequest, form_id: UUID, limit: int = Query(50, ge=1, le=200)):
    """The form's submissions, newest first (the listing is audited)."""
    actor = request.auth
    rows = list(selectors.form_submissions(actor=actor, form_id=form_id).select_related("form")[:limit])
    revoked = selectors.revocation_times(actor=actor, submissions=rows)
    now = timezone.now()
    return [{**submission_row(row, revoked.get(row.pk), now), "patient_name": row.patient.display_name} for row in rows]


@router.post("/forms/{form_id}/submit", response={200: SubmitOut, 201: SubmitOut}, **SUBMIT)
def form_submit(request: HttpRequest, form_id: UUID, payload: SubmitIn):
    """Submit a completed form: with the patient's link `token` (no staff credentials; 201,
    then 200 with the same submission when sent again; 404 for another form's link, 410 once
    it expired, 409 when the version was replaced), or as staff for `patient_id`."""
    if isinstance(request.auth, PatientLink):
        return _submit_link(request, form_id, payload)
    if payload.patient_id is None:
        raise InvalidInput(fields={"patient_id": "Choose the patient."})
    submission = services.form_submit_staff(
        actor=request.auth,
        form_id=form_id,
        patient_id=payload.patient_id,
        answers=payload.answers,
        signatures=payload.signatures,
        appointment_id=payload.appointment_id,
        version=payload.version,
        signer_name=payload.signer_name,
    )
    return Status(201, submitted_json(submission))


def _submit_link(request: HttpRequest, form_id: UUID, payload: SubmitIn):
    staff_only = {"patient_id", "appointment_id", "version", "signer_name"} & payload.model_fields_set
    if staff_only:
        message = "The link names the patient and the form version."
        raise InvalidInput(fields=dict.fromkeys(sorted(staff_only), message))
    ratelimit.hit("forms.submit.ip", client_ip(request) or "unknown", limit=LINK_SUBMITS_PER_IP_PER_MINUTE, seconds=60)
    token = request.auth.token
    if selectors.link_form_id(token) != form_id:
        raise NotFound()
    submission, created = services.form_submit_link(token=token, answers=payload.answers, signatures=payload.signatures)
    return Status(201 if created else 200, submitted_json(submission))


@router.post("/forms/{form_id}/send", response={201: SentOut}, **SEND)
def form_send(request: HttpRequest, form_id: UUID, payload: SendIn):
    """Send the form to a patient by email, or (`copy`) make the link for staff to pass on:
    only then is its URL in the answer (it is never shown again)."""
    sent = services.form_send(
        actor=request.auth,
        form_id=form_id,
        patient_id=payload.patient_id,
        appointment_id=payload.appointment_id,
        channel=payload.channel,
        days=payload.days,
    )
    return Status(
        201,
        {
            "link_id": sent.link.pk,
            "expires_at": sent.link.expires_at,
            "channel": payload.channel,
            "url": request.build_absolute_uri(sent.path) if payload.channel == "copy" else None,
        },
    )


# --- a patient's forms, an appointment's standing, one submission ------------------------


@router.get("/patients/{patient_id}/forms", response=PatientFormsOut, **VIEW)
def patient_forms(request: HttpRequest, patient_id: UUID):
    """The patient's submissions (through merges; the listing is audited), each with whether
    it still counts, and the links they can still use."""
    actor = request.auth
    patient_selectors.patient_get(actor=actor, patient_id=patient_id)
    now = timezone.now()
    rows = selectors.patient_submissions(actor=actor, patient_id=patient_id)
    links = selectors.patient_links(actor=actor, patient_id=patient_id).filter(
        submission__isnull=True, expires_at__gt=now
    )
    return {
        "patient_id": patient_id,
        "submissions": [submission_row(row, row.revoked_at, now) for row in rows],
        "links": [link_json(link) for link in links],
    }


@router.get("/appointments/{appointment_id}/forms", response=StandingOut, **VIEW)
def appointment_forms(request: HttpRequest, appointment_id: UUID):
    """Every form the appointment requires with its status, and the summary shown as its icon."""
    standing = selectors.appointment_standing(actor=request.auth, appointment_id=appointment_id)
    return {
        "appointment_id": appointment_id,
        "ok": standing.ok,
        "summary": standing.summary,
        "forms": [
            {
                "form_id": r.form_id,
                "name": r.name,
                "kind": r.kind,
                "status": r.status,
                "submission_id": r.submission_id,
                "expires_at": r.expires_at,
            }
            for r in standing.forms
        ],
    }


@router.get("/form-submissions/{submission_id}", response=SubmissionOut, **VIEW)
def submission_detail(request: HttpRequest, submission_id: UUID):
    """What the patient saw and signed, with the signatures and hashes (the read is audited).
    Intake and assessment answers go only to roles that see the clinical record."""
    submission = selectors.submission_get(actor=request.auth, submission_id=submission_id, via="api", content=False)
    return submission_json(request.auth, submission)


@router.post("/form-submissions/{submission_id}/revoke", response=RevocationOut, **SEND)
def submission_revoke(request: HttpRequest, submission_id: UUID, payload: RevokeIn):
    """Record that the consent was withdrawn (effective at once; recording it again keeps the first)."""
    revocation = services.submission_revoke(
        actor=request.auth, submission_id=submission_id, reason=payload.reason, by_patient=payload.by_patient
    )
    return {
        "submission_id": revocation.submission_id,
        "revoked_at": revocation.revoked_at,
        "reason": revocation.reason,
        "by_patient": revocation.by_patient,
    }
