"""The merge wizard: pick, compare, confirm; refusals; roles and tenancy."""

from __future__ import annotations

import re

import pytest

from medspa.core.actors import Actor
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.patients import services
from medspa.patients.models import Allergy, Communication, Patient, PatientTag
from medspa.patients.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def actor_for(clinic, user, role=Role.OWNER) -> Actor:
    return Actor.staff(user=user, clinic=clinic, role=role)


@pytest.fixture
def survivor(clinic, owner):
    return services.patient_create(
        actor=actor_for(clinic, owner),
        data={
            "first_name": "Jennifer",
            "last_name": "Okafor",
            "phone": "(415) 555-0134",
            "email": "jen@example.com",
            "medical_history": "Keloid scarring since 2019",
        },
    )


@pytest.fixture
def duplicate(clinic, owner):
    """The same person entered again: same phone, another email, a tag, an allergy, a call."""
    actor = actor_for(clinic, owner)
    tag = TagFactory(clinic=clinic, name="VIP")
    dup = services.patient_create(
        actor=actor,
        data={
            "first_name": "Jen",
            "last_name": "Okafor",
            "phone": "415-555-0134",
            "email": "jennifer.okafor@example.com",
            "medical_history": "Cold sores",
            "allergies": [{"substance": "Lidocaine", "reaction": "hives", "severity": "severe"}],
            "tags": [str(tag.pk)],
        },
    )
    services.communication_create(actor=actor, patient_id=dup.pk, kind="call", direction="inbound", body="Asked")
    return dup


def merge_url(survivor, duplicate=None) -> str:
    base = f"/patients/{survivor.pk}/merge/"
    return f"{base}{duplicate.pk}/" if duplicate else base


def test_profile_header_offers_merge_only_with_the_permission(clinic, survivor, owner, make_member, login):
    assert merge_url(survivor).encode() in login(owner).get(f"/patients/{survivor.pk}/").content
    front_desk = login(make_member(clinic, Role.FRONT_DESK, email="desk@test.example"))
    assert merge_url(survivor).encode() not in front_desk.get(f"/patients/{survivor.pk}/").content


def test_pick_lists_likely_duplicates_first_and_searches(clinic, survivor, duplicate, owner, login):
    other = services.patient_create(
        actor=actor_for(clinic, owner), data={"first_name": "Priya", "last_name": "Searchable"}
    )
    client = login(owner)
    page = client.get(merge_url(survivor))
    assert page.status_code == 200
    assert b"Likely duplicate" in page.content and merge_url(survivor, duplicate).encode() in page.content
    assert merge_url(survivor, other).encode() not in page.content
    found = client.post(merge_url(survivor), {"q": "Searchable"})
    assert "Searchable" not in client.get(merge_url(survivor), {"q": "Searchable"}).content.decode()
    assert merge_url(survivor, other).encode() in found.content
    assert merge_url(survivor, survivor).encode() not in found.content


def test_compare_shows_differing_fields_and_what_moves(survivor, duplicate, owner, login):
    page = login(owner).get(merge_url(survivor, duplicate))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="field_email"' in content and "jennifer.okafor@example.com" in content
    assert 'name="field_medical_history"' in content
    assert 'name="field_last_name"' not in content  # the same on both
    assert 'data-move="communications">1<' in content
    assert 'data-move="allergies">1<' in content and 'data-move="tags">1<' in content


def test_clinical_fields_hidden_without_clinical_access(clinic, survivor, duplicate, make_member, login, monkeypatch):
    from medspa.core import permissions

    # Owners and admins hold clinical access today; a merging role without it must not see it.
    reduced = permissions.ROLE_PERMISSIONS[Role.ADMIN] - {"patients.view_clinical"}
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.ADMIN, reduced)
    admin = make_member(clinic, Role.ADMIN, email="admin2@test.example")
    client = login(admin)

    page = client.get(merge_url(survivor, duplicate))
    assert page.status_code == 200
    assert b"field_medical_history" not in page.content and b"Cold sores" not in page.content
    forced = client.post(merge_url(survivor, duplicate), {"field_medical_history": "duplicate", "step": "confirm"})
    assert forced.status_code == 302
    survivor.refresh_from_db()
    assert survivor.medical_history == "Keloid scarring since 2019"


def test_preview_then_confirm_merges_and_redirects(clinic, survivor, duplicate, owner, login):
    client = login(owner)
    choices = {"field_email": "duplicate", "field_medical_history": "survivor", "field_first_name": "survivor"}
    preview = client.post(merge_url(survivor, duplicate), {**choices, "step": "preview"})
    assert preview.status_code == 200
    assert b"Confirm the merge" in preview.content
    assert Patient.objects.filter(pk=duplicate.pk).exists()  # nothing merged yet

    done = client.post(merge_url(survivor, duplicate), {**choices, "step": "confirm"})

    assert done.status_code == 302 and done["Location"] == f"/patients/{survivor.pk}/"
    survivor.refresh_from_db()
    assert survivor.email == "jennifer.okafor@example.com"
    assert survivor.medical_history == "Keloid scarring since 2019"
    assert not Patient.objects.filter(pk=duplicate.pk).exists()
    assert Patient.all_objects.get(pk=duplicate.pk).merged_into_id == survivor.pk
    assert Communication.objects.filter(patient=survivor).count() == 1
    assert Allergy.objects.filter(patient=survivor, substance="Lidocaine").exists()
    assert PatientTag.objects.filter(patient=survivor).count() == 1
    assert AuditEvent.objects.filter(action="patient.merged", object_id=str(survivor.pk)).exists()
    page = client.get(done["Location"])
    assert b"was merged into" in page.content


def test_self_merge_is_refused_inline(survivor, owner, login):
    response = login(owner).post(merge_url(survivor, survivor), {"step": "confirm"})
    assert response.status_code == 422
    assert b"cannot be merged into itself" in response.content
    assert not AuditEvent.objects.filter(action="patient.merged").exists()


def test_already_merged_duplicate_is_refused(clinic, survivor, duplicate, owner, login):
    third = Patient.objects.create(clinic=clinic, first_name="Third", last_name="Person")
    services.patient_merge(actor=actor_for(clinic, owner), survivor_id=third.pk, duplicate_id=duplicate.pk)
    client = login(owner)
    assert client.get(merge_url(survivor, duplicate)).status_code == 409
    response = client.post(merge_url(survivor, duplicate), {"step": "confirm"})
    assert response.status_code == 409 and b"already merged" in response.content
    assert Communication.objects.filter(patient=survivor).count() == 0


@pytest.fixture
def outsider(other_clinic, make_member):
    """A profile of another clinic."""
    boss = make_member(other_clinic, Role.OWNER, email="boss@other.example")
    return services.patient_create(
        actor=actor_for(other_clinic, boss), data={"first_name": "Outside", "last_name": "Person"}
    )


def test_another_clinics_profile_is_not_found(outsider, survivor, owner, login):
    client = login(owner)
    assert client.get(merge_url(survivor, outsider)).status_code == 404
    assert client.post(merge_url(survivor, outsider), {"step": "confirm"}).status_code == 404
    assert client.get(merge_url(outsider)).status_code == 404
    assert Patient.objects.filter(pk=outsider.pk).exists()


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.PROVIDER, Role.READ_ONLY])
def test_roles_without_merge_get_403_and_nothing_changes(role, clinic, survivor, duplicate, make_member, login):
    client = login(make_member(clinic, role, email=f"{role}-actor@test.example"))
    assert client.get(merge_url(survivor)).status_code == 403
    assert client.get(merge_url(survivor, duplicate)).status_code == 403
    assert client.post(merge_url(survivor, duplicate), {"step": "confirm"}).status_code == 403
    assert Patient.objects.filter(pk=duplicate.pk).exists()
    assert not AuditEvent.objects.filter(action="patient.merged").exists()


def test_wizard_of_a_merged_away_profile_continues_from_its_survivor(clinic, survivor, duplicate, owner, login):
    third = Patient.objects.create(clinic=clinic, first_name="Third", last_name="Person")
    services.patient_merge(actor=actor_for(clinic, owner), survivor_id=third.pk, duplicate_id=survivor.pk)
    client = login(owner)
    assert client.get(merge_url(survivor))["Location"] == merge_url(third)
    assert client.get(merge_url(survivor, duplicate))["Location"] == merge_url(third, duplicate)


# Swap survivor ------------------------------------------------------------------------


def checked(content: str, field: str) -> str:
    """Which radio of `field_<field>` is ticked on the compare page."""
    found = re.findall(rf'name="field_{field}" value="(\w+)"( checked)?>', content)
    assert len(found) == 2, found
    return next(value for value, tick in found if tick)


def test_compare_offers_keeping_the_other_profile_instead(survivor, duplicate, owner, login):
    content = login(owner).get(merge_url(survivor, duplicate)).content.decode()
    swap = re.search(r'<button type="submit" name="step" value="swap" formaction="([^"]+)"[^>]*>', content)
    assert swap and swap.group(1) == merge_url(duplicate, survivor)
    assert "Keep the other profile instead" in content
    # "Review merge" comes first in the form, so Enter still reviews rather than swaps.
    assert content.index('value="preview"') < content.index('value="swap"')


def test_swap_reverses_the_pair_and_keeps_the_ticked_values(survivor, duplicate, owner, login):
    client = login(owner)
    # Ticked on survivor's page: the duplicate's email, the survivor's first name and history.
    choices = {"field_email": "duplicate", "field_first_name": "survivor", "field_medical_history": "survivor"}
    page = client.post(merge_url(duplicate, survivor), {**choices, "step": "swap"})
    assert page.status_code == 200
    content = page.content.decode()
    assert f"Merge {survivor.display_name} into {duplicate.display_name}" in content
    assert "The values you had ticked are still ticked." in content
    # Now the duplicate is kept: its own email, and the other profile's first name and history.
    assert checked(content, "email") == "survivor"
    assert checked(content, "first_name") == "duplicate"
    assert checked(content, "medical_history") == "duplicate"
    swap_back = re.search(r'value="swap" formaction="([^"]+)"', content)
    assert swap_back.group(1) == merge_url(survivor, duplicate)
    assert Patient.objects.filter(pk__in=[survivor.pk, duplicate.pk]).count() == 2
    assert not AuditEvent.objects.filter(action="patient.merged").exists()


def test_swap_without_choices_keeps_the_values_that_were_the_default(survivor, duplicate, owner, login):
    content = login(owner).post(merge_url(duplicate, survivor), {"step": "swap"}).content.decode()
    assert checked(content, "email") == "duplicate" and checked(content, "first_name") == "duplicate"


def test_swapped_merge_keeps_the_other_profile_with_the_ticked_values(clinic, survivor, duplicate, owner, login):
    client = login(owner)
    swapped = {"field_email": "survivor", "field_first_name": "duplicate", "field_medical_history": "duplicate"}
    done = client.post(merge_url(duplicate, survivor), {**swapped, "step": "confirm"})
    assert done.status_code == 302 and done["Location"] == f"/patients/{duplicate.pk}/"
    duplicate.refresh_from_db()
    assert (duplicate.first_name, duplicate.email) == ("Jennifer", "jennifer.okafor@example.com")
    assert duplicate.medical_history == "Keloid scarring since 2019"
    assert Patient.all_objects.get(pk=survivor.pk).merged_into_id == duplicate.pk
    assert Communication.objects.filter(patient=duplicate).count() == 1


def test_swap_of_another_clinics_profile_is_not_found(outsider, survivor, owner, login):
    client = login(owner)
    assert client.post(merge_url(outsider, survivor), {"step": "swap"}).status_code == 404
    assert client.post(merge_url(survivor, outsider), {"step": "swap"}).status_code == 404


def test_swap_needs_the_merge_permission(clinic, survivor, duplicate, make_member, login):
    client = login(make_member(clinic, Role.FRONT_DESK, email="desk@test.example"))
    assert client.post(merge_url(duplicate, survivor), {"step": "swap"}).status_code == 403
