"""Web sign-in: lockout after 5 failures, session rotation, idle and absolute limits."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from medspa.accounts import sessions
from medspa.core.models import AuditEvent
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def web_login(client, email, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=ip)


def test_sign_in_rotates_session_key_and_is_audited(clinic, owner):
    client = Client()
    client.get(LOGIN)
    before = client.cookies.get("medspa_session")
    response = web_login(client, owner.email, PASSWORD)
    assert response.status_code == 302
    after = client.cookies["medspa_session"].value
    assert before is None or before.value != after
    assert AuditEvent.objects.filter(action="auth.login", clinic=clinic, actor_label=owner.email).exists()


def test_lockout_after_five_failures_even_with_right_password(clinic, owner):
    client = Client()
    for _ in range(4):
        response = web_login(client, owner.email, "wrong-password")
        assert response.status_code == 200  # the form again, with an error
    assert web_login(client, owner.email, "wrong-password").status_code == 429  # the fifth locks
    response = web_login(client, owner.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Five wrong passwords plus the refused attempt made during the lockout.
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_label=owner.email).count() == 6
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()
    # The API refuses the same account too, with the JSON shape.
    api = Client().post(
        "/api/auth/token",
        json.dumps({"email": owner.email, "password": PASSWORD}),
        content_type="application/json",
        REMOTE_ADDR="10.9.9.9",
    )
    assert api.status_code == 429 and api.json()["code"] == "locked_out"


def test_lockout_by_ip_across_accounts(clinic, owner, make_member):
    other = make_member(clinic, email="colleague@test.example")
    client = Client()
    for i in range(5):
        web_login(client, f"guess{i}@test.example", "wrong", ip="10.0.0.7")
    assert web_login(client, other.email, PASSWORD, ip="10.0.0.7").status_code == 429
    assert web_login(Client(), other.email, PASSWORD, ip="10.0.0.8").status_code == 302


def test_lockout_expires_after_fifteen_minutes(clinic, owner):
    for _ in range(5):
        web_login(Client(), owner.email, "wrong")
    assert web_login(Client(), owner.email, PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert web_login(Client(), owner.email, PASSWORD).status_code == 302


def test_api_failures_count_towards_lockout(clinic, owner):
    client = Client()
    for attempt in range(5):
        r = client.post(
            "/api/auth/token", json.dumps({"email": owner.email, "password": "nope"}), content_type="application/json"
        )
        assert r.status_code == (401 if attempt < 4 else 429)
    r = client.post(
        "/api/auth/token", json.dumps({"email": owner.email, "password": PASSWORD}), content_type="application/json"
    )
    assert r.status_code == 429


def test_unknown_and_known_accounts_look_the_same(clinic, owner):
    known = web_login(Client(), owner.email, "wrong", ip="10.1.0.1")
    unknown = web_login(Client(), "nobody@test.example", "wrong", ip="10.1.0.2")
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: r.content.decode().replace(owner.email, "").replace("nobody@test.example", "")  # noqa: E731
    assert len(strip(known)) == pytest.approx(len(strip(unknown)), abs=80)


def test_idle_timeout_signs_out(clinic, owner, login):
    clinic.session_idle_minutes = 15
    clinic.save()
    client = login(owner)
    assert client.get("/settings/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = client.get("/settings/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert client.get("/settings/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.session_idle_timeout").exists()


def test_activity_keeps_session_alive(clinic, owner, login):
    client = login(owner)
    start = timezone.now()
    for minutes in (10, 20, 30):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get("/settings/").status_code == 200


def test_absolute_limit_of_twelve_hours(clinic, owner, login):
    clinic.session_idle_minutes = 120
    clinic.save()
    client = login(owner)
    start = timezone.now()
    for minutes in range(100, 12 * 60, 100):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get("/settings/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5)):
        assert client.get("/settings/").status_code == 302


def test_keepalive_extends_idle_session(clinic, owner, login):
    client = login(owner)
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=14)):
        assert client.post("/session/keepalive/").status_code == 204
    with time_machine.travel(start + timedelta(minutes=28)):
        assert client.get("/settings/").status_code == 200


def test_deactivated_member_loses_access_next_request(clinic, owner, login):
    client = login(owner)
    assert client.get("/settings/").status_code == 200
    owner.memberships.update(is_active=False)
    response = client.get("/settings/")
    assert response.status_code in (302, 403)


def test_role_change_takes_effect_next_request(clinic, owner, login):
    client = login(owner)
    assert client.get("/settings/").status_code == 200
    owner.memberships.update(role="read_only")
    assert client.get("/settings/").status_code == 403


def test_session_marks_sign_in_time(clinic, owner, login):
    client = login(owner)
    assert sessions.AUTH_AT_KEY in client.session
