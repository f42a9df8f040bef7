"""The patient profile's Appointments tab and the appointment entries of its timeline, both
provided by scheduling through the patients registries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from medspa.core.actors import Actor
from medspa.core.errors import NotFound, PermissionDenied
from medspa.core.permissions import Role
from medspa.patients import selectors as patient_selectors
from medspa.patients import tabs, timeline
from medspa.patients.tests.factories import PatientFactory
from medspa.scheduling import selectors, services
from medspa.scheduling.models import Appointment
from medspa.scheduling.tests.conftest import at, next_weekday


@pytest.fixture
def history(setup):
    """An upcoming appointment that was moved, one cancelled, and a completed one last month."""
    day = next_weekday()
    where = {"location_id": setup.location.pk}
    upcoming = services.book(setup.owner, setup.request(at(day, 10), **where)).booked[0]
    services.appointment_move(setup.owner, upcoming.pk, start=at(day, 11))
    cancelled = services.book(setup.owner, setup.request(at(day, 15), **where)).booked[0]
    services.appointment_cancel(setup.owner, cancelled.pk, reason="Feeling unwell")
    past = services.book(setup.owner, setup.request(at(day, 13), **where)).booked[0]
    services.appointment_set_status(setup.owner, past.pk, "arrived")
    services.appointment_set_status(setup.owner, past.pk, "completed")
    last_month = timezone.now() - timedelta(days=30)
    Appointment.objects.filter(pk=past.pk).update(start_at=last_month, end_at=last_month + timedelta(hours=1))
    return {"upcoming": upcoming, "cancelled": cancelled, "past": past}


def test_registries_hold_the_scheduling_tab_and_timeline_source():
    assert tabs.registered_tab("appointments") is not None
    assert selectors.patient_timeline_entries in timeline.timeline_sources()


def test_selector_splits_upcoming_and_past_in_the_locations_zone(setup, history):
    found = selectors.patient_appointments(setup.owner, setup.patient.pk)
    upcoming = [item.appointment.pk for item in found.upcoming]
    assert upcoming[0] == history["upcoming"].pk and history["cancelled"].pk in upcoming
    assert [item.appointment.pk for item in found.past] == [history["past"].pk]
    first = found.upcoming[0]
    assert first.local_start.hour == 11 and str(first.local_start.tzinfo) == "America/New_York"
    assert f"date={first.local_start.date().isoformat()}" in first.day_url


def test_tab_shows_status_service_provider_and_calendar_link(setup, history, login, owner):
    response = login(owner).get(f"/patients/{setup.patient.pk}/appointments/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Upcoming appointments" in body and "Past appointments" in body
    assert "Cancelled" in body and "Completed" in body and "Scheduled" in body
    assert setup.menu["facial"].name in body and setup.provider_user.full_name in body
    assert "not available yet" not in body
    assert "?date=" in body


def test_tab_empty_state(setup, login, owner):
    body = login(owner).get(f"/patients/{setup.patient.pk}/appointments/").content.decode()
    assert "Nothing booked" in body and "No past appointments" in body


def test_another_clinics_patient_is_404(setup, history, other_clinic, make_member, login):
    boss = make_member(other_clinic, Role.OWNER, email="boss@other.example")
    assert login(boss).get(f"/patients/{setup.patient.pk}/appointments/").status_code == 404
    them = Actor.staff(user=boss, clinic=other_clinic, role=Role.OWNER)
    with pytest.raises(NotFound):
        selectors.patient_appointments(them, setup.patient.pk)
    assert selectors.patient_timeline_entries(actor=them, patient_id=setup.patient.pk, limit=50) == []


def test_provider_sees_only_their_own_appointments(setup, history, make_member):
    from medspa.catalog import services as catalog_services

    colleague = make_member(setup.clinic, Role.PROVIDER, email="colleague@test.example")
    catalog_services.service_update(
        actor=setup.owner,
        service_id=setup.menu["facial"].pk,
        data={"provider_ids": [setup.provider_user.pk, colleague.pk]},
    )
    services.hours_replace(
        setup.owner,
        provider_id=colleague.pk,
        location_id=setup.location.pk,
        blocks=[services.Block(weekday, 9 * 60, 17 * 60) for weekday in range(7)],
    )
    day = next_weekday()
    theirs = services.book(
        setup.owner,
        services.BookingRequest(
            patient_id=setup.patient.pk,
            service_ids=[setup.menu["facial"].pk],
            provider_id=colleague.pk,
            start=at(day, 16),
            location_id=setup.location.pk,
        ),
    ).booked[0]
    mine = selectors.patient_appointments(setup.provider, setup.patient.pk)
    ids = {item.appointment.pk for item in mine.upcoming + mine.past}
    assert theirs.pk not in ids and history["upcoming"].pk in ids
    entries = selectors.patient_timeline_entries(actor=setup.provider, patient_id=setup.patient.pk, limit=50)
    assert entries and all(str(theirs.pk) not in e.summary for e in entries)
    assert (
        len(entries)
        == len(selectors.patient_timeline_entries(actor=setup.owner, patient_id=setup.patient.pk, limit=50)) - 1
    )  # the colleague's booking


def test_timeline_has_booked_moved_cancelled_checked_in_completed_newest_first(setup, history):
    entries, _ = patient_selectors.patient_timeline(actor=setup.owner, patient_id=setup.patient.pk, limit=50)
    appointment_titles = [e.title for e in entries if e.kind == "appointment"]
    assert appointment_titles == [
        "Appointment completed",
        "Checked in",
        "Appointment booked",
        "Appointment cancelled",
        "Appointment booked",
        "Appointment moved",
        "Appointment booked",
    ]
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    cancelled = next(e for e in entries if e.title == "Appointment cancelled")
    assert "Feeling unwell" in cancelled.summary and "?date=" in cancelled.link
    moved = next(e for e in entries if e.title == "Appointment moved")
    assert "from" in moved.summary and "10:00" in moved.summary and "11:00" in moved.summary


def test_timeline_window_bounds_the_source(setup, history):
    assert len(selectors.patient_timeline_entries(actor=setup.owner, patient_id=setup.patient.pk, limit=2)) == 2
    first, more = patient_selectors.patient_timeline(actor=setup.owner, patient_id=setup.patient.pk, limit=3)
    assert len(first) == 3 and more


def test_timeline_of_another_patient_has_none_of_these(setup, history):
    other = PatientFactory(clinic=setup.clinic)
    entries, _ = patient_selectors.patient_timeline(actor=setup.owner, patient_id=other.pk, limit=50)
    assert [e for e in entries if e.kind == "appointment"] == []


ROLE_WITHOUT_CALENDAR = frozenset({"patients.view"})


def test_roles_without_a_calendar_permission_get_no_entries_and_no_tab(setup, history, monkeypatch, login, make_member):
    from medspa.core import permissions
    from medspa.patients import services as patient_services

    patient_services.communication_create(
        actor=setup.owner, patient_id=setup.patient.pk, kind="call", body="Asked about an earlier time"
    )
    user = make_member(setup.clinic, Role.READ_ONLY, email="limited@test.example")
    limited = dict(permissions.ROLE_PERMISSIONS)
    limited[Role.READ_ONLY] = ROLE_WITHOUT_CALENDAR
    monkeypatch.setattr(permissions, "ROLE_PERMISSIONS", limited)
    actor = Actor.staff(user=user, clinic=setup.clinic, role=Role.READ_ONLY)
    assert actor.permissions == ROLE_WITHOUT_CALENDAR
    assert selectors.patient_timeline_entries(actor=actor, patient_id=setup.patient.pk, limit=50) == []
    entries, _ = patient_selectors.patient_timeline(actor=actor, patient_id=setup.patient.pk, limit=50)
    assert entries and all(e.kind != "appointment" for e in entries)
    with pytest.raises(PermissionDenied):
        selectors.patient_appointments(actor, setup.patient.pk)
    assert "appointments" in tabs.hidden_tabs(actor)
    assert "appointments" not in tabs.hidden_tabs(setup.owner)
    client = login(user)
    profile = client.get(f"/patients/{setup.patient.pk}/")
    assert profile.status_code == 200
    assert f"/patients/{setup.patient.pk}/appointments/" not in profile.content.decode()
    assert f"/patients/{setup.patient.pk}/timeline/" in profile.content.decode()
    assert client.get(f"/patients/{setup.patient.pk}/appointments/").status_code == 403
    timeline_page = client.get(f"/patients/{setup.patient.pk}/timeline/").content.decode()
    assert "Appointment booked" not in timeline_page and "Asked about an earlier time" in timeline_page
