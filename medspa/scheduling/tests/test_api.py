"""Booking API: shapes other clients rely on, idempotency, errors, availability."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from medspa.scheduling.models import Appointment
from medspa.scheduling.tests.conftest import at, next_weekday


@pytest.fixture
def client(setup, api_token, api_client):
    return api_client(api_token(setup.owner.user, setup.clinic))


def booking_body(setup, start, **extra):
    return {
        "patient_id": str(setup.patient.pk),
        "service_id": str(setup.menu["facial"].pk),
        "practitioner_id": str(setup.provider_user.pk),
        "start": start.isoformat(),
        **extra,
    }


def test_availability_shape_and_best_marks(setup, client):
    day = next_weekday()
    response = client.get(
        "/api/booking/availability",
        {"service_id": str(setup.menu["facial"].pk), "start": at(day, 0).isoformat(), "end": at(day, 23).isoformat()},
    )
    assert response.status_code == 200, response.content
    slots = response.json()["slots"]
    assert slots[0]["start"] == at(day, 9).isoformat()  # ISO 8601 with the location's offset
    assert slots[-1]["start"] == at(day, 16).isoformat()  # 60-minute facial ends at 17:00
    assert set(slots[0]) >= {"start", "end", "practitioner_id", "room_id", "equipment_ids", "best"}
    assert any(s["best"] for s in slots)


def test_booking_returns_201_with_the_appointment(setup, client):
    start = at(next_weekday(), 11)
    response = client.post("/api/booking/appointments", booking_body(setup, start), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "scheduled" and datetime.fromisoformat(body["start"]) == start
    assert body["practitioner_id"] == str(setup.provider_user.pk) and body["room_id"] is None


def test_idempotency_key_replays_and_refuses_a_different_body(setup, client):
    start = at(next_weekday(), 11)
    headers = {"HTTP_IDEMPOTENCY_KEY": "booking-123"}
    first = client.post(
        "/api/booking/appointments", booking_body(setup, start), content_type="application/json", **headers
    )
    again = client.post(
        "/api/booking/appointments", booking_body(setup, start), content_type="application/json", **headers
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == 1
    other = client.post(
        "/api/booking/appointments",
        booking_body(setup, start + timedelta(hours=2)),
        content_type="application/json",
        **headers,
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Appointment.objects.count() == 1


def test_conflict_is_409_with_the_conflicting_appointment(setup, client):
    start = at(next_weekday(), 11)
    first = client.post("/api/booking/appointments", booking_body(setup, start), content_type="application/json")
    clash = client.post(
        "/api/booking/appointments",
        booking_body(setup, start + timedelta(minutes=15)),
        content_type="application/json",
    )
    assert clash.status_code == 409
    assert clash.json()["fields"]["conflict"]["appointment_id"] == first.json()["id"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"start": "2030-01-01T10:00:00"}, 422),  # no offset
        ({"start": "not a time"}, 422),
        ({"service_id": "00000000-0000-0000-0000-000000000000"}, 422),
        ({"patient_id": "00000000-0000-0000-0000-000000000000"}, 404),
        ({"notes": "x" * 2001}, 422),
        ({"clinic_id": "00000000-0000-0000-0000-000000000000"}, 422),  # unknown keys are refused
    ],
)
def test_bad_booking_input_is_a_clear_4xx_and_writes_nothing(setup, client, change, status):
    body = {**booking_body(setup, at(next_weekday(), 11)), **change}
    response = client.post("/api/booking/appointments", body, content_type="application/json")
    assert response.status_code == status, response.content
    assert set(response.json()) >= {"detail", "code"}
    assert not Appointment.objects.exists()


def test_validate_booking_is_a_dry_run(setup, client):
    body = booking_body(setup, at(next_weekday(), 8))  # before opening
    response = client.post("/api/booking/validate-booking", body, content_type="application/json")
    assert response.json()["ok"] is False
    assert response.json()["reasons"][0]["code"] == "outside_working_hours"
    ok = client.post(
        "/api/booking/validate-booking", booking_body(setup, at(next_weekday(), 10)), content_type="application/json"
    )
    assert ok.json()["ok"] is True
    assert not Appointment.objects.exists()


def test_calendar_feed_move_status_and_cancel(setup, client):
    day = next_weekday()
    created = client.post(
        "/api/booking/appointments", booking_body(setup, at(day, 10)), content_type="application/json"
    ).json()
    feed = client.get("/api/appointments", {"start": at(day, 0).isoformat(), "end": at(day, 23).isoformat()})
    assert [item["id"] for item in feed.json()["items"]] == [created["id"]]
    assert feed.json()["next"] is None and feed.json()["items"][0]["service_name"]
    moved = client.put(
        f"/api/booking/appointments/{created['id']}",
        {"start": at(day, 14).isoformat(), "version": created["version"]},
        content_type="application/json",
    )
    assert moved.status_code == 200 and datetime.fromisoformat(moved.json()["start"]) == at(day, 14)
    bad = client.post(
        f"/api/appointments/{created['id']}/status", {"status": "completed"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_transition"
    arrived = client.post(
        f"/api/appointments/{created['id']}/status", {"status": "confirmed"}, content_type="application/json"
    )
    assert arrived.json()["status"] == "confirmed"
    cancelled = client.delete(
        f"/api/booking/appointments/{created['id']}", {"reason": "Rescheduling later"}, content_type="application/json"
    )
    assert cancelled.json()["status"] == "cancelled"
    feed = client.get("/api/appointments", {"start": at(day, 0).isoformat(), "end": at(day, 23).isoformat()})
    assert feed.json()["items"] == []
