"""Catalog routes of the API: the service menu for booking clients."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router

from medspa.accounts.auth import needs
from medspa.catalog import selectors
from medspa.catalog.choices import Concern
from medspa.catalog.models import Service
from medspa.catalog.schemas import ServicePage
from medspa.core.errors import InvalidInput
from medspa.core.pagination import MAX_OFFSET, clamp_limit, decode_cursor, page_body

router = Router(tags=["booking"])


def service_json(service: Service, currency: str) -> dict:
    category = service.category
    return {
        "id": service.pk,
        "name": service.name,
        "description": service.description,
        "category": {"id": category.pk, "name": category.name} if category else None,
        "duration_minutes": service.duration_minutes,
        "buffer_before_minutes": service.buffer_before_minutes,
        "buffer_after_minutes": service.buffer_after_minutes,
        "price": service.price,
        "currency": currency,
        "taxable": service.taxable,
        "tax_rates": [{"id": r.pk, "name": r.name, "rate": r.rate} for r in service.tax_rates.all()],
        "deposit_kind": service.deposit_kind,
        "deposit_value": service.deposit_value,
        "deposit_amount": service.deposit_amount,
        "bookable_online": service.bookable_online,
        "consultation_service_id": service.consultation_service_id,
        "consultation_valid_months": service.consultation_valid_months,
        "concerns": service.concerns,
        "treatment_type": service.treatment_type,
        "room_kind": service.room_kind,
        "equipment_ids": [e.pk for e in service.equipment.all()],
        "practitioner_ids": [u.pk for u in service.providers.all()],
        "color": service.color,
        "is_addon": service.is_addon,
        "addon_ids": [a.pk for a in service.addons.all()],
        "active": service.active,
        "position": service.position,
        "version": service.version,
        "updated_at": service.updated_at,
    }


@router.get("/booking/services", response=ServicePage, **needs("catalog.view"))
def booking_services(
    request: HttpRequest,
    category: UUID | None = None,
    concern: str = Query("", max_length=40),
    treatment_type: Literal["", "invasive", "non_invasive"] = "",
    online: bool = False,
    location_id: UUID | None = None,
    limit: int = Query(50, ge=1, le=100),
    cursor: str | None = Query(None, max_length=200),
    offset: int | None = Query(None, ge=0, le=MAX_OFFSET),
):
    """Active services in menu order. `online=true` keeps those bookable online; `concern` is
    one of the concern slugs; `location_id` keeps what can be performed there."""
    if concern and concern not in Concern.values:
        raise InvalidInput(fields={"concern": f"Use one of: {', '.join(Concern.values)}."})
    actor = request.auth
    location = None
    if location_id is not None:
        location = selectors.locations_for(actor=actor).filter(pk=location_id).first()
        if location is None:
            raise InvalidInput(fields={"location_id": "Unknown location."})
    start = offset if offset is not None else decode_cursor(cursor)
    limit = clamp_limit(limit)
    services = selectors.services_for(
        actor=actor,
        category=category,
        concern=concern,
        treatment_type=treatment_type,
        online_only=online,
        location=location,
    )
    page = list(services[start : start + limit + 1])
    currency = actor.clinic.currency
    items = [service_json(s, currency) for s in page[:limit]]
    return JsonResponse(page_body(items, offset=start, limit=limit, has_more=len(page) > limit))
