"""The demo portals: after the demo runs, each demo clinic's booking page is open with a
realistic online menu (deposits, consultation rules), its practitioners have profiles, and a
second run changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from medspa.booking import demo, selectors
from medspa.booking.models import BookingSettings, PractitionerProfile
from medspa.core.models import AuditEvent
from medspa.scheduling.models import SchedulePolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_context() -> dict:
    """Both demo clinics with staff and menu (the modules booking's demo builds on)."""
    from medspa.accounts import demo as accounts_demo
    from medspa.catalog import demo as catalog_demo
    from medspa.core import demo as core_demo

    context: dict = {}
    for module in (core_demo, accounts_demo, catalog_demo):
        module.seed(context)
    demo.seed(context)
    return context


def test_each_demo_portal_is_open_with_a_realistic_menu(demo_context):
    assert [c.slug for c in demo_context["clinics"]] == ["glow", "radiance"]
    for clinic in demo_context["clinics"]:
        portal = selectors.portal_for(clinic.slug)
        assert portal.settings.enabled and portal.settings.headline and portal.settings.meta_description
        assert "{hours}" in portal.settings.cancellation_policy
        menu = {s["name"]: s for s in selectors.public_services(portal)}
        assert len(menu) >= 8
        assert "Kybella" not in menu  # by phone only
        assert Decimal(menu["Consultation"]["deposit"]) == 0 and menu["Consultation"]["requires_consultation"] is None
        assert Decimal(menu["Neurotoxin (Botox)"]["deposit"]) > 0
        assert menu["Neurotoxin (Botox)"]["requires_consultation"]["within_months"] == 12
        assert menu["Dermal filler – lips"]["requires_consultation"]["name"] == "Consultation"
        assert Decimal(menu["HydraFacial-style facial"]["deposit"]) == 0
        assert menu["Chemical peel"]["requires_consultation"] is None
        assert any(Decimal(s["deposit"]) > 0 for s in menu.values())
        assert any(s["requires_consultation"] for s in menu.values())
        policy = SchedulePolicy.objects.get(clinic=clinic)
        assert policy.online_min_notice_minutes >= 60 and policy.online_window_days >= 30


def test_demo_practitioners_have_public_profiles(demo_context):
    for clinic in demo_context["clinics"]:
        portal = selectors.portal_for(clinic.slug)
        people = selectors.public_practitioners(portal)
        assert len(people) >= 2
        assert all(p["credentials"] and p["bio"] for p in people)
        assert not any("Owens" in p["display_name"] for p in people)  # the owner performs no service
        assert {"MD"} & {p["credentials"].split(",")[0] for p in people}


def test_a_second_run_changes_nothing(demo_context):
    def state():
        return (
            list(BookingSettings.objects.order_by("clinic_id").values()),
            list(PractitionerProfile.objects.order_by("pk").values()),
            list(SchedulePolicy.objects.order_by("clinic_id").values()),
            AuditEvent.objects.count(),
        )

    before = state()
    demo.seed(demo_context)
    assert state() == before


def test_staff_changes_survive_a_second_run(demo_context):
    from medspa.booking import services
    from medspa.core.actors import Actor

    clinic = demo_context["clinics"][0]
    services.settings_update(Actor.system(clinic=clinic), values={"headline": "Our own words"})
    demo.seed(demo_context)
    assert BookingSettings.objects.get(clinic=clinic).headline == "Our own words"
