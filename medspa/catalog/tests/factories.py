"""Catalog test data, made through the real services (validation and audit included)."""

from __future__ import annotations

from decimal import Decimal

from medspa.catalog import services
from medspa.core.actors import Actor
from medspa.core.models import Location
from medspa.core.permissions import Role


def owner_actor(clinic, user) -> Actor:
    return Actor.staff(user=user, clinic=clinic, role=Role.OWNER)


def make_catalog(actor: Actor, *, provider=None, suffix: str = "") -> dict:
    """A small menu: one category, a tax rate, two rooms, a device, a consultation, a
    laser service needing the device, a taxable facial and an add-on."""
    location = Location.objects.filter(clinic=actor.clinic).first()
    rate = services.tax_rate_create(actor=actor, data={"name": f"Sales tax{suffix}", "rate": Decimal("8.875")})
    category = services.category_create(actor=actor, data={"name": f"Skin{suffix}"})
    room = services.room_create(actor=actor, data={"location_id": location.pk, "name": "Laser room", "kind": "laser"})
    consult_room = services.room_create(
        actor=actor, data={"location_id": location.pk, "name": "Consult room", "kind": "consult"}
    )
    device = services.equipment_create(
        actor=actor, data={"location_id": location.pk, "name": "IPL laser", "kind": "ipl", "quantity": 1}
    )
    providers = [provider.pk] if provider is not None else []
    consult = services.service_create(
        actor=actor,
        data={
            "name": f"Consultation{suffix}",
            "duration_minutes": 30,
            "price": 0,
            "bookable_online": True,
            "room_kind": "consult",
            "provider_ids": providers,
        },
    )
    addon = services.service_create(
        actor=actor,
        data={
            "name": f"LED add-on{suffix}",
            "duration_minutes": 15,
            "price": "50.00",
            "is_addon": True,
            "category_id": category.pk,
            "taxable": True,
            "tax_rate_ids": [rate.pk],
        },
    )
    ipl = services.service_create(
        actor=actor,
        data={
            "name": f"IPL photofacial{suffix}",
            "category_id": category.pk,
            "duration_minutes": 45,
            "buffer_after_minutes": 10,
            "price": "400.00",
            "deposit_kind": "percent",
            "deposit_value": 20,
            "room_kind": "laser",
            "equipment_ids": [device.pk],
            "concerns": ["pigmentation", "redness"],
            "provider_ids": providers,
            "addon_ids": [addon.pk],
            "consultation_service_id": consult.pk,
            "consultation_valid_months": 12,
        },
    )
    facial = services.service_create(
        actor=actor,
        data={
            "name": f"Facial{suffix}",
            "category_id": category.pk,
            "duration_minutes": 60,
            "price": "225.00",
            "taxable": True,
            "tax_rate_ids": [rate.pk],
            "bookable_online": True,
            "concerns": ["texture"],
        },
    )
    return {
        "location": location,
        "tax_rate": rate,
        "category": category,
        "room": room,
        "consult_room": consult_room,
        "equipment": device,
        "consult": consult,
        "addon": addon,
        "ipl": ipl,
        "facial": facial,
    }
