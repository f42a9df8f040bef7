"""MFA: required enrolment, TOTP and recovery-code sign-in, API tokens with a second factor."""

import json
from datetime import timedelta

import pyotp
import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.utils import timezone

from medspa.core.models import AuditEvent
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def enrol(user):
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).get_unused_codes()
    return secret, codes


def password_step(client, user):
    return client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})


def test_required_mfa_forces_enrolment(clinic, owner, login):
    clinic.require_mfa = True
    clinic.save()
    client = login(owner)
    response = client.get("/settings/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
    api = client.get("/api/me")
    assert api.status_code == 403 and api.json()["code"] == "mfa_enrollment_required"


@pytest.mark.django_db(transaction=True)
def test_enrolment_through_allauth_unlocks_the_app(clinic, owner):
    """Transactional: allauth finishes enrolment in on_commit, which must run within the request."""
    clinic.require_mfa = True
    clinic.save()
    client = Client()
    password_step(client, owner)
    assert client.get("/settings/")["Location"] == "/accounts/2fa/totp/activate/"
    # Adding a factor asks for the password again (allauth's reauthentication).
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists()
    assert client.get("/settings/").status_code == 200
    assert AuditEvent.objects.filter(action="mfa.added", clinic=clinic).exists()


def test_sign_in_with_totp(clinic, owner):
    secret, _ = enrol(owner)
    client = Client()
    response = password_step(client, owner)
    assert response.status_code == 302 and "/accounts/2fa/authenticate/" in response["Location"]
    assert client.get("/settings/").status_code == 302  # not signed in yet
    assert client.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200  # wrong code: form again
    response = client.post("/accounts/2fa/authenticate/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.get("/settings/").status_code == 200


def test_sign_in_with_recovery_code_once(clinic, owner):
    _, codes = enrol(owner)
    client = Client()
    password_step(client, owner)
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    assert client.get("/settings/").status_code == 200
    again = Client()
    password_step(again, owner)
    assert again.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 200  # spent


def test_session_without_second_factor_is_ended(clinic, owner, login):
    client = login(owner)  # password-only session
    enrol(owner)  # MFA added elsewhere
    response = client.get("/settings/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/settings/").status_code == 302


def token_request(client, user, **extra):
    body = {"email": user.email, "password": PASSWORD, **extra}
    return client.post("/api/auth/token", json.dumps(body), content_type="application/json")


def test_api_token_requires_second_factor(clinic, owner):
    secret, codes = enrol(owner)
    client = Client()
    missing = token_request(client, owner)
    assert missing.status_code == 401 and missing.json()["code"] == "otp_required"
    wrong = token_request(client, owner, otp="123456")
    assert wrong.status_code == 401 and wrong.json()["code"] == "otp_invalid"
    assert token_request(client, owner, otp=pyotp.TOTP(secret).now()).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert token_request(client, owner, otp=codes[1]).status_code == 200
        assert token_request(client, owner, otp=codes[1]).status_code == 401  # spent


def test_api_token_refused_until_enrolled_when_required(clinic, owner):
    clinic.require_mfa = True
    clinic.save()
    response = token_request(Client(), owner)
    assert response.status_code == 403 and response.json()["code"] == "mfa_enrollment_required"


def test_admin_login_goes_through_allauth(db):
    response = Client().get("/ops/admin/login/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_owner_resets_a_members_mfa(clinic, owner, make_member, login):
    member = make_member(clinic, "provider")
    enrol(member)
    membership = member.memberships.get()
    assert login(owner).post(f"/settings/staff/{membership.pk}/reset-mfa/").status_code == 302
    assert not Authenticator.objects.filter(user=member).exists()
    assert AuditEvent.objects.filter(action="mfa.reset_by_owner", object_id=str(membership.pk)).exists()


def test_admin_cannot_reset_mfa(clinic, make_member, login):
    admin = make_member(clinic, "admin")
    member = make_member(clinic, "provider")
    enrol(member)
    response = login(admin).post(f"/settings/staff/{member.memberships.get().pk}/reset-mfa/")
    assert response.status_code == 403
    assert Authenticator.objects.filter(user=member).count() == 2
    assert AuditEvent.objects.filter(action="permission.denied", actor_label=admin.email).exists()


def test_mfa_reset_refused_for_people_of_other_clinics(clinic, other_clinic, owner, make_member, login):
    from medspa.tests.factories import MembershipFactory

    member = make_member(clinic, "provider")
    MembershipFactory(clinic=other_clinic, user=member, role="provider")
    enrol(member)
    login(owner).post(f"/settings/staff/{member.memberships.get(clinic=clinic).pk}/reset-mfa/")
    assert Authenticator.objects.filter(user=member).count() == 2
