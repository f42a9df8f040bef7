"""API shapes for forms and consents. Responses are plain dicts built in api.py; these schemas
validate requests and document responses. A definition is checked by the service (its rules
live in `medspa.consents.definition`); here only its size is bounded."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

MAX_VALID_DAYS = 3650


class FormIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=120)
    kind: str = Field(max_length=16)
    description: str = Field(default="", max_length=300)
    # Days a completed form counts; null (or 0) for until revoked.
    valid_days: int | None = Field(default=None, ge=0, le=MAX_VALID_DAYS)
    prefill: bool = True
    definition: dict[str, Any] = Field(max_length=4)
    publish: bool = False


class FormUpdate(Schema):
    """Only the fields given change; `definition` becomes the draft of the next version."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=120)
    kind: str | None = Field(default=None, max_length=16)
    description: str | None = Field(default=None, max_length=300)
    valid_days: int | None = Field(default=None, ge=0, le=MAX_VALID_DAYS)
    prefill: bool | None = None
    active: bool | None = None
    definition: dict[str, Any] | None = Field(default=None, max_length=4)


class PublishIn(Schema):
    model_config = ConfigDict(extra="forbid")
    # Material: patients must sign again before their next visit.
    material: bool
    note: str = Field(default="", max_length=300)
    # The version the editor started from (0 before the first publish): another publish since is a 409.
    base_version: int | None = Field(default=None, ge=0, le=1_000_000)


class RuleIn(Schema):
    """A form a visit needs: for a service, a provider, both, or (neither) every visit."""

    model_config = ConfigDict(extra="forbid")
    service_id: UUID | None = None
    provider_id: UUID | None = None


class RequirementsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    rules: list[RuleIn] = Field(max_length=200)


class SubmitIn(Schema):
    """Either the patient's link (`token`, nothing else but answers and signatures) or staff
    entering a completed form for `patient_id`."""

    model_config = ConfigDict(extra="forbid")
    token: str | None = Field(default=None, max_length=100)
    patient_id: UUID | None = None
    appointment_id: UUID | None = None
    version: int | None = Field(default=None, ge=1, le=1_000_000)
    answers: dict[str, Any] = Field(default_factory=dict, max_length=300)
    # Per signature field: {"method": "typed", "name": ...} or {"method": "drawn", "image": "data:image/png;base64,…"}.
    signatures: dict[str, Any] = Field(default_factory=dict, max_length=20)
    signer_name: str = Field(default="", max_length=160)


class SendIn(Schema):
    model_config = ConfigDict(extra="forbid")
    patient_id: UUID
    appointment_id: UUID | None = None
    channel: str = Field(default="email", max_length=8)
    days: int = Field(default=7, ge=1, le=60)


class RevokeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500)
    # Whether the patient withdrew it (false: the clinic recorded it for another reason).
    by_patient: bool = True


class FormSummary(Schema):
    id: UUID
    key: str
    name: str
    kind: str
    description: str
    valid_days: int | None
    prefill: bool
    active: bool
    from_library: bool
    current_version: int
    material_version: int
    draft_pending: bool


class VersionOut(Schema):
    form_id: UUID
    number: int
    material: bool
    change_note: str
    definition_hash: str
    published_at: datetime


class RequirementOut(Schema):
    id: UUID
    service_id: UUID | None
    service_name: str
    provider_id: UUID | None
    provider_name: str


class FormOut(FormSummary):
    definition: dict[str, Any] | None
    draft: dict[str, Any] | None
    requirements: list[RequirementOut]
    versions: list[VersionOut]


class SubmissionRow(Schema):
    id: UUID
    form_id: UUID
    form_name: str
    kind: str
    version: int
    patient_id: UUID
    appointment_id: UUID | None
    via: str
    signer_name: str
    submitted_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    status: str


class FormSubmissionRow(SubmissionRow):
    patient_name: str


class SubmitOut(Schema):
    """All a link's caller gets back: ids, the version answered, when, and the content's hash."""

    id: UUID
    version: int
    submitted_at: datetime
    content_hash: str


class SentOut(Schema):
    link_id: UUID
    expires_at: datetime
    channel: str
    # Only when the channel is `copy` (staff pass the link on themselves).
    url: str | None


class LinkOut(Schema):
    id: UUID
    form_id: UUID
    form_name: str
    version: int
    appointment_id: UUID | None
    via: str
    channel: str
    expires_at: datetime
    opened_at: datetime | None
    created_at: datetime


class PatientFormsOut(Schema):
    patient_id: UUID
    submissions: list[SubmissionRow]
    links: list[LinkOut]


class RequiredOut(Schema):
    form_id: UUID
    name: str
    kind: str
    status: str
    submission_id: UUID | None
    expires_at: datetime | None


class StandingOut(Schema):
    appointment_id: UUID
    ok: bool
    summary: str
    forms: list[RequiredOut]


class SignatureMeta(Schema):
    field: str
    method: str
    name: str
    signed_at: str | None
    image_sha256: str | None


class SubmissionOut(FormSubmissionRow):
    content_hash: str
    signature_hash: str
    definition_hash: str
    signatures: list[SignatureMeta]
    # What the patient saw and answered; withheld (null) from roles without clinical access
    # for intake and assessment forms.
    document: dict[str, Any] | None
    content_withheld: bool
    revocation: dict[str, Any] | None
    profile_review: str
    profile_updates: dict[str, Any] | None


class RevocationOut(Schema):
    submission_id: UUID
    revoked_at: datetime
    reason: str
    by_patient: bool
