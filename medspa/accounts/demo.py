"""Demo staff: one user per role in each demo clinic, e.g. owner@glow.demo."""

from django.conf import settings

from medspa.accounts.models import Membership, User
from medspa.core.permissions import Role

DEMO_ROLES = [
    ("owner", Role.OWNER, "Olivia", "Owens"),
    ("provider", Role.PROVIDER, "Priya", "Patel"),
    ("frontdesk", Role.FRONT_DESK, "Frankie", "Diaz"),
    ("billing", Role.BILLING, "Ben", "Lowe"),
    ("md", Role.MEDICAL_DIRECTOR, "Dr. Maya", "Chen"),
    ("readonly", Role.READ_ONLY, "Riley", "Park"),
]


def demo_logins(clinics) -> list[tuple[str, str, str]]:
    """(email, role label, clinic name) for every demo login."""
    return [(f"{prefix}@{c.slug}.demo", role.label, c.name) for c in clinics for prefix, role, _, _ in DEMO_ROLES]


def seed(context: dict) -> None:
    password = settings.DEMO_PASSWORD
    for clinic in context["clinics"]:
        for prefix, role, first, last in DEMO_ROLES:
            email = f"{prefix}@{clinic.slug}.demo"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, password, first_name=first, last_name=last)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            Membership.objects.update_or_create(clinic=clinic, user=user, defaults={"role": role, "is_active": True})
    context["logins"] = demo_logins(context["clinics"])
