"""API shapes for charts and templates. Responses are plain dicts built in api.py; these
schemas validate requests and document responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field


class ChartCreate(Schema):
    model_config = ConfigDict(extra="forbid")
    appointment_id: UUID | None = None
    patient_id: UUID | None = None
    template_id: UUID | None = None
    service_id: UUID | None = None


class ChartUpdate(Schema):
    model_config = ConfigDict(extra="forbid")
    content: dict[str, Any]
    version: int = Field(ge=1)


class SignIn(Schema):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=256)
    override_reason: str = Field(default="", max_length=500)
    # Optional drawn signature: a `data:image/png;base64,…` URL (at most ~300 KB of PNG).
    signature_image: str | None = Field(default=None, max_length=420_000)


class SignManyIn(Schema):
    model_config = ConfigDict(extra="forbid")
    chart_ids: list[UUID] = Field(min_length=1, max_length=50)
    password: str = Field(max_length=256)


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(max_length=4000)


class AmendIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=300)
    text: str = Field(default="", max_length=10000)
    password: str = Field(max_length=256)
    product_corrections: list[dict[str, Any]] = Field(default_factory=list, max_length=30)


class TemplateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=300)
    sections: list[dict[str, Any]] = Field(max_length=30)


class TemplateUpdate(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=120)
    sections: list[dict[str, Any]] = Field(max_length=30)
    base_version: int | None = Field(default=None, ge=1)


class TemplateOut(Schema):
    id: UUID
    key: str
    name: str
    description: str
    from_library: bool
    active: bool
    version: int
    sections: list[dict[str, Any]]


class SignatureOut(Schema):
    id: UUID
    kind: str
    signer_id: UUID
    signer_name: str
    signer_role: str
    meaning: str
    signed_at: datetime
    content_hash: str
    signature_hash: str
    override_reason: str
    amendment_number: int | None


class ChartSummary(Schema):
    id: UUID
    patient_id: UUID
    patient_name: str
    appointment_id: UUID | None
    service: str
    provider: str
    template: str
    status: str
    treated_at: datetime
    submitted_at: datetime | None
    info_requested: bool


class ChartOut(Schema):
    id: UUID
    patient_id: UUID
    appointment_id: UUID | None
    service_id: UUID | None
    provider_id: UUID
    provider_name: str
    status: str
    requires_md_review: bool
    version: int
    treated_at: datetime
    submitted_at: datetime | None
    md_signed_at: datetime | None
    locked_at: datetime | None
    info_requested: bool
    template: dict[str, Any]
    content: dict[str, Any]
    totals: dict[str, Any]
    alerts: dict[str, Any]
    signatures: list[SignatureOut]
    amendments: list[dict[str, Any]]
    review_notes: list[dict[str, Any]]


class ChecklistItemOut(Schema):
    key: str
    label: str
    ok: bool
    detail: str
