"""Merging duplicates: every related record moves, the duplicate is kept and points onward."""

import json

import pytest
from django.apps import apps

from medspa.core.actors import Actor
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.patients import merge, services
from medspa.patients.models import Allergy, Communication, Patient, PatientTag, Relationship

pytestmark = pytest.mark.django_db


def test_merge_registry_covers_every_foreign_key():
    """Any model, in any app, with a foreign key to Patient must say how a merge moves it."""
    from medspa.patients.models import Patient as PatientModel

    needed = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if getattr(field, "many_to_one", False) and field.related_model is PatientModel and field.concrete:
                needed.add((model._meta.label_lower, field.name))
    assert needed, "the walk found no foreign keys at all"
    assert needed == set(merge.registered()), f"unregistered: {needed - set(merge.registered())}"


@pytest.fixture
def actor(clinic, owner):
    return Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)


def counts(patient):
    return {
        "communications": Communication.objects.filter(patient=patient).count(),
        "allergies": Allergy.objects.filter(patient=patient).count(),
        "tags": PatientTag.objects.filter(patient=patient).count(),
        "links": Relationship.objects.filter(patient=patient).count(),
    }


def test_merge_moves_everything(actor):
    vip, laser = services.tag_create(actor=actor, name="VIP"), services.tag_create(actor=actor, name="Laser")
    survivor = services.patient_create(
        actor=actor,
        data={"first_name": "Jennifer", "last_name": "Smith", "tags": [vip.pk], "allergies": [{"substance": "Latex"}]},
    )
    duplicate = services.patient_create(
        actor=actor,
        data={
            "first_name": "Jen",
            "last_name": "Smith",
            "email": "jen@example.com",
            "tags": [vip.pk, laser.pk],
            "allergies": [{"substance": "Latex"}, {"substance": "Lidocaine"}],
        },
    )
    child = services.patient_create(
        actor=actor, data={"first_name": "Kid", "last_name": "Smith", "primary_contact_id": duplicate.pk}
    )
    services.relationship_create(actor=actor, patient_id=duplicate.pk, related_id=child.pk, kind="parent")
    services.relationship_create(actor=actor, patient_id=duplicate.pk, related_id=survivor.pk, kind="other")
    for body in ("Left voicemail", "Booked consult"):
        services.communication_create(actor=actor, patient_id=duplicate.pk, kind="call", body=body)
    services.communication_create(actor=actor, patient_id=survivor.pk, kind="note", body="VIP")
    merged = services.patient_merge(
        actor=actor, survivor_id=survivor.pk, duplicate_id=duplicate.pk, fields={"email": "duplicate"}
    )
    assert merged.email == "jen@example.com" and merged.first_name == "Jennifer" and merged.version == 2
    after = counts(survivor)
    assert after == {"communications": 3, "allergies": 2, "tags": 2, "links": 1}
    assert counts(Patient.all_objects.get(pk=duplicate.pk)) == {
        "communications": 0,
        "allergies": 0,
        "tags": 0,
        "links": 0,
    }
    assert Relationship.objects.get(patient=child).related_id == survivor.pk
    assert Relationship.objects.get(patient=child).kind == "child"
    assert Patient.objects.get(pk=child.pk).primary_contact_id == survivor.pk
    gone = Patient.all_objects.get(pk=duplicate.pk)
    assert gone.merged_into_id == survivor.pk and gone.deleted_at is not None
    event = AuditEvent.objects.get(action="patient.merged")
    assert event.object_id == str(survivor.pk) and event.changes["duplicate"] == str(duplicate.pk)


def test_merge_refusals(actor, other_clinic, other_clinic_owner):
    a = services.patient_create(actor=actor, data={"first_name": "A", "last_name": "One"})
    b = services.patient_create(actor=actor, data={"first_name": "B", "last_name": "Two"})
    theirs = services.patient_create(
        actor=Actor.staff(user=other_clinic_owner, clinic=other_clinic, role=Role.OWNER),
        data={"first_name": "C", "last_name": "X"},
    )
    from medspa.core.errors import Conflict, InvalidInput, NotFound

    with pytest.raises(InvalidInput):
        services.patient_merge(actor=actor, survivor_id=a.pk, duplicate_id=a.pk)
    with pytest.raises(NotFound):
        services.patient_merge(actor=actor, survivor_id=a.pk, duplicate_id=theirs.pk)
    with pytest.raises(InvalidInput):
        services.patient_merge(actor=actor, survivor_id=a.pk, duplicate_id=b.pk, fields={"id": "duplicate"})
    services.patient_merge(actor=actor, survivor_id=a.pk, duplicate_id=b.pk)
    with pytest.raises(Conflict):
        services.patient_merge(actor=actor, survivor_id=a.pk, duplicate_id=b.pk)
    assert Patient.objects.filter(pk=theirs.pk).exists()


def test_merge_api_and_old_id(clinic, owner, make_member, api_token, api_client, actor):
    a = services.patient_create(actor=actor, data={"first_name": "A", "last_name": "One"})
    b = services.patient_create(actor=actor, data={"first_name": "B", "last_name": "Two", "phone": "2125550100"})
    front_desk = api_client(api_token(make_member(clinic, Role.FRONT_DESK), clinic))
    body = json.dumps({"duplicate_id": str(b.pk), "fields": {"phone": "duplicate"}})
    assert front_desk.post(f"/api/patients/{a.pk}/merge", body, content_type="application/json").status_code == 403
    client = api_client(api_token(owner, clinic))
    response = client.post(f"/api/patients/{a.pk}/merge", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["phone"] == "+12125550100"
    old = client.get(f"/api/patients/{b.pk}")
    assert old.status_code == 404 and old.json()["fields"]["merged_into"] == str(a.pk)
