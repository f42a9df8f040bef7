"""Tag services: rename/recolour and delete — permission, clinic scope, unique names, audit."""

from __future__ import annotations

import pytest

from medspa.core.actors import Actor
from medspa.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.patients import services
from medspa.patients.models import Patient, PatientTag, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(clinic, owner):
    return Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)


@pytest.fixture
def other_actor(other_clinic, other_clinic_owner):
    return Actor.staff(user=other_clinic_owner, clinic=other_clinic, role=Role.OWNER)


def audit(action):
    return AuditEvent.objects.filter(action=action)


def test_update_renames_and_recolours_with_an_audit_of_the_change(actor):
    tag = services.tag_create(actor=actor, name="VIP", color="#ff0000")
    saved = services.tag_update(actor=actor, tag_id=tag.pk, name="  Gold member ", color="#00AA00")
    tag.refresh_from_db()
    assert (saved.pk, tag.name, tag.color) == (tag.pk, "Gold member", "#00aa00")
    event = audit("patient.tag_updated").get(object_id=str(tag.pk))
    assert event.changes == {"name": ["VIP", "Gold member"], "color": ["#ff0000", "#00aa00"]}


def test_update_may_change_only_the_case_of_its_own_name(actor):
    tag = services.tag_create(actor=actor, name="vip")
    services.tag_update(actor=actor, tag_id=tag.pk, name="VIP", color=tag.color)
    tag.refresh_from_db()
    assert tag.name == "VIP"


def test_update_without_a_change_writes_no_audit(actor):
    tag = services.tag_create(actor=actor, name="VIP", color="#ff0000")
    services.tag_update(actor=actor, tag_id=tag.pk, name="VIP", color="#FF0000")
    assert not audit("patient.tag_updated").exists()


def test_update_refuses_a_name_another_tag_has_in_any_case(actor):
    services.tag_create(actor=actor, name="VIP")
    tag = services.tag_create(actor=actor, name="Regular", color="#123456")
    with pytest.raises(Conflict) as refused:
        services.tag_update(actor=actor, tag_id=tag.pk, name="vip", color="#654321")
    assert refused.value.fields == {"name": "Already in use."}
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("Regular", "#123456")
    assert not audit("patient.tag_updated").exists()


def test_update_name_taken_only_in_another_clinic_is_fine(actor, other_actor):
    services.tag_create(actor=other_actor, name="VIP")
    tag = services.tag_create(actor=actor, name="Regular")
    services.tag_update(actor=actor, tag_id=tag.pk, name="VIP", color=tag.color)
    assert Tag.objects.filter(name="VIP").count() == 2


@pytest.mark.parametrize(
    ("name", "color", "fields"),
    [
        ("", "#123456", {"name"}),
        ("x" * 41, "#123456", {"name"}),
        ("Fine", "red", {"color"}),
        ("Fine", "#12345g", {"color"}),
        ("  ", "", {"name", "color"}),
    ],
)
def test_update_bad_input_names_the_fields_and_writes_nothing(actor, name, color, fields):
    tag = services.tag_create(actor=actor, name="VIP", color="#ff0000")
    with pytest.raises(InvalidInput) as refused:
        services.tag_update(actor=actor, tag_id=tag.pk, name=name, color=color)
    assert set(refused.value.fields) == fields
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("VIP", "#ff0000")
    assert not audit("patient.tag_updated").exists()


def test_update_and_delete_of_another_clinics_tag_are_not_found(actor, other_actor):
    theirs = services.tag_create(actor=other_actor, name="Theirs", color="#111111")
    patient = services.patient_create(
        actor=other_actor, data={"first_name": "O", "last_name": "P", "tags": [theirs.pk]}
    )
    with pytest.raises(NotFound):
        services.tag_update(actor=actor, tag_id=theirs.pk, name="Hijacked", color="#222222")
    with pytest.raises(NotFound):
        services.tag_delete(actor=actor, tag_id=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
    assert PatientTag.objects.filter(patient=patient, tag=theirs).exists()
    assert not audit("patient.tag_updated").exists() and not audit("patient.tag_deleted").exists()


def test_roles_without_patient_edit_are_refused(clinic, actor, make_member):
    tag = services.tag_create(actor=actor, name="VIP", color="#ff0000")
    reader = Actor.staff(
        user=make_member(clinic, Role.READ_ONLY, email="ro@test.example"), clinic=clinic, role=Role.READ_ONLY
    )
    with pytest.raises(PermissionDenied):
        services.tag_update(actor=reader, tag_id=tag.pk, name="Nope", color="#000000")
    with pytest.raises(PermissionDenied):
        services.tag_delete(actor=reader, tag_id=tag.pk)
    assert Tag.objects.filter(pk=tag.pk, name="VIP").exists()


def test_delete_takes_the_tag_off_every_profile_and_audits_the_count(actor):
    vip = services.tag_create(actor=actor, name="VIP")
    keep = services.tag_create(actor=actor, name="Keep")
    tagged = [
        services.patient_create(actor=actor, data={"first_name": f"P{i}", "last_name": "Q", "tags": [vip.pk, keep.pk]})
        for i in range(3)
    ]
    services.patient_delete(actor=actor, patient_id=tagged[2].pk)  # a closed profile loses the tag too

    assert services.tag_delete(actor=actor, tag_id=vip.pk) == 3

    assert not Tag.objects.filter(pk=vip.pk).exists()
    assert not PatientTag.objects.filter(tag_id=vip.pk).exists()
    assert PatientTag.objects.filter(tag=keep).count() == 3
    assert Patient.all_objects.filter(pk__in=[p.pk for p in tagged]).count() == 3
    event = audit("patient.tag_deleted").get(object_id=str(vip.pk))
    assert event.changes == {"name": "VIP", "color": vip.color, "patients": 3}


def test_delete_of_a_missing_tag_is_not_found(actor):
    tag = services.tag_create(actor=actor, name="VIP")
    services.tag_delete(actor=actor, tag_id=tag.pk)
    with pytest.raises(NotFound):
        services.tag_delete(actor=actor, tag_id=tag.pk)
    assert audit("patient.tag_deleted").count() == 1
