"""Patient pages: list and search, create, profile tabs, quick edit, roles and tenancy."""

from __future__ import annotations

import pytest

from medspa.core.actors import Actor
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.patients import services
from medspa.patients.models import Communication, Patient, Relationship
from medspa.patients.tests.factories import AllergyFactory, PatientFactory, PatientTagFactory, TagFactory

pytestmark = pytest.mark.django_db

CLINICAL_VALUES = ("Isotretinoin 20mg", "Keloid scarring since 2019", "Bruises easily on warfarin", "burns minimally")


def owner_actor(clinic, user) -> Actor:
    return Actor.staff(user=user, clinic=clinic, role=Role.OWNER)


@pytest.fixture
def patient(clinic, owner):
    """A profile with safety information and clinical details, made by the real service."""
    return services.patient_create(
        actor=owner_actor(clinic, owner),
        data={
            "first_name": "Jennifer",
            "last_name": "Okafor",
            "preferred_name": "Jen",
            "pronouns": "she/her",
            "phone": "(415) 555-0134",
            "email": "jen@example.com",
            "medical_alerts": ["Pacemaker"],
            "allergies": [{"substance": "Lidocaine", "reaction": "hives", "severity": "severe"}],
            "medications": ["Isotretinoin 20mg"],
            "medical_history": "Keloid scarring since 2019",
            "clinical_notes": "Bruises easily on warfarin",
            "skin_type": "IV",
        },
    )


@pytest.fixture
def other_patient(other_clinic, make_member):
    boss = make_member(other_clinic, Role.OWNER, email="boss@other.example")
    return services.patient_create(
        actor=owner_actor(other_clinic, boss), data={"first_name": "Outside", "last_name": "Person"}
    )


def patient_form(**overrides):
    data = {"first_name": "Maria", "last_name": "Lopez", "status": "active", "phone": "415-555-0199"}
    data.update(overrides)
    return data


# List and search ---------------------------------------------------------------------


def test_sidebar_patients_section_opens_the_list(owner, login):
    response = login(owner).get("/patients/")
    assert response.status_code == 200
    assert b'href="/patients/"' in response.content


def test_list_finds_by_name_and_phone_fragment(clinic, owner, login, patient):
    PatientFactory(clinic=clinic, first_name="Zed", last_name="Other", phone="+12125550100")
    client = login(owner)
    by_name = client.post("/patients/", {"q": "okaf"})
    assert "Jen Okafor" in by_name.content.decode() and "Zed Other" not in by_name.content.decode()
    by_phone = client.post("/patients/", {"q": "(415) 555-01"})
    assert "Jen Okafor" in by_phone.content.decode() and "Zed Other" not in by_phone.content.decode()
    # The htmx request gets only the results partial, with the phone in national format.
    partial = client.post("/patients/", {"q": "0134", "status": "active"}, headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert "<html" not in html and "(415) 555-0134" in html
    # PRIV-5: the pushed URL keeps the filters but never the search text; a GET ignores ?q=.
    assert partial["HX-Push-Url"] == "/patients/?status=active"
    assert "Zed Other" in client.get("/patients/", {"q": "okaf"}).content.decode()


def test_list_empty_states(clinic, owner, login):
    client = login(owner)
    assert "No patients yet" in client.get("/patients/").content.decode()
    PatientFactory(clinic=clinic, first_name="Ann", last_name="Lee")
    assert "No matching patients" in client.post("/patients/", {"q": "zzzz"}).content.decode()


def test_list_filters_by_status_and_tag(clinic, owner, login):
    vip = TagFactory(clinic=clinic, name="VIP")
    tagged = PatientFactory(clinic=clinic, first_name="Tina", last_name="Tagged")
    PatientTagFactory(patient=tagged, tag=vip)
    PatientFactory(clinic=clinic, first_name="Uma", last_name="Untagged", status="inactive")
    client = login(owner)
    html = client.get("/patients/", {"tag": str(vip.pk)}).content.decode()
    assert "Tina Tagged" in html and "Uma Untagged" not in html
    html = client.get("/patients/", {"status": "inactive"}).content.decode()
    assert "Uma Untagged" in html and "Tina Tagged" not in html


def test_list_load_more_pages_by_offset(clinic, owner, login):
    for n in range(30):
        PatientFactory(clinic=clinic, first_name="Page", last_name=f"Person{n:02d}")
    client = login(owner)
    first = client.get("/patients/").content.decode()
    assert "Load more" in first and "Person24" in first and "Person25" not in first
    more = client.get("/patients/", {"offset": 25}, headers={"HX-Request": "true"}).content.decode()
    assert "Person25" in more and "Person29" in more and "Person00" not in more and "Load more" not in more
    # "Load more" of a search re-sends the search text in the POST body, not in a URL.
    searched = client.post("/patients/", {"q": "page"}, headers={"HX-Request": "true"}).content.decode()
    assert 'name="q" value="page"' in searched and "?q=" not in searched and "offset=" not in searched
    more = client.post("/patients/", {"q": "page", "offset": 25}, headers={"HX-Request": "true"}).content.decode()
    assert "Person25" in more and "Person00" not in more


def test_list_query_budget(clinic, owner, login, django_assert_max_num_queries):
    tags = [TagFactory(clinic=clinic, name=f"T{n}", color="#10b981") for n in range(3)]
    for n in range(30):
        p = PatientFactory(clinic=clinic, medical_alerts=["Pregnant"])
        PatientTagFactory(patient=p, tag=tags[n % 3])
        AllergyFactory(patient=p)
    client = login(owner)
    client.get("/patients/")  # warm the session and caches
    with django_assert_max_num_queries(12):
        response = client.get("/patients/")
    assert response.status_code == 200 and response.content.decode().count("data-result") == 25


# Create ------------------------------------------------------------------------------


def test_create_page_success_lands_on_profile(clinic, owner, login):
    response = login(owner).post("/patients/new/", patient_form())
    patient = Patient.objects.get(clinic=clinic, last_name="Lopez")
    assert response.status_code == 302 and response["Location"].startswith(f"/patients/{patient.pk}/")
    assert patient.phone == "+14155550199"
    assert AuditEvent.objects.filter(action="patient.created", object_id=str(patient.pk)).exists()


def test_create_from_modal_redirects_with_htmx(clinic, owner, login):
    client = login(owner)
    form = client.get("/patients/new/", headers={"HX-Request": "true"})
    assert form.status_code == 200 and "<html" not in form.content.decode() and "hx-post" in form.content.decode()
    response = client.post("/patients/new/", patient_form(), headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/patients/")


@pytest.mark.parametrize(
    ("bad", "field"), [({"last_name": ""}, "last_name"), ({"phone": "12"}, "phone"), ({"email": "nope"}, "email")]
)
def test_create_inline_errors_write_nothing(clinic, owner, login, bad, field):
    response = login(owner).post("/patients/new/", patient_form(**bad))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Patient.objects.filter(clinic=clinic).exists()
    assert not AuditEvent.objects.filter(action="patient.created").exists()


def test_create_warns_about_likely_duplicates(clinic, owner, login, patient):
    client = login(owner)
    response = client.post("/patients/new/", patient_form(first_name="Jenny", phone="415 555 0134"), follow=True)
    html = response.content.decode()
    assert "may be a duplicate" in html and "Jen Okafor" in html and "same phone" in html
    assert Patient.objects.filter(clinic=clinic).count() == 2


def test_front_desk_create_form_has_no_clinical_fields(clinic, make_member, login):
    desk = make_member(clinic, Role.FRONT_DESK)
    html = login(desk).get("/patients/new/").content.decode()
    assert 'name="first_name"' in html and 'name="clinical_notes"' not in html and 'name="medications"' not in html


# Profile and tabs --------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.BILLING])
def test_profile_hides_clinical_fields(clinic, make_member, login, patient, role):
    client = login(make_member(clinic, role))
    for url in (f"/patients/{patient.pk}/", f"/patients/{patient.pk}/overview/"):
        html = client.get(url).content.decode()
        assert "Jen Okafor" in html
        for value in CLINICAL_VALUES:
            assert value not in html
        # Safety information is for everyone who can see the patient.
        assert "Lidocaine" in html and "severe" in html and "Pacemaker" in html
    edit = client.get(f"/patients/{patient.pk}/edit/")
    if role == Role.FRONT_DESK:
        assert all(value not in edit.content.decode() for value in CLINICAL_VALUES)


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.OWNER, Role.MEDICAL_DIRECTOR])
def test_profile_shows_clinical_fields_to_clinical_roles(clinic, make_member, login, patient, role):
    html = login(make_member(clinic, role)).get(f"/patients/{patient.pk}/").content.decode()
    for value in CLINICAL_VALUES:
        assert value in html
    assert "Lidocaine" in html and "Pacemaker" in html


def test_profile_query_budget(clinic, owner, login, patient, django_assert_max_num_queries):
    client = login(owner)
    client.get(f"/patients/{patient.pk}/")
    with django_assert_max_num_queries(10):
        assert client.get(f"/patients/{patient.pk}/").status_code == 200


def test_tabs_answer_partials_to_htmx_and_pages_otherwise(owner, login, patient):
    client = login(owner)
    for tab in (
        "overview",
        "timeline",
        "communications",
        "family",
        "appointments",
        "charts",
        "photos",
        "consents",
        "billing",
    ):
        page = client.get(f"/patients/{patient.pk}/{tab}/")
        partial = client.get(f"/patients/{patient.pk}/{tab}/", headers={"HX-Request": "true"})
        assert page.status_code == 200 and "<html" in page.content.decode(), tab
        assert partial.status_code == 200 and "<html" not in partial.content.decode(), tab
    assert "not available yet" in client.get(f"/patients/{patient.pk}/billing/").content.decode()


def test_timeline_lists_history_and_communications(clinic, owner, login, patient):
    services.communication_create(
        actor=owner_actor(clinic, owner), patient_id=patient.pk, kind="call", body="Confirmed Tuesday"
    )
    html = login(owner).get(f"/patients/{patient.pk}/timeline/").content.decode()
    assert "Profile created" in html and "Confirmed Tuesday" in html


def test_log_communication(clinic, owner, login, patient):
    client = login(owner)
    response = client.post(
        f"/patients/{patient.pk}/communications/log/",
        {"kind": "sms", "direction": "inbound", "body": "Can I move my appointment?"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "Can I move my appointment?" in response.content.decode()
    assert Communication.objects.filter(patient=patient, kind="sms", direction="inbound").count() == 1
    empty = client.post(
        f"/patients/{patient.pk}/communications/log/", {"kind": "sms", "direction": "inbound", "body": ""}
    )
    assert empty.status_code == 422 and Communication.objects.filter(patient=patient).count() == 1


def test_family_search_add_and_remove(clinic, owner, login, patient):
    child = PatientFactory(clinic=clinic, first_name="Kid", last_name="Okafor")
    client = login(owner)
    assert client.get(f"/patients/{patient.pk}/family/search/", {"q": "kid"}).status_code == 405
    picker = client.post(f"/patients/{patient.pk}/family/search/", {"q": "kid"}).content.decode()
    assert str(child.pk) in picker and f'value="{patient.pk}"' not in picker
    added = client.post(f"/patients/{patient.pk}/family/add/", {"related_id": child.pk, "kind": "child"})
    assert added.status_code == 302
    assert Relationship.objects.filter(clinic=clinic).count() == 2
    assert "Kid Okafor" in client.get(f"/patients/{patient.pk}/family/").content.decode()
    removed = client.post(f"/patients/{patient.pk}/family/remove/", {"related_id": child.pk})
    assert removed.status_code == 302 and not Relationship.objects.filter(clinic=clinic).exists()


def test_family_link_to_other_clinic_profile_is_refused(clinic, owner, login, patient, other_patient):
    response = login(owner).post(
        f"/patients/{patient.pk}/family/add/", {"related_id": other_patient.pk, "kind": "child"}
    )
    assert response.status_code == 422 and not Relationship.objects.exists()


def test_merged_profile_redirects_to_survivor(clinic, owner, login, patient):
    loser = PatientFactory(clinic=clinic)
    Patient.all_objects.filter(pk=loser.pk).update(merged_into=patient, deleted_at=patient.created_at)
    response = login(owner).get(f"/patients/{loser.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.pk}/"


def test_missing_profile_is_404(owner, login):
    assert login(owner).get("/patients/00000000-0000-0000-0000-000000000000/").status_code == 404


# Quick edit and full edit ------------------------------------------------------------


def test_quick_edit_contact_with_patch(owner, login, patient):
    client = login(owner)
    form = client.get(f"/patients/{patient.pk}/contact/", headers={"HX-Request": "true"})
    assert form.status_code == 200 and "hx-patch" in form.content.decode()
    body = f"version={patient.version}&email=new%40example.com&phone=2125550111&city=Brooklyn"
    response = client.patch(
        f"/patients/{patient.pk}/contact/",
        body,
        content_type="application/x-www-form-urlencoded",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "(212) 555-0111" in response.content.decode()
    patient.refresh_from_db()
    assert patient.email == "new@example.com" and patient.phone == "+12125550111" and patient.city == "Brooklyn"


def test_quick_edit_with_stale_version_is_409_and_changes_nothing(clinic, owner, login, patient):
    seen = patient.version
    services.patient_update(
        actor=owner_actor(clinic, owner), patient_id=patient.pk, data={"city": "Queens"}, version=seen
    )
    patient.refresh_from_db()
    before = (patient.email, patient.phone, patient.version)
    response = login(owner).patch(
        f"/patients/{patient.pk}/contact/",
        f"version={seen}&email=stale%40example.com&phone=2125550111",
        content_type="application/x-www-form-urlencoded",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode() and "Reload" in response.content.decode()
    patient.refresh_from_db()
    assert (patient.email, patient.phone, patient.version) == before


def test_quick_edit_bad_phone_is_inline(owner, login, patient):
    response = login(owner).post(f"/patients/{patient.pk}/contact/", {"version": patient.version, "phone": "12"})
    assert response.status_code == 422 and "valid phone" in response.content.decode()
    patient.refresh_from_db()
    assert patient.phone == "+14155550134"


def test_full_edit_page_saves_and_keeps_clinical_values_for_front_desk(clinic, make_member, login, patient):
    desk = make_member(clinic, Role.FRONT_DESK)
    client = login(desk)
    data = patient_form(first_name="Jennifer", last_name="Okafor-Smith", version=patient.version)
    response = client.post(f"/patients/{patient.pk}/edit/", data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.last_name == "Okafor-Smith" and patient.clinical_notes == "Bruises easily on warfarin"


def test_full_edit_with_stale_version_is_409(clinic, owner, login, patient):
    stale = patient.version
    services.patient_update(
        actor=owner_actor(clinic, owner), patient_id=patient.pk, data={"city": "Queens"}, version=stale
    )
    response = login(owner).post(f"/patients/{patient.pk}/edit/", patient_form(last_name="Changed", version=stale))
    assert response.status_code == 409 and "reload" in response.content.decode().lower()
    patient.refresh_from_db()
    assert patient.last_name == "Okafor"


# Roles and tenancy -------------------------------------------------------------------


def patient_routes(patient_id):
    return [
        f"/patients/{patient_id}/",
        f"/patients/{patient_id}/edit/",
        f"/patients/{patient_id}/contact/",
        f"/patients/{patient_id}/overview/",
        f"/patients/{patient_id}/timeline/",
        f"/patients/{patient_id}/communications/",
        f"/patients/{patient_id}/communications/log/",
        f"/patients/{patient_id}/family/",
        f"/patients/{patient_id}/family/search/",
        f"/patients/{patient_id}/family/add/",
        f"/patients/{patient_id}/family/remove/",
        f"/patients/{patient_id}/appointments/",
        f"/patients/{patient_id}/charts/",
        f"/patients/{patient_id}/photos/",
        f"/patients/{patient_id}/consents/",
        f"/patients/{patient_id}/billing/",
    ]


def test_other_clinics_patient_is_404_on_every_route(owner, login, other_patient):
    client = login(owner)
    for url in patient_routes(other_patient.pk):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"body": "x", "kind": "note", "direction": "internal"}).status_code == 404, url
    other_patient.refresh_from_db()
    assert other_patient.version == 1 and not Communication.objects.exists()


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.MEDICAL_DIRECTOR])
def test_view_only_roles_cannot_change_anything(clinic, make_member, login, patient, role):
    client = login(make_member(clinic, role))
    assert client.get(f"/patients/{patient.pk}/").status_code == 200
    other = PatientFactory(clinic=clinic)
    posts = [
        ("/patients/new/", patient_form()),
        (f"/patients/{patient.pk}/edit/", patient_form(version=patient.version)),
        (f"/patients/{patient.pk}/contact/", {"version": patient.version, "email": "x@example.com"}),
        (f"/patients/{patient.pk}/communications/log/", {"kind": "note", "direction": "internal", "body": "Hello"}),
        (f"/patients/{patient.pk}/family/add/", {"related_id": other.pk, "kind": "sibling"}),
        (f"/patients/{patient.pk}/family/remove/", {"related_id": other.pk}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    patient.refresh_from_db()
    assert patient.version == 1 and patient.email == "jen@example.com"
    assert Patient.objects.filter(clinic=clinic).count() == 2
    assert not Communication.objects.exists() and not Relationship.objects.exists()
    assert AuditEvent.objects.filter(action="permission.denied").count() == len(posts)
