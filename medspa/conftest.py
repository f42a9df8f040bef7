"""Shared test fixtures: clinics, personas for every role, clients signed in as them."""

from __future__ import annotations

import pytest
from django.core.management.commands import flush as flush_command
from django.test import Client

from medspa.core.audit import set_append_only_suspended
from medspa.core.permissions import Role
from medspa.tests.factories import ClinicFactory, LocationFactory, MembershipFactory, UserFactory

_original_flush = flush_command.Command.handle


def _flush_with_audit_purge(self, *args, **options):
    # Transactional tests reset the database by flushing every table; the audit tables'
    # append-only triggers allow that only with the explicit maintenance switch.
    set_append_only_suspended(True)
    try:
        return _original_flush(self, *args, **options)
    finally:
        set_append_only_suspended(False)


flush_command.Command.handle = _flush_with_audit_purge

ROLES = [r.value for r in Role]


@pytest.fixture(autouse=True)
def _media_and_checkpoints(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def clinic(db):
    clinic = ClinicFactory(name="Glow Test", slug="glow-test")
    LocationFactory(clinic=clinic)
    return clinic


@pytest.fixture
def other_clinic(db):
    clinic = ClinicFactory(name="Other Clinic", slug="other-test")
    LocationFactory(clinic=clinic, name="Other HQ")
    return clinic


@pytest.fixture
def make_member(db):
    def make(clinic, role: str = Role.OWNER, **user_fields):
        user = UserFactory(**user_fields)
        MembershipFactory(clinic=clinic, user=user, role=role)
        return user

    return make


@pytest.fixture
def owner(clinic, make_member):
    return make_member(clinic, Role.OWNER, email="owner@test.example")


@pytest.fixture
def other_clinic_owner(other_clinic, make_member):
    return make_member(other_clinic, Role.OWNER, email="owner@other.example")


@pytest.fixture
def personas(clinic, make_member):
    """One staff member per role in `clinic`, keyed by role value."""
    return {role: make_member(clinic, role, email=f"{role}@test.example") for role in ROLES}


@pytest.fixture
def login():
    """A test client signed in (web session) as `user`."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_token():
    """A bearer token for `user` in `clinic`, issued by the real service."""
    import secrets
    from datetime import timedelta

    from django.utils import timezone

    from medspa.accounts.models import ApiToken
    from medspa.accounts.selectors import token_digest

    def make(user, clinic, hours: int = 12) -> str:
        raw = secrets.token_urlsafe(32)
        ApiToken.objects.create(
            clinic=clinic,
            user=user,
            token_hash=token_digest(raw),
            prefix=raw[:8],
            expires_at=timezone.now() + timedelta(hours=hours),
        )
        return raw

    return make


@pytest.fixture
def api_client():
    def make(token: str | None = None) -> Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return Client(headers=headers)

    return make
