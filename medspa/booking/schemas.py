"""Schemas of the public booking API (named Public* so they never collide with the staff
API's schemas in the one OpenAPI document)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field

TimeOfDay = Literal["morning", "afternoon", "evening"]
# Nothing on the portal is further than this from today (the rolling window is at most a year).
REACH = timedelta(days=400)


def _near_time(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("Include a UTC offset.")
    if abs(value - timezone.now()) > REACH:
        raise ValueError("Pick a time within the next year.")
    return value


def _near_date(value: date) -> date:
    if abs(value - timezone.now().date()) > REACH:
        raise ValueError("Pick a date within the next year.")
    return value


NearTime = Annotated[datetime, AfterValidator(_near_time)]
NearDate = Annotated[date, AfterValidator(_near_date)]


class PublicHoldIn(Schema):
    model_config = ConfigDict(extra="forbid")
    service_ids: list[UUID] = Field(min_length=1, max_length=5)
    start: NearTime
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
    start: NearTime


class PublicWaitlistIn(Schema):
    model_config = ConfigDict(extra="forbid")
    service_id: UUID
    practitioner_id: UUID | None = None
    location_id: UUID | None = None
    first_name: str = Field(max_length=80)
    last_name: str = Field(max_length=80)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    date_from: NearDate
    date_to: NearDate
    times_of_day: list[TimeOfDay] = Field(default_factory=list, max_length=3)
    notes: str = Field(default="", max_length=500)
    website: str = Field(default="", max_length=200)
