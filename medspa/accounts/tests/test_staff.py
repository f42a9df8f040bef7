"""Staff management: invitations by email through the outbox, roles, removal, clinic switch."""

import re

import pytest
from django.core import mail
from django.test import Client

from medspa.accounts.models import Invitation, Membership, User
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


def invite(client, email="new.hire@test.example", role=Role.PROVIDER, capture=None):
    if capture is None:
        return client.post("/settings/staff/", {"email": email, "role": role})
    with capture(execute=True):
        return client.post("/settings/staff/", {"email": email, "role": role})


def invite_link(message) -> str:
    return re.search(r"http://[^\s]+/invite/[^\s]+/", message.body).group(0).split("8000", 1)[1]


def test_invite_sends_email_and_new_person_joins(clinic, owner, login, django_capture_on_commit_callbacks):
    response = invite(login(owner), capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.hire@test.example"]
    link = invite_link(mail.outbox[0])
    page = Client().get(link)
    assert page.status_code == 200
    short = Client().post(link, {"first_name": "Nia", "last_name": "Hart", "password": "short"})
    assert short.status_code == 200 and "password" in short.context["form"].errors
    assert not User.objects.filter(email="new.hire@test.example").exists()
    done = Client().post(link, {"first_name": "Nia", "last_name": "Hart", "password": PASSWORD})
    assert done.status_code == 302
    user = User.objects.get(email="new.hire@test.example")
    assert Membership.objects.get(user=user, clinic=clinic).role == Role.PROVIDER
    assert Client().get(link).status_code == 404  # used once
    assert AuditEvent.objects.filter(action="staff.joined", clinic=clinic).exists()


def test_only_owner_can_invite_an_owner(clinic, make_member, login):
    admin = make_member(clinic, Role.ADMIN)
    response = invite(login(admin), role=Role.OWNER)
    assert response.status_code == 200 and "role" in response.context["invite_form"].errors
    assert not Invitation.objects.exists()


def test_invalid_invite_shows_inline_errors(clinic, owner, login):
    response = login(owner).post("/settings/staff/", {"email": "not-an-email", "role": "emperor"})
    assert response.status_code == 200
    assert set(response.context["invite_form"].errors) == {"email", "role"}
    assert not Invitation.objects.exists()


def test_change_role_and_remove_access(clinic, owner, make_member, login):
    member = make_member(clinic, Role.FRONT_DESK)
    membership = Membership.objects.get(user=member)
    client = login(owner)
    assert client.post(f"/settings/staff/{membership.pk}/role/", {"role": Role.BILLING}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.BILLING
    member_client = login(member)
    assert client.post(f"/settings/staff/{membership.pk}/deactivate/").status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert member_client.get("/settings/staff/").status_code in (302, 403)
    actions = set(AuditEvent.objects.filter(clinic=clinic).values_list("action", flat=True))
    assert {"staff.role_changed", "staff.deactivated"} <= actions


def test_owner_cannot_demote_self(clinic, owner, login):
    membership = Membership.objects.get(user=owner)
    login(owner).post(f"/settings/staff/{membership.pk}/role/", {"role": Role.READ_ONLY})
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_staff_list_query_budget(clinic, owner, make_member, login, django_assert_max_num_queries):
    client = login(owner)
    for i in range(25):
        make_member(clinic, Role.PROVIDER, email=f"p{i}@test.example")
    with django_assert_max_num_queries(12):
        response = client.get("/settings/staff/")
    assert response.status_code == 200 and b"p24@test.example" in response.content


def test_clinic_switcher(clinic, other_clinic, owner, login):
    MembershipFactory(clinic=other_clinic, user=owner, role=Role.READ_ONLY)
    client = login(owner)
    assert client.get("/settings/").status_code == 200
    assert client.post("/clinic/switch/", {"clinic_id": str(other_clinic.pk)}).status_code == 302
    assert client.get("/settings/").status_code == 403  # read-only there
    owner.refresh_from_db()
    assert owner.last_clinic_id == other_clinic.pk


def test_cannot_switch_into_a_clinic_without_membership(clinic, other_clinic, owner, login):
    client = login(owner)
    assert client.post("/clinic/switch/", {"clinic_id": str(other_clinic.pk)}).status_code == 404
    assert client.get("/settings/").status_code == 200
