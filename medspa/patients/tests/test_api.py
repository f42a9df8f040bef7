"""Patient API: create/read/update/delete, visibility per role, search, family, log, timeline."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from medspa.core.actors import Actor
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.patients import services
from medspa.patients.models import Patient, Relationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_role(clinic, make_member, api_token, api_client):
    def make(role: str):
        user = make_member(clinic, role, email=f"api-{role}@test.example")
        return api_client(api_token(user, clinic))

    return make


@pytest.fixture
def owner_actor(clinic, owner):
    return Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)


def send(client, method, url, body=None):
    return getattr(client, method)(
        url, data=json.dumps(body) if body is not None else None, content_type="application/json"
    )


def make_patient(actor, **data):
    return services.patient_create(actor=actor, data={"first_name": "Jennifer", "last_name": "Smith", **data})


def test_create_with_names_only(as_role):
    client = as_role(Role.FRONT_DESK)
    response = send(client, "post", "/api/patients", {"first_name": "Ana", "last_name": "Ruiz"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 1 and body["status"] == "active" and body["possible_duplicates"] == []
    assert body["marketing_emails"] is False and body["photo_marketing_consent"] is False
    assert AuditEvent.objects.filter(action="patient.created", object_id=body["id"]).exists()


def test_phone_is_stored_e164_and_shown_national(as_role):
    body = send(
        as_role(Role.OWNER), "post", "/api/patients", {"first_name": "A", "last_name": "B", "phone": "(415) 555-0134"}
    ).json()
    assert body["phone"] == "+14155550134" and body["phone_display"] == "(415) 555-0134"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "Ana"}, "last_name"),
        ({"first_name": "Ana", "last_name": "   "}, "last_name"),
        ({"first_name": "Ana", "last_name": "R", "email": "not-an-email"}, "email"),
        ({"first_name": "Ana", "last_name": "R", "phone": "12"}, "phone"),
        ({"first_name": "Ana", "last_name": "R", "date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"first_name": "Ana", "last_name": "R", "tags": ["00000000-0000-0000-0000-000000000000"]}, "tags"),
        ({"first_name": "Ana", "last_name": "R" * 81}, "last_name"),
        ({"first_name": "Ana", "last_name": "R", "favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_bad_input_is_422_with_field_and_writes_nothing(as_role, body, field):
    response = send(as_role(Role.OWNER), "post", "/api/patients", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    assert not Patient.all_objects.exists()


def test_clinical_fields_absent_for_front_desk_and_billing(clinic, owner_actor, as_role):
    patient = make_patient(
        owner_actor,
        medications=["Isotretinoin"],
        clinical_notes="Bruises easily",
        medical_alerts=["Blood thinners"],
        allergies=[{"substance": "Lidocaine", "severity": "severe"}],
    )
    for role in (Role.FRONT_DESK, Role.BILLING, Role.READ_ONLY):
        body = as_role(role).get(f"/api/patients/{patient.pk}").json()
        for hidden in ("medications", "clinical_notes", "medical_history", "skin_type"):
            assert hidden not in body, (role, hidden)
        assert "Isotretinoin" not in json.dumps(body)
        assert body["medical_alerts"] == ["Blood thinners"]
        assert body["allergies"][0]["substance"] == "Lidocaine"
    for role in (Role.PROVIDER, Role.MEDICAL_DIRECTOR, Role.OWNER):
        body = as_role(role).get(f"/api/patients/{patient.pk}").json()
        assert body["medications"] == ["Isotretinoin"] and body["clinical_notes"] == "Bruises easily"


def test_front_desk_cannot_write_clinical_fields(owner_actor, as_role):
    patient = make_patient(owner_actor)
    response = send(
        as_role(Role.FRONT_DESK), "patch", f"/api/patients/{patient.pk}", {"version": 1, "medications": ["X"]}
    )
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.medications == [] and patient.version == 1


def test_read_only_and_md_cannot_write(as_role):
    for role in (Role.READ_ONLY, Role.MEDICAL_DIRECTOR, Role.BILLING):
        response = send(as_role(role), "post", "/api/patients", {"first_name": "A", "last_name": "B"})
        assert response.status_code == 403
    assert not Patient.objects.exists()


def test_patch_and_stale_version(owner_actor, as_role):
    patient = make_patient(owner_actor)
    client = as_role(Role.FRONT_DESK)
    ok = send(client, "patch", f"/api/patients/{patient.pk}", {"version": 1, "preferred_name": "Jen"})
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.json()["display_name"] == "Jen Smith"
    stale = send(client, "patch", f"/api/patients/{patient.pk}", {"version": 1, "preferred_name": "Jenny"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    patient.refresh_from_db()
    assert patient.preferred_name == "Jen" and patient.version == 2


def test_put_replaces_profile(owner_actor, as_role):
    patient = make_patient(owner_actor, email="jen@example.com", pronouns="she/her")
    body = {"version": 1, "first_name": "Jennifer", "last_name": "Smith-Jones", "phone": "212-555-0199"}
    response = send(as_role(Role.OWNER), "put", f"/api/patients/{patient.pk}", body)
    assert response.status_code == 200, response.content
    patient.refresh_from_db()
    assert patient.last_name == "Smith-Jones" and patient.email == "" and patient.pronouns == ""
    assert patient.phone == "+12125550199" and patient.last_key == "smithjones"


def test_status_change_is_timestamped_and_on_the_timeline(owner_actor, as_role):
    patient = make_patient(owner_actor)
    before = patient.status_changed_at
    client = as_role(Role.OWNER)
    assert send(client, "patch", f"/api/patients/{patient.pk}", {"version": 1, "status": "inactive"}).status_code == 200
    patient.refresh_from_db()
    assert patient.status == "inactive" and patient.status_changed_at > before
    send(client, "post", f"/api/patients/{patient.pk}/communications", {"kind": "call", "body": "Confirmed Friday"})
    timeline = client.get(f"/api/patients/{patient.pk}/timeline").json()
    titles = [item["title"] for item in timeline["items"]]
    assert titles[0].startswith("Call") and "Status changed" in titles and titles[-1] == "Profile created"


def test_soft_delete(owner_actor, as_role):
    patient = make_patient(owner_actor)
    client = as_role(Role.OWNER)
    assert client.delete(f"/api/patients/{patient.pk}").status_code == 204
    assert client.get(f"/api/patients/{patient.pk}").status_code == 404
    assert Patient.all_objects.get(pk=patient.pk).deleted_at is not None


def test_relationships_are_symmetric(owner_actor, as_role):
    parent, child = make_patient(owner_actor, first_name="Maria"), make_patient(owner_actor, first_name="Lucia")
    client = as_role(Role.FRONT_DESK)
    response = send(
        client, "post", f"/api/patients/{parent.pk}/relationships", {"related_id": str(child.pk), "kind": "parent"}
    )
    assert response.status_code == 201
    assert Relationship.objects.get(patient=child, related=parent).kind == "child"
    assert client.get(f"/api/patients/{child.pk}/relationships").json()["items"][0]["kind"] == "child"
    again = send(
        client, "post", f"/api/patients/{child.pk}/relationships", {"related_id": str(parent.pk), "kind": "sibling"}
    )
    assert again.status_code == 409
    self_link = send(
        client, "post", f"/api/patients/{parent.pk}/relationships", {"related_id": str(parent.pk), "kind": "other"}
    )
    assert self_link.status_code == 422
    assert Relationship.objects.count() == 2


def test_other_clinics_patient_looks_missing_everywhere(owner_actor, other_clinic, other_clinic_owner, as_role):
    theirs = make_patient(
        Actor.staff(user=other_clinic_owner, clinic=other_clinic, role=Role.OWNER), first_name="Canary"
    )
    mine = make_patient(owner_actor)
    client = as_role(Role.OWNER)
    routes = [
        ("get", f"/api/patients/{theirs.pk}", None),
        ("patch", f"/api/patients/{theirs.pk}", {"version": 1, "first_name": "X"}),
        ("put", f"/api/patients/{theirs.pk}", {"version": 1, "first_name": "X", "last_name": "Y"}),
        ("delete", f"/api/patients/{theirs.pk}", None),
        ("get", f"/api/patients/{theirs.pk}/relationships", None),
        ("post", f"/api/patients/{theirs.pk}/relationships", {"related_id": str(mine.pk), "kind": "other"}),
        ("post", f"/api/patients/{mine.pk}/relationships", {"related_id": str(theirs.pk), "kind": "other"}),
        ("get", f"/api/patients/{theirs.pk}/communications", None),
        ("post", f"/api/patients/{theirs.pk}/communications", {"kind": "note", "body": "x"}),
        ("get", f"/api/patients/{theirs.pk}/timeline", None),
    ]
    for method, url, body in routes:
        assert send(client, method, url, body).status_code == 404, (method, url)
    theirs.refresh_from_db()
    assert theirs.first_name == "Canary" and theirs.deleted_at is None and theirs.version == 1
    assert not Relationship.objects.exists()
    assert "Canary" not in json.dumps(client.get("/api/patients", {"q": "canary"}).json())


def test_tags_from_another_clinic_are_refused(owner_actor, other_clinic, other_clinic_owner, as_role):
    tag = services.tag_create(
        actor=Actor.staff(user=other_clinic_owner, clinic=other_clinic, role=Role.OWNER), name="VIP"
    )
    response = send(
        as_role(Role.OWNER), "post", "/api/patients", {"first_name": "A", "last_name": "B", "tags": [str(tag.pk)]}
    )
    assert response.status_code == 422 and "tags" in response.json()["fields"]


def test_search_kinds(owner_actor, as_role):
    from datetime import date

    jen = make_patient(owner_actor, phone="415-555-0134", email="jen.smith@example.com", date_of_birth=date(1990, 5, 4))
    jose = make_patient(
        owner_actor, first_name="José", last_name="García", preferred_name="Pepe", alternate_phone="6465550111"
    )
    client = as_role(Role.FRONT_DESK)

    def ids(q):
        return [item["id"] for item in client.get("/api/patients", {"q": q}).json()["items"]]

    for q in (
        "jen smi",
        "SMITH",
        "smi jen",
        "(415) 555-0134",
        "4155550134",
        "415555",
        "0134",
        "+1 415 555 0134",
        "jen.smith@ex",
        "1990-05-04",
        "05/04/1990",
    ):
        assert ids(q) == [str(jen.pk)], q
    for q in ("jose", "garc", "JOSÉ GARCÍA", "pepe", "646555"):
        assert ids(q) == [str(jose.pk)], q
    assert ids("zzz") == [] and ids("jen garcia") == []


def test_list_pagination_and_bad_cursor(owner_actor, as_role):
    for i in range(25):
        make_patient(owner_actor, last_name=f"Name{i:02d}")
    client = as_role(Role.OWNER)
    first = client.get("/api/patients", {"limit": 10}).json()
    assert len(first["items"]) == 10 and first["next"]
    second = client.get("/api/patients", {"limit": 10, "cursor": first["next"]}).json()
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    third = client.get("/api/patients", {"limit": 10, "cursor": second["next"]}).json()
    assert len(third["items"]) == 5 and third["next"] is None
    bad = client.get("/api/patients", {"cursor": "not-a-cursor!!"})
    assert bad.status_code == 422 and "cursor" in bad.json()["fields"]


def test_list_query_budget(owner_actor, as_role, django_assert_max_num_queries):
    tag = services.tag_create(actor=owner_actor, name="VIP")
    for i in range(30):
        make_patient(owner_actor, last_name=f"N{i}", tags=[tag.pk], allergies=[{"substance": "Latex"}])
    client = as_role(Role.OWNER)
    with django_assert_max_num_queries(8):
        body = client.get("/api/patients", {"limit": 30}).json()
    assert len(body["items"]) == 30 and body["items"][0]["tags"][0]["name"] == "VIP"


def test_duplicates_warning(owner_actor, as_role):
    from datetime import date

    existing = make_patient(owner_actor, phone="415-555-0134", date_of_birth=date(1985, 1, 2))
    client = as_role(Role.FRONT_DESK)
    created = send(
        client, "post", "/api/patients", {"first_name": "Jenny", "last_name": "Smyth", "phone": "4155550134"}
    ).json()
    assert created["possible_duplicates"][0]["id"] == str(existing.pk)
    by_name = client.get(
        "/api/patients/duplicates", {"first_name": "Jenifer", "last_name": "Smith", "date_of_birth": "1985-01-02"}
    )
    assert [i["id"] for i in by_name.json()["items"]] == [str(existing.pk)]


def test_communications_log(owner_actor, as_role):
    patient = make_patient(owner_actor)
    client = as_role(Role.FRONT_DESK)
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert (
        send(
            client,
            "post",
            f"/api/patients/{patient.pk}/communications",
            {"kind": "sms", "body": "x", "occurred_at": future},
        ).status_code
        == 422
    )
    assert (
        send(client, "post", f"/api/patients/{patient.pk}/communications", {"kind": "fax", "body": "x"}).status_code
        == 422
    )
    created = send(
        client,
        "post",
        f"/api/patients/{patient.pk}/communications",
        {"kind": "sms", "direction": "inbound", "body": "Running late"},
    )
    assert created.status_code == 201
    items = client.get(f"/api/patients/{patient.pk}/communications").json()["items"]
    assert items[0]["body"] == "Running late" and items[0]["direction"] == "inbound" and items[0]["staff"]


def test_search_names_with_punctuation_spaces_and_special_letters(owner_actor, as_role):
    people = {
        "anne": make_patient(owner_actor, first_name="Anne-Marie", last_name="Dubois"),
        "oneill": make_patient(owner_actor, first_name="Siobhán", last_name="O'Neill"),
        "cruz": make_patient(owner_actor, first_name="Maria", last_name="De La Cruz"),
        "lucja": make_patient(owner_actor, first_name="Łucja", last_name="Søren-Strauß"),
    }
    client = as_role(Role.FRONT_DESK)

    def ids(q):
        return [item["id"] for item in client.get("/api/patients", {"q": q}).json()["items"]]

    cases = {
        "anne-marie": "anne",
        "annemarie dub": "anne",
        "anne marie": "anne",
        "o'neill": "oneill",
        "o’neill siob": "oneill",
        "de la cruz": "cruz",
        "delacruz maria": "cruz",
        "lucja": "lucja",
        "soren strauss": "lucja",
        "søren-strauß": "lucja",
    }
    for q, who in cases.items():
        assert ids(q) == [str(people[who].pk)], q


def test_out_of_range_paging_is_refused_or_clamped(owner_actor, owner, login, as_role):
    from medspa.core.pagination import encode_cursor

    patient = make_patient(owner_actor)
    client = as_role(Role.OWNER)
    for url in ("/api/patients", f"/api/patients/{patient.pk}/timeline", f"/api/patients/{patient.pk}/communications"):
        response = client.get(url, {"cursor": encode_cursor(10**30)})
        assert response.status_code == 422 and "cursor" in response.json()["fields"], url
    assert client.get("/api/patients", {"offset": 10**30}).status_code == 422
    web = login(owner)
    assert web.get("/patients/", {"offset": str(10**30)}).status_code == 200
    assert web.get(f"/patients/{patient.pk}/timeline/", {"offset": str(10**30)}).status_code == 200


@pytest.mark.django_db
def test_search_text_with_a_nul_byte_is_searched_without_it(clinic, owner):
    from medspa.core.actors import Actor
    from medspa.core.permissions import Role
    from medspa.patients import selectors

    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    for q in ("@\x00", "jen\x00", "\x00", "415\x00555"):
        page, _ = selectors.patient_search(actor=actor, q=q)
        assert page == [] or all(p.clinic_id == clinic.pk for p in page)
