"""Demo clinics: Glow Aesthetics (New York) and Radiance Medspa (Los Angeles)."""

from medspa.core.models import Clinic, Location

DEMO_CLINICS = [
    {
        "name": "Glow Aesthetics",
        "slug": "glow",
        "timezone": "America/New_York",
        "location": {
            "name": "Glow Aesthetics — SoHo",
            "address_line1": "121 Prince Street",
            "city": "New York",
            "region": "NY",
            "postal_code": "10012",
            "phone": "+12125550142",
        },
    },
    {
        "name": "Radiance Medspa",
        "slug": "radiance",
        "timezone": "America/Los_Angeles",
        "location": {
            "name": "Radiance Medspa — Santa Monica",
            "address_line1": "1450 Ocean Avenue",
            "city": "Santa Monica",
            "region": "CA",
            "postal_code": "90401",
            "phone": "+13105550188",
        },
    },
]


def seed(context: dict) -> None:
    """Create the demo clinics (MFA not required, so the demo logins work) and locations."""
    clinics = []
    for spec in DEMO_CLINICS:
        clinic, _ = Clinic.objects.update_or_create(
            slug=spec["slug"],
            defaults={"name": spec["name"], "timezone": spec["timezone"], "require_mfa": False, "currency": "USD"},
        )
        Location.objects.update_or_create(
            clinic=clinic, name=spec["location"]["name"], defaults={**spec["location"], "timezone": spec["timezone"]}
        )
        clinics.append(clinic)
    context["clinics"] = clinics
