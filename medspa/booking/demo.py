"""Demo online booking for each demo clinic: the portal turned on with a headline, link
preview, brand colour and cancellation policy; a realistic online menu (consultations free
and online; neurotoxin and fillers need a consultation within 12 months and a fixed deposit;
facials, peels and small laser areas online without a deposit; a percent deposit on the
longer laser and skin treatments; Kybella by phone only); and the practitioners' public
profiles with credentials and short bios.

Runs after catalog (the menu) and scheduling (the hours). Idempotent: the settings and the
online rules are written only for a clinic that has none saved, a profile only for a
practitioner without one, and a service only where it differs from the plan — all through
the services, so validation and the audit trail are what the application would write.
"""

from __future__ import annotations

from decimal import Decimal

from medspa.booking import services
from medspa.booking.models import BookingSettings, PractitionerProfile
from medspa.catalog import selectors as catalog_selectors
from medspa.catalog import services as catalog_services
from medspa.catalog.choices import DepositKind
from medspa.core.actors import Actor
from medspa.scheduling import services as scheduling_services
from medspa.scheduling.models import SchedulePolicy

POLICY = (
    "We reserve this time just for you. Please cancel or reschedule at least {hours} hours before "
    "your appointment. Later cancellations and missed appointments forfeit the deposit and may be "
    "charged a fee of up to 50% of the treatment price."
)

PORTALS = {
    "glow": {
        "settings": {
            "headline": "Book your glow in under a minute",
            "meta_description": (
                "Book Botox, dermal fillers, HydraFacials, peels and laser treatments online at Glow "
                "Aesthetics in SoHo, New York. Real-time availability and instant confirmation."
            ),
            "primary_color": "#be185d",
            "cancellation_notice_hours": 24,
            "max_future_bookings": 4,
            "intake_form_required": True,
        },
        "rules": {"online_min_notice_minutes": 120, "online_window_days": 60},
        "credentials": {"provider": "RN, CANS", "md": "MD"},
    },
    "radiance": {
        "settings": {
            "headline": "Radiant skin, booked in seconds",
            "meta_description": (
                "Online booking for Radiance Medspa in Santa Monica: neurotoxin, fillers, facials, "
                "IPL and laser hair removal with experienced nurse practitioners and physicians."
            ),
            "primary_color": "#0f766e",
            "cancellation_notice_hours": 48,
            "max_future_bookings": 3,
            "require_approval_new_patients": True,
            "intake_form_required": True,
        },
        "rules": {"online_min_notice_minutes": 240, "online_window_days": 90},
        "credentials": {"provider": "NP-C", "md": "MD, FAAD"},
    },
}

BIOS = {
    "provider": (
        "Aesthetic injector with eight years of experience in neurotoxin, lips and laser. "
        "Known for natural, refreshed results and a gentle hand."
    ),
    "owner": "Founder of the clinic.",
    "md": (
        "Board-certified physician and our medical director. Oversees every treatment plan and "
        "performs advanced filler and PRP treatments."
    ),
}

CONSULTATION = "Consultation"
# name: (bookable online, deposit kind, deposit value, needs a consultation within these months)
MENU = {
    CONSULTATION: (True, DepositKind.NONE, Decimal(0), None),
    "Neurotoxin (Botox)": (True, DepositKind.FIXED, Decimal("50.00"), 12),
    "Dermal filler – lips": (True, DepositKind.FIXED, Decimal("100.00"), 12),
    "Dermal filler – cheeks": (True, DepositKind.FIXED, Decimal("100.00"), 12),
    "HydraFacial-style facial": (True, DepositKind.NONE, Decimal(0), None),
    "Chemical peel": (True, DepositKind.NONE, Decimal(0), None),
    "Laser hair removal – small area": (True, DepositKind.NONE, Decimal(0), None),
    "Laser hair removal – large area": (True, DepositKind.PERCENT, Decimal(20), None),
    "IPL photofacial": (True, DepositKind.PERCENT, Decimal(20), None),
    "Microneedling": (True, DepositKind.PERCENT, Decimal(20), 12),
    "Kybella": (False, DepositKind.NONE, Decimal(0), 6),
}


def seed(context: dict) -> None:
    for clinic in context["clinics"]:
        seed_clinic(clinic)


def seed_clinic(clinic) -> dict:
    """Turn on the clinic's portal and fill in whatever part of it is missing."""
    actor = Actor.system(clinic=clinic, label="demo")
    plan = PORTALS.get(clinic.slug, PORTALS["glow"])
    counts = {"settings": 0, "services": _seed_menu(actor), "profiles": _seed_profiles(actor, plan)}
    if not BookingSettings.objects.filter(clinic=clinic).exists():
        values = {"enabled": True, "cancellation_policy": POLICY, **plan["settings"]}
        services.settings_update(actor, values=values)
        counts["settings"] = 1
    if not SchedulePolicy.objects.filter(clinic=clinic).exists():
        scheduling_services.policy_update(actor, **plan["rules"])
    return counts


def _seed_menu(actor: Actor) -> int:
    """Set each demo service's online rules where they differ; return how many changed."""
    menu = {s.name: s for s in catalog_selectors.services_for(actor=actor, include_inactive=True)}
    consultation = menu.get(CONSULTATION)
    changed = 0
    for name, (online, kind, value, months) in MENU.items():
        service = menu.get(name)
        if service is None:
            continue
        wanted = {"bookable_online": online, "deposit_kind": kind, "deposit_value": value}
        if months and consultation is not None:
            wanted |= {"consultation_service_id": consultation.pk, "consultation_valid_months": months}
        current = {
            "bookable_online": service.bookable_online,
            "deposit_kind": service.deposit_kind,
            "deposit_value": service.deposit_value,
            "consultation_service_id": service.consultation_service_id,
            "consultation_valid_months": service.consultation_valid_months,
        }
        data = {key: value for key, value in wanted.items() if current[key] != value}
        if data:
            catalog_services.service_update(actor=actor, service_id=service.pk, data=data)
            changed += 1
    return changed


def _seed_profiles(actor: Actor, plan: dict) -> int:
    """A public profile for each demo practitioner who has none (matched by their login).
    Members who perform no service (the owner) are not offered by name."""
    created = 0
    for user in catalog_selectors.provider_candidates(actor=actor):
        if PractitionerProfile.objects.filter(clinic=actor.clinic, user=user).exists():
            continue
        role = (user.email or "").split("@")[0]
        first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
        services.profile_update(
            actor,
            user_id=user.pk,
            display_name=f"{first} {last}".strip() or "Practitioner",
            credentials=plan["credentials"].get(role, ""),
            bio=BIOS.get(role, ""),
            listed=user.catalog_services.exists(),
        )
        created += 1
    return created
