"""Catalog fixtures: a small menu in the acting clinic and one in the other clinic."""

import pytest

from medspa.catalog.tests.factories import make_catalog, owner_actor
from medspa.core.permissions import Role


@pytest.fixture
def menu(clinic, owner, make_member):
    provider = make_member(clinic, Role.PROVIDER, email="injector@test.example")
    return {**make_catalog(owner_actor(clinic, owner), provider=provider), "provider": provider}


@pytest.fixture
def other_menu(other_clinic, other_clinic_owner):
    return make_catalog(owner_actor(other_clinic, other_clinic_owner), suffix=" (other)")
