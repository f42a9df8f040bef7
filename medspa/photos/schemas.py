"""API shapes for clinical photos. Responses are plain dicts built in api.py; these
schemas validate requests and document the answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field, StrictInt


class AnnotationIn(Schema):
    """A new overlay version: every shape of the overlay, and the version it was drawn on."""

    model_config = ConfigDict(extra="forbid")
    shapes: list[Any] = Field(max_length=2000)
    base_version: StrictInt = Field(ge=0, le=1_000_000)


class PhotoUrls(Schema):
    original: str
    thumbnail: str


class PhotoOut(Schema):
    id: UUID
    patient_id: UUID
    appointment_id: UUID | None
    chart_id: UUID | None
    angle: str
    phase: str
    taken_at: datetime
    note: str
    consent_override: bool
    annotation_version: int
    width: int
    height: int
    content_type: str
    sha256: str
    urls: PhotoUrls


class PhotoListItem(Schema):
    id: UUID
    angle: str
    phase: str
    taken_at: datetime
    chart_id: UUID | None
    annotation_version: int
    thumbnail_url: str


class AnnotationVersionOut(Schema):
    number: int
    author: str
    created_at: datetime


class AnnotationOut(Schema):
    photo_id: UUID
    version: int
    shapes: list[Any]
    annotation_version: int
    versions: list[AnnotationVersionOut]
