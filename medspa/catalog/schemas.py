"""API shapes for the catalog."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ninja import Schema


class CategoryOut(Schema):
    id: UUID
    name: str


class ServiceOut(Schema):
    """A service on the menu. Money is a decimal string in the clinic's currency."""

    id: UUID
    name: str
    description: str
    category: CategoryOut | None
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    price: Decimal
    currency: str
    taxable: bool
    tax_rates: list[dict]
    deposit_kind: str
    deposit_value: Decimal
    deposit_amount: Decimal
    bookable_online: bool
    consultation_service_id: UUID | None
    consultation_valid_months: int | None
    concerns: list[str]
    treatment_type: str
    room_kind: str
    equipment_ids: list[UUID]
    practitioner_ids: list[UUID]
    color: str
    is_addon: bool
    addon_ids: list[UUID]
    active: bool
    position: int
    version: int
    updated_at: datetime


class ServicePage(Schema):
    items: list[ServiceOut]
    next: str | None
