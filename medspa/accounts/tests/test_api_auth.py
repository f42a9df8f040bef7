"""The token API: issue, use, expire, revoke; bad input gets the JSON error shape."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from medspa.accounts.models import ApiToken
from medspa.accounts.schemas import MeOut
from medspa.core.models import AuditEvent
from medspa.core.permissions import ROLE_PERMISSIONS, Role
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def post_json(client, url, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **extra)


def test_token_issue_and_me(client, clinic, owner):
    response = post_json(client, "/api/auth/token", {"email": owner.email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"token", "expires_at", "clinic", "role"}
    assert body["clinic"] == clinic.slug and body["role"] == Role.OWNER
    stored = ApiToken.objects.get(user=owner)
    assert stored.token_hash != body["token"] and body["token"] not in stored.token_hash
    me = client.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    data = me.json()
    assert data["user"]["email"] == owner.email
    assert data["clinic"]["slug"] == clinic.slug
    assert data["permissions"] == sorted(ROLE_PERMISSIONS[Role.OWNER])
    assert MeOut.model_validate(data).model_dump(mode="json") == data
    assert AuditEvent.objects.filter(action="auth.token_issued", clinic=clinic).exists()


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_me_lists_exactly_the_role_permissions(role, clinic, make_member, api_token, api_client):
    user = make_member(clinic, role)
    data = api_client(api_token(user, clinic)).get("/api/me").json()
    assert data["role"] == role
    assert data["permissions"] == sorted(ROLE_PERMISSIONS[role])


def test_token_for_named_clinic_acts_only_there(client, clinic, other_clinic, make_member):
    user = make_member(clinic, Role.PROVIDER, email="both@test.example")
    from medspa.tests.factories import MembershipFactory

    MembershipFactory(clinic=other_clinic, user=user, role=Role.OWNER)
    body = post_json(
        client, "/api/auth/token", {"email": user.email, "password": PASSWORD, "clinic": other_clinic.slug}
    ).json()
    assert body["clinic"] == other_clinic.slug and body["role"] == Role.OWNER
    me = client.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"}).json()
    assert me["clinic"]["slug"] == other_clinic.slug and me["role"] == Role.OWNER


def test_unknown_clinic_is_404_and_issues_nothing(client, clinic, owner, other_clinic):
    for slug in ("no-such-clinic", other_clinic.slug):
        response = post_json(client, "/api/auth/token", {"email": owner.email, "password": PASSWORD, "clinic": slug})
        assert response.status_code == 404
        assert response.json()["code"] == "clinic_not_found"
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        ({"email": "x@y.z"}, 422, "invalid"),
        ({"email": ["a"], "password": 5}, 422, "invalid"),
        ("[1, 2]", 422, "invalid"),
    ],
)
def test_bad_bodies_get_json_errors(client, clinic, owner, body, status, code):
    response = post_json(client, "/api/auth/token", body)
    assert response.status_code == status, response.content
    payload = response.json()
    assert payload["code"] == code and isinstance(payload["detail"], str) and isinstance(payload["fields"], dict)
    assert not ApiToken.objects.exists()


def test_wrong_password_is_401_and_audited(client, clinic, owner):
    response = post_json(client, "/api/auth/token", {"email": owner.email, "password": "wrong"})
    assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_label=owner.email).exists()


def test_unknown_account_answers_like_wrong_password(client, clinic, owner):
    known = post_json(client, "/api/auth/token", {"email": owner.email, "password": "wrong"})
    unknown = post_json(client, "/api/auth/token", {"email": "nobody@test.example", "password": "wrong"})
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()


def test_oversized_body_is_413(client, clinic, owner):
    response = post_json(client, "/api/auth/token", {"email": owner.email, "password": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("header", ["Bearer forged-token", "Bearer ", "Token abc", ""])
def test_missing_or_forged_token_is_401(api_client, clinic, header):
    from django.test import Client

    response = Client(headers={"Authorization": header} if header else {}).get("/api/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_token_expires(clinic, owner, api_token, api_client):
    client = api_client(api_token(owner, clinic, hours=12))
    assert client.get("/api/me").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=12, minutes=1)):
        assert client.get("/api/me").status_code == 401


def test_logout_revokes_token_at_once(clinic, owner, api_token, api_client):
    client = api_client(api_token(owner, clinic))
    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/me").status_code == 401
    assert ApiToken.objects.get(user=owner).revoked_at is not None
    assert AuditEvent.objects.filter(action="auth.token_revoked").exists()


def test_token_stops_working_when_membership_ends(clinic, make_member, api_token, api_client):
    user = make_member(clinic, Role.FRONT_DESK)
    client = api_client(api_token(user, clinic))
    assert client.get("/api/me").status_code == 200
    user.memberships.update(is_active=False)
    assert client.get("/api/me").status_code == 401
    user.memberships.update(is_active=True)
    user.is_active = False
    user.save()
    assert client.get("/api/me").status_code == 401


def test_unknown_api_route_is_json_404(api_client, clinic, owner, api_token):
    response = api_client(api_token(owner, clinic)).get("/api/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_openapi_schema_is_served_to_staff(client, login, clinic, owner):
    assert client.get("/api/openapi.json").status_code == 302  # production: staff only
    response = login(owner).get("/api/openapi.json")
    assert response.status_code == 200
    assert "/api/auth/token" in response.json()["paths"]


def test_rejected_token_is_audited(api_client, db):
    api_client("forged-token-value").get("/api/me")
    event = AuditEvent.objects.get(action="auth.token_rejected")
    assert event.changes == {"prefix": "forged-t"} and event.outcome == "failure"


def test_me_query_budget(clinic, owner, api_token, api_client, django_assert_max_num_queries):
    client = api_client(api_token(owner, clinic))
    client.get("/api/me")
    with django_assert_max_num_queries(1):
        assert client.get("/api/me").status_code == 200


def test_token_lookup_sql_matches_models():
    """The hand-written token query names real tables and columns."""
    from medspa.accounts.models import Membership, User
    from medspa.accounts.selectors import BEARER_ACTOR_SQL, CLINIC_FIELDS, USER_FIELDS
    from medspa.core.models import Clinic

    for model, alias in ((ApiToken, "t"), (User, "u"), (Clinic, "c"), (Membership, "m")):
        assert re.search(rf"\b{model._meta.db_table} {alias}\b", BEARER_ACTOR_SQL)
        columns = {f.column for f in model._meta.concrete_fields}
        for used in set(re.findall(rf"\b{alias}\.(\w+)", BEARER_ACTOR_SQL)):
            assert used in columns, f"{model.__name__} has no column {used}"
    assert set(USER_FIELDS) <= {f.name for f in User._meta.concrete_fields}
    assert set(CLINIC_FIELDS) <= {f.name for f in Clinic._meta.concrete_fields}


def test_token_actor_is_loaded_whole(clinic, owner, api_token, db):
    from medspa.accounts.selectors import actor_for_token

    actor, token = actor_for_token(api_token(owner, clinic))
    assert actor.user == owner and actor.clinic == clinic and actor.role == Role.OWNER
    assert actor.clinic.require_mfa is False and actor.clinic.timezone == clinic.timezone
    assert token.user_id == owner.pk and token.last_used_at is None
