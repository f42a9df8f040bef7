"""AUTHZ-4: field-level limits. The scanner in `field_limits.py` runs on every cell of the page
and API matrices (test_access_matrix.py, test_api_matrix.py); these tests pin the per-role
table and show the scanner does catch what it looks for, on real responses."""

from __future__ import annotations

import pytest

from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.patients import services as patient_services
from medspa.patients.services import CLINICAL_FIELDS
from medspa.tests.field_limits import CLINICAL_CANARIES, forbidden_fields, is_read_only, scan

WITHOUT_CLINICAL = {Role.FRONT_DESK, Role.BILLING, Role.READ_ONLY}


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_forbidden_fields_per_role(role):
    expected = frozenset(CLINICAL_FIELDS) if role in WITHOUT_CLINICAL else frozenset()
    assert forbidden_fields(role) == expected


def test_only_read_only_is_read_only():
    assert [r.value for r in Role if is_read_only(r.value)] == [Role.READ_ONLY]


@pytest.fixture
def charted(clinic, owner):
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    return patient_services.patient_create(
        actor=actor, data={"first_name": "Field", "last_name": "Limits", **CLINICAL_CANARIES}
    )


@pytest.mark.django_db
def test_scanner_catches_clinical_html_and_write_controls(charted, owner, login):
    """The owner's overview and edit pages carry the clinical block; scanned as a front-desk
    or read-only response they are flagged (so a leak would fail the matrix)."""
    client = login(owner)
    overview = client.get(f"/patients/{charted.pk}/")
    found = scan(Role.FRONT_DESK, overview)
    for name in ("medications", "medical_history", "clinical_notes"):
        assert f'html block data-field="{name}"' in found
    assert "canary Canarymed" in found and "html clinical block" in found
    edit = client.get(f"/patients/{charted.pk}/edit/")
    assert 'html input name="medical_history"' in scan(Role.BILLING, edit)
    assert any(f.startswith("write control") for f in scan(Role.READ_ONLY, overview))
    assert scan(Role.PROVIDER, overview) == []


@pytest.mark.django_db
def test_scanner_catches_clinical_json(charted, clinic, owner, api_token, api_client):
    client = api_client(api_token(owner, clinic))
    body = client.get(f"/api/patients/{charted.pk}")
    found = scan(Role.BILLING, body)
    assert {"json key .medications", "json key .medical_history", "json key .clinical_notes"} <= set(found)
    listing = client.get("/api/patients")
    assert "json key .items[0].medications" in scan(Role.READ_ONLY, listing)
    assert scan(Role.MEDICAL_DIRECTOR, body) == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(WITHOUT_CLINICAL))
def test_roles_without_clinical_access_get_none_of_it(role, charted, clinic, make_member, login, api_token, api_client):
    """The real responses for those roles, page and API, list and profile, are clean."""
    user = make_member(clinic, role, email=f"limits-{role}@test.example")
    pages = login(user)
    api = api_client(api_token(user, clinic))
    responses = [
        pages.get("/patients/"),
        pages.get(f"/patients/{charted.pk}/"),
        pages.get(f"/patients/{charted.pk}/timeline/"),
        pages.get(f"/patients/{charted.pk}/edit/"),
        api.get("/api/patients"),
        api.get(f"/api/patients/{charted.pk}"),
        api.get(f"/api/patients/{charted.pk}/timeline"),
    ]
    for response in responses:
        assert scan(role, response) == [], response.request["PATH_INFO"]
