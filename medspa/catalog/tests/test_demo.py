"""The demo menu: realistic, linked up, and the same after a second run."""

from decimal import Decimal

import pytest

from medspa.catalog import demo
from medspa.catalog.models import Equipment, Room, Service, ServiceAddon, ServiceCategory, TaxRate
from medspa.core import demo as core_demo
from medspa.core.permissions import Role

pytestmark = pytest.mark.django_db


def _seed_twice():
    from medspa.accounts import demo as accounts_demo

    context: dict = {}
    core_demo.seed(context)
    accounts_demo.seed(context)
    demo.seed(context)
    first = _counts()
    demo.seed(context)
    return context, first


def _counts():
    return (
        Service.objects.count(),
        ServiceCategory.objects.count(),
        Room.objects.count(),
        Equipment.objects.count(),
        TaxRate.objects.count(),
        ServiceAddon.objects.count(),
    )


def test_demo_menu_is_idempotent_and_complete(settings):
    context, first = _seed_twice()
    assert _counts() == first
    clinics = len(context["clinics"])
    assert first == (15 * clinics, 4 * clinics, 5 * clinics, 4 * clinics, clinics, 8 * clinics)
    glow = context["catalog"]["glow"]["services"]
    filler = glow["Dermal filler – lips"]
    assert filler.deposit_kind == "fixed" and filler.deposit_value == Decimal("100.00")
    assert filler.consultation_service == glow["Consultation"]
    assert glow["Consultation"].price == 0 and glow["Consultation"].bookable_online
    assert [e.name for e in glow["IPL photofacial"].equipment.all()] == ["IPL laser"]
    assert glow["IPL photofacial"].deposit_amount == Decimal("80.00")
    assert glow["HydraFacial-style facial"].taxable and glow["HydraFacial-style facial"].tax_rates.count() == 1
    assert not glow["Neurotoxin (Botox)"].taxable
    assert {a.name for a in glow["Neurotoxin (Botox)"].addons.all()} == {"Lip flip add-on"}
    injector_roles = set(glow["Neurotoxin (Botox)"].providers.values_list("memberships__role", flat=True))
    assert injector_roles == {Role.PROVIDER, Role.MEDICAL_DIRECTOR}
    assert set(glow["Chemical peel"].providers.values_list("memberships__role", flat=True)) == {Role.PROVIDER}
