"""Schemas of the public booking API (named Public* so they never collide with the staff
API's schemas in the one OpenAPI document)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

TimeOfDay = Literal["morning", "afternoon", "evening"]


class PublicHoldIn(Schema):
    model_config = ConfigDict(extra="forbid")
    service_ids: list[UUID] = Field(min_length=1, max_length=5)
    start: datetime
    practitioner_id: UUID | None = None
    location_id: UUID | None = None
    addon_ids: list[UUID] = Field(default_factory=list, max_length=5)


class PublicBookingIn(Schema):
    model_config = ConfigDict(extra="forbid")
    hold_token: str = Field(min_length=10, max_length=200)
    first_name: str = Field(max_length=80)
    last_name: str = Field(max_length=80)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    notes: str = Field(default="", max_length=1000)
    accept_policy: bool = False
    policy_version: int | None = Field(default=None, ge=1)
    website: str = Field(default="", max_length=200, description="Leave empty (spam trap).")


class PublicDepositIn(Schema):
    model_config = ConfigDict(extra="forbid")
    hold_token: str = Field(min_length=10, max_length=200)
    outcome: Literal["approve", "decline"] = Field(description="Test mode only: the result to simulate.")


class PublicCancelIn(Schema):
    model_config = ConfigDict(extra="forbid")
    confirm_late: bool = False
    reason: str = Field(default="", max_length=300)


class PublicRescheduleIn(Schema):
    model_config = ConfigDict(extra="forbid")
    start: datetime


class PublicWaitlistIn(Schema):
    model_config = ConfigDict(extra="forbid")
    service_id: UUID
    practitioner_id: UUID | None = None
    location_id: UUID | None = None
    first_name: str = Field(max_length=80)
    last_name: str = Field(max_length=80)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    date_from: date
    date_to: date
    times_of_day: list[TimeOfDay] = Field(default_factory=list, max_length=3)
    notes: str = Field(default="", max_length=500)
    website: str = Field(default="", max_length=200)
