"""Clinic settings: profile, policies and locations through services; audit; query budgets."""

import pytest
from django.db import OperationalError

from medspa.core.models import AuditEvent, Clinic, Location
from medspa.core.permissions import Role
from medspa.tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def clinic_form(**overrides):
    data = {"name": "Glow Test", "currency": "USD", "timezone": "America/Chicago", "session_idle_minutes": 20}
    data.update(overrides)
    return data


def test_owner_updates_clinic_policies(clinic, owner, login):
    response = login(owner).post("/settings/", clinic_form(require_mfa="on"))
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.timezone == "America/Chicago" and clinic.session_idle_minutes == 20 and clinic.require_mfa
    event = AuditEvent.objects.get(action="clinic.updated", clinic=clinic)
    assert event.changes["timezone"] == ["America/New_York", "America/Chicago"]


@pytest.mark.parametrize(
    "bad", [{"timezone": "Mars/Olympus"}, {"session_idle_minutes": 1}, {"name": ""}, {"currency": "XXX"}]
)
def test_bad_clinic_input_shows_errors_and_writes_nothing(clinic, owner, login, bad):
    before = Clinic.objects.values().get(pk=clinic.pk)
    response = login(owner).post("/settings/", clinic_form(**bad))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Clinic.objects.values().get(pk=clinic.pk) == before
    assert not AuditEvent.objects.filter(action="clinic.updated").exists()


def test_add_location_and_duplicate_name_is_an_inline_error(clinic, owner, login):
    client = login(owner)
    data = {"name": "Midtown", "timezone": "America/New_York", "country": "US", "is_active": "on"}
    assert client.post("/settings/locations/", data).status_code == 302
    assert Location.objects.filter(clinic=clinic, name="Midtown").exists()
    again = client.post("/settings/locations/", data)
    assert again.status_code == 200 and "name" in again.context["form"].errors
    assert Location.objects.filter(clinic=clinic, name="Midtown").count() == 1


def test_edit_location(clinic, owner, login):
    location = Location.objects.get(clinic=clinic)
    data = {"name": "Renamed", "timezone": "America/Denver", "country": "US"}
    assert login(owner).post(f"/settings/locations/{location.pk}/", data).status_code == 302
    location.refresh_from_db()
    assert location.name == "Renamed" and location.timezone == "America/Denver" and not location.is_active
    assert AuditEvent.objects.filter(action="location.updated", object_id=str(location.pk)).exists()


def test_locations_list_query_budget(clinic, owner, login, django_assert_max_num_queries):
    client = login(owner)
    client.get("/settings/locations/")
    for i in range(30):
        LocationFactory(clinic=clinic, name=f"Branch {i}")
    with django_assert_max_num_queries(12):
        response = client.get("/settings/locations/")
    assert response.status_code == 200 and b"Branch 29" in response.content


def test_audit_log_filters_and_query_budget(clinic, owner, login, django_assert_max_num_queries):
    client = login(owner)
    for i in range(40):
        client.post("/settings/locations/", {"name": f"L{i}", "timezone": "America/New_York", "country": "US"})
    with django_assert_max_num_queries(12):
        response = client.get("/settings/audit/", {"action": "location.created"})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 40 and all(e.action == "location.created" for e in page)
    htmx = client.get("/settings/audit/", {"action": "location"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and b"<html" not in htmx.content


def test_audit_log_never_shows_another_clinic(clinic, other_clinic, owner, other_clinic_owner, login):
    created = login(other_clinic_owner).post(
        "/settings/locations/", {"name": "Secret", "timezone": "America/New_York", "country": "US"}
    )
    assert created.status_code == 302
    response = login(owner).get("/settings/audit/")
    assert b"Secret" not in response.content
    assert all(e.clinic_id == clinic.pk for e in response.context["page"])


def test_database_failure_is_503_without_partial_write(clinic, owner, login, monkeypatch):
    from medspa.core import services

    def broken(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "location_create", broken)
    response = login(owner).post("/settings/locations/", {"name": "X", "timezone": "America/New_York", "country": "US"})
    assert response.status_code == 503
    assert not Location.objects.filter(name="X").exists()


def test_readonly_cannot_change_settings(clinic, make_member, login):
    user = make_member(clinic, Role.READ_ONLY)
    response = login(user).post("/settings/", clinic_form(name="Hacked"))
    assert response.status_code == 403
    clinic.refresh_from_db()
    assert clinic.name == "Glow Test"


def test_service_refuses_bad_values_as_domain_errors(clinic, owner):
    from medspa.core import services
    from medspa.core.actors import Actor
    from medspa.core.errors import InvalidInput

    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    with pytest.raises(InvalidInput) as refused:
        services.clinic_update(actor=actor, data={"session_idle_minutes": 1000, "timezone": "Nowhere/Land"})
    assert set(refused.value.fields) == {"session_idle_minutes", "timezone"}
    clinic.refresh_from_db()
    assert clinic.session_idle_minutes == 15
