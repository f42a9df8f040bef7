"""Demo service menu for each demo clinic: categories, a realistic medspa menu with add-ons,
deposits and consultation rules, a sales tax, and the rooms and devices of each location.

Runs after the clinics and staff exist (accounts) and before anything that books services.
Idempotent: rows are found by name and only missing ones are created, through the services
(so validation and the audit trail are what the application would write). Puts
`context["catalog"][clinic.slug]` = {"services": {name: Service}, "rooms": …, "equipment": …}.
"""

from __future__ import annotations

from decimal import Decimal

from medspa.catalog import selectors, services
from medspa.catalog.choices import Concern, DepositKind, EquipmentKind, RoomKind, TreatmentType
from medspa.core.actors import Actor
from medspa.core.permissions import Role

TAX_RATES = {"glow": ("Sales tax", Decimal("8.875")), "radiance": ("Sales tax", Decimal("10.250"))}

CATEGORIES = ["Consultations", "Injectables", "Laser & Light", "Skin"]

ROOMS = [
    ("Injection 1", RoomKind.INJECTION),
    ("Injection 2", RoomKind.INJECTION),
    ("Laser room", RoomKind.LASER),
    ("Facial room", RoomKind.FACIAL),
    ("Consult room", RoomKind.CONSULT),
]

EQUIPMENT = [
    ("IPL laser", EquipmentKind.IPL),
    ("Alexandrite laser", EquipmentKind.LASER),
    ("RF microneedling", EquipmentKind.RF_MICRONEEDLING),
    ("HydraFacial", EquipmentKind.HYDRAFACIAL),
]

INJECTOR = "injector"  # performed by the provider and the medical director
AESTHETIC = "aesthetic"  # performed by the provider

# Fields every demo service shares unless it says otherwise.
DEFAULTS = {
    "buffer_before_minutes": 0,
    "buffer_after_minutes": 10,
    "taxable": False,
    "deposit_kind": DepositKind.NONE,
    "deposit_value": Decimal(0),
    "bookable_online": True,
    "treatment_type": TreatmentType.NON_INVASIVE,
    "room_kind": "",
    "concerns": [],
    "is_addon": False,
}

# name, category, fields, equipment, who performs it.
SERVICES = [
    (
        "Consultation",
        "Consultations",
        {
            "description": "A free 30-minute visit to talk through goals and build a treatment plan.",
            "duration_minutes": 30,
            "buffer_after_minutes": 5,
            "price": Decimal("0.00"),
            "room_kind": RoomKind.CONSULT,
            "concerns": [Concern.AGING, Concern.VOLUME_LOSS, Concern.ACNE, Concern.PIGMENTATION],
            "color": "#64748b",
        },
        [],
        INJECTOR,
    ),
    (
        "Neurotoxin (Botox)",
        "Injectables",
        {
            "description": "Softens frown lines, forehead lines and crow's feet. Priced for a typical "
            "treatment; the final price depends on the units used.",
            "duration_minutes": 30,
            "price": Decimal("420.00"),
            "treatment_type": TreatmentType.INVASIVE,
            "room_kind": RoomKind.INJECTION,
            "concerns": [Concern.AGING, Concern.FINE_LINES, Concern.SWEATING],
            "color": "#6366f1",
        },
        [],
        INJECTOR,
    ),
    (
        "Dermal filler – lips",
        "Injectables",
        {
            "description": "Hyaluronic acid filler for lip volume and definition (one syringe).",
            "duration_minutes": 60,
            "buffer_after_minutes": 15,
            "price": Decimal("750.00"),
            "deposit_kind": DepositKind.FIXED,
            "deposit_value": Decimal("100.00"),
            "treatment_type": TreatmentType.INVASIVE,
            "room_kind": RoomKind.INJECTION,
            "concerns": [Concern.VOLUME_LOSS, Concern.AGING],
            "color": "#ec4899",
            "consultation": ("Consultation", 12),
        },
        [],
        INJECTOR,
    ),
    (
        "Dermal filler – cheeks",
        "Injectables",
        {
            "description": "Restores mid-face volume and lift (two syringes typical).",
            "duration_minutes": 60,
            "buffer_after_minutes": 15,
            "price": Decimal("850.00"),
            "deposit_kind": DepositKind.FIXED,
            "deposit_value": Decimal("100.00"),
            "treatment_type": TreatmentType.INVASIVE,
            "room_kind": RoomKind.INJECTION,
            "concerns": [Concern.VOLUME_LOSS, Concern.SKIN_LAXITY, Concern.AGING],
            "color": "#db2777",
            "consultation": ("Consultation", 12),
        },
        [],
        INJECTOR,
    ),
    (
        "Kybella",
        "Injectables",
        {
            "description": "Deoxycholic acid injections that reduce fullness under the chin (per vial).",
            "duration_minutes": 45,
            "buffer_after_minutes": 15,
            "price": Decimal("650.00"),
            "treatment_type": TreatmentType.INVASIVE,
            "room_kind": RoomKind.INJECTION,
            "concerns": [Concern.BODY_CONTOURING],
            "color": "#8b5cf6",
            "bookable_online": False,
            "consultation": ("Consultation", 6),
        },
        [],
        INJECTOR,
    ),
    (
        "PRP hair restoration",
        "Injectables",
        {
            "description": "Platelet-rich plasma from your own blood, injected into the scalp.",
            "duration_minutes": 60,
            "buffer_after_minutes": 15,
            "price": Decimal("700.00"),
            "treatment_type": TreatmentType.INVASIVE,
            "room_kind": RoomKind.INJECTION,
            "concerns": [Concern.HAIR_LOSS],
            "color": "#a855f7",
            "consultation": ("Consultation", 12),
        },
        [],
        INJECTOR,
    ),
    (
        "Laser hair removal – small area",
        "Laser & Light",
        {
            "description": "Upper lip, chin, underarms or bikini line.",
            "duration_minutes": 15,
            "price": Decimal("150.00"),
            "room_kind": RoomKind.LASER,
            "concerns": [Concern.HAIR_REMOVAL],
            "color": "#ef4444",
        },
        ["Alexandrite laser"],
        AESTHETIC,
    ),
    (
        "Laser hair removal – large area",
        "Laser & Light",
        {
            "description": "Full legs, back or chest.",
            "duration_minutes": 45,
            "price": Decimal("375.00"),
            "deposit_kind": DepositKind.PERCENT,
            "deposit_value": Decimal("20"),
            "room_kind": RoomKind.LASER,
            "concerns": [Concern.HAIR_REMOVAL],
            "color": "#dc2626",
        },
        ["Alexandrite laser"],
        AESTHETIC,
    ),
    (
        "IPL photofacial",
        "Laser & Light",
        {
            "description": "Intense pulsed light for sun spots, redness and uneven tone.",
            "duration_minutes": 45,
            "price": Decimal("400.00"),
            "deposit_kind": DepositKind.PERCENT,
            "deposit_value": Decimal("20"),
            "room_kind": RoomKind.LASER,
            "concerns": [Concern.PIGMENTATION, Concern.REDNESS, Concern.AGING],
            "color": "#f97316",
        },
        ["IPL laser"],
        AESTHETIC,
    ),
    (
        "Chemical peel",
        "Skin",
        {
            "description": "A medium-depth peel for texture, tone and breakouts.",
            "duration_minutes": 45,
            "price": Decimal("175.00"),
            "taxable": True,
            "room_kind": RoomKind.FACIAL,
            "concerns": [Concern.ACNE, Concern.PIGMENTATION, Concern.TEXTURE],
            "color": "#14b8a6",
        },
        [],
        AESTHETIC,
    ),
    (
        "Microneedling",
        "Skin",
        {
            "description": "Radio-frequency microneedling for scars, texture and firmness (numbing included).",
            "duration_minutes": 75,
            "buffer_after_minutes": 15,
            "price": Decimal("850.00"),
            "deposit_kind": DepositKind.PERCENT,
            "deposit_value": Decimal("20"),
            "treatment_type": TreatmentType.INVASIVE,
            "room_kind": RoomKind.FACIAL,
            "concerns": [Concern.SCARRING, Concern.TEXTURE, Concern.SKIN_LAXITY, Concern.AGING],
            "color": "#0ea5e9",
            "consultation": ("Consultation", 12),
        },
        ["RF microneedling"],
        AESTHETIC,
    ),
    (
        "HydraFacial-style facial",
        "Skin",
        {
            "description": "Cleanse, exfoliate, extract and hydrate in one relaxing treatment.",
            "duration_minutes": 60,
            "price": Decimal("225.00"),
            "taxable": True,
            "room_kind": RoomKind.FACIAL,
            "concerns": [Concern.TEXTURE, Concern.ACNE, Concern.AGING],
            "color": "#22c55e",
        },
        ["HydraFacial"],
        AESTHETIC,
    ),
    # Add-ons: attach to the services listed in ADDONS_FOR.
    (
        "Dermaplaning add-on",
        "Skin",
        {
            "description": "Gentle blade exfoliation that removes peach fuzz before your treatment.",
            "duration_minutes": 15,
            "buffer_after_minutes": 0,
            "price": Decimal("75.00"),
            "taxable": True,
            "is_addon": True,
            "concerns": [Concern.TEXTURE],
            "color": "#84cc16",
        },
        [],
        AESTHETIC,
    ),
    (
        "LED therapy add-on",
        "Skin",
        {
            "description": "Red and blue light to calm the skin and speed recovery.",
            "duration_minutes": 15,
            "buffer_after_minutes": 0,
            "price": Decimal("50.00"),
            "taxable": True,
            "is_addon": True,
            "concerns": [Concern.ACNE, Concern.REDNESS],
            "color": "#eab308",
        },
        [],
        AESTHETIC,
    ),
    (
        "Lip flip add-on",
        "Injectables",
        {
            "description": "A few units of neurotoxin to relax the upper lip.",
            "duration_minutes": 10,
            "buffer_after_minutes": 0,
            "price": Decimal("150.00"),
            "treatment_type": TreatmentType.INVASIVE,
            "is_addon": True,
            "concerns": [Concern.VOLUME_LOSS],
            "color": "#f472b6",
        },
        [],
        INJECTOR,
    ),
]

ADDONS_FOR = {
    "Chemical peel": ["Dermaplaning add-on", "LED therapy add-on"],
    "HydraFacial-style facial": ["Dermaplaning add-on", "LED therapy add-on"],
    "Microneedling": ["LED therapy add-on"],
    "IPL photofacial": ["LED therapy add-on"],
    "Neurotoxin (Botox)": ["Lip flip add-on"],
    "Dermal filler – lips": ["Lip flip add-on"],
}


def _by_name(rows) -> dict:
    return {row.name: row for row in rows}


def seed_clinic(clinic) -> dict:
    """Create whatever part of the demo menu `clinic` is missing; return it by name."""
    actor = Actor.system(clinic=clinic, label="demo")
    location = selectors.locations_for(actor=actor).order_by("name").first()

    tax_name, tax_value = TAX_RATES.get(clinic.slug, ("Sales tax", Decimal("8.875")))
    rates = _by_name(selectors.tax_rates_for(actor=actor, include_inactive=True))
    if tax_name not in rates:
        rates[tax_name] = services.tax_rate_create(actor=actor, data={"name": tax_name, "rate": tax_value})

    categories = _by_name(selectors.categories_for(actor=actor))
    for position, name in enumerate(CATEGORIES):
        if name not in categories:
            categories[name] = services.category_create(actor=actor, data={"name": name, "position": position})

    rooms = _by_name(selectors.rooms_for(actor=actor, location=location, include_inactive=True))
    for name, kind in ROOMS:
        if name not in rooms:
            rooms[name] = services.room_create(
                actor=actor, data={"location_id": location.pk, "name": name, "kind": kind}
            )
    equipment = _by_name(selectors.equipment_for(actor=actor, location=location, include_inactive=True))
    for name, kind in EQUIPMENT:
        if name not in equipment:
            equipment[name] = services.equipment_create(
                actor=actor, data={"location_id": location.pk, "name": name, "kind": kind, "quantity": 1}
            )

    injectors = [u.pk for u in selectors.provider_candidates(actor=actor, roles=(Role.PROVIDER, Role.MEDICAL_DIRECTOR))]
    aestheticians = [u.pk for u in selectors.provider_candidates(actor=actor, roles=(Role.PROVIDER,))]
    menu = _by_name(selectors.services_for(actor=actor, include_inactive=True))
    for position, (name, category, fields, devices, performers) in enumerate(SERVICES):
        if name in menu:
            continue
        data = {**DEFAULTS, **fields}
        consultation = data.pop("consultation", None)
        if consultation:
            data["consultation_service_id"] = menu[consultation[0]].pk
            data["consultation_valid_months"] = consultation[1]
        data |= {
            "name": name,
            "category_id": categories[category].pk,
            "position": position,
            "equipment_ids": [equipment[d].pk for d in devices],
            "provider_ids": injectors if performers == INJECTOR else aestheticians,
            "tax_rate_ids": [rates[tax_name].pk] if data["taxable"] else [],
        }
        menu[name] = services.service_create(actor=actor, data=data)
    for name, addon_names in ADDONS_FOR.items():
        wanted = {menu[a].pk for a in addon_names}
        current = set(menu[name].addons.values_list("pk", flat=True))
        if not wanted <= current:
            services.service_update(actor=actor, service_id=menu[name].pk, data={"addon_ids": sorted(wanted | current)})
    return {"services": menu, "rooms": rooms, "equipment": equipment, "tax_rates": rates, "location": location}


def seed(context: dict) -> None:
    context["catalog"] = {clinic.slug: seed_clinic(clinic) for clinic in context["clinics"]}
