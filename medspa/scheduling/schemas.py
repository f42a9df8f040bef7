"""API shapes for booking and the calendar. Responses are plain dicts built in api.py; these
schemas validate requests and document the answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

Source = Literal["online", "admin", "phone", "walk_in", "assistant"]
Status = Literal["requested", "scheduled", "confirmed", "arrived", "in_progress", "completed", "cancelled", "no_show"]


class BookingIn(Schema):
    model_config = ConfigDict(extra="forbid")
    patient_id: UUID
    service_id: UUID
    practitioner_id: UUID
    start: datetime
    location_id: UUID | None = None
    room_id: UUID | None = None
    notes: str = Field(default="", max_length=2000)
    additional_service_ids: list[UUID] = Field(default_factory=list, max_length=4)
    addon_ids: list[UUID] = Field(default_factory=list, max_length=5)
    source: Source = "admin"
    double_book: bool = False
    repeat_every_weeks: int | None = Field(default=None, ge=1, le=52)
    repeat_count: int | None = Field(default=None, ge=2, le=52)


class MoveIn(Schema):
    model_config = ConfigDict(extra="forbid")
    start: datetime
    practitioner_id: UUID | None = None
    room_id: UUID | None = None
    duration_minutes: int | None = Field(default=None, ge=1, le=720)
    version: int | None = Field(default=None, ge=1)
    double_book: bool = False
    reason: str = Field(default="", max_length=300)


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=300)


class StatusIn(Schema):
    model_config = ConfigDict(extra="forbid")
    status: Status
    reason: str = Field(default="", max_length=300)


class WaitlistIn(Schema):
    model_config = ConfigDict(extra="forbid")
    patient_id: UUID
    service_id: UUID
    practitioner_id: UUID | None = None
    location_id: UUID | None = None
    date_from: date
    date_to: date
    times_of_day: list[Literal["morning", "afternoon", "evening"]] = Field(default_factory=list, max_length=3)
    notes: str = Field(default="", max_length=500)


class SlotOut(Schema):
    start: datetime
    end: datetime
    practitioner_id: UUID
    room_id: UUID | None
    equipment_ids: list[UUID]
    best: bool


class AvailabilityOut(Schema):
    slots: list[SlotOut]
    reasons: list[str]


class AppointmentOut(Schema):
    id: UUID
    visit_id: UUID
    status: str
    start: datetime
    end: datetime
    practitioner_id: UUID
    patient_id: UUID
    service_id: UUID
    location_id: UUID
    room_id: UUID | None
    source: str
    notes: str
    version: int
    double_booked: bool


class AppointmentPage(Schema):
    items: list[dict]
    next: str | None
