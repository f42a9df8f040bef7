"""TEN-3: ownership can't be smuggled in through a request body.

For every write operation of the API (read from the OpenAPI schema, so a new one must be
listed here or `test_every_write_operation_has_a_base_body` fails), hypothesis fills the
id-like fields (`id`, `*_id`, `clinic`, uuid-typed fields such as `tags`) with the other
clinic's ids and may add unknown ownership keys (`clinic_id`, `clinic`, `patient_id` …).
The answer must be a 4xx, and afterwards a generic checker that walks every foreign key
between clinic-owned models finds no row pointing at another clinic's row.
"""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from django.db.models import Exists, F, ForeignKey, OuterRef
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medspa.accounts.models import Membership, User
from medspa.charting.models import Chart
from medspa.core.actors import Actor
from medspa.core.models import Location, TenantModel
from medspa.core.permissions import Role
from medspa.patients import services as patient_services
from medspa.patients.models import Patient
from medspa.tests import booking_world, charting_world, forms_world, photos_world, scheduling_world
from medspa.tests.factories import PASSWORD

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OWNERSHIP_KEYS = ("clinic_id", "clinic", "patient_id", "id", "owner_id", "location_id", "staff_id", "created_by_id")

BOOKING = {
    "patient_id": "{patient_id}",
    "service_id": "{service_id}",
    "practitioner_id": "{practitioner_id}",
    "start": "{free_start}",
}
# A valid body per write operation ("{name}" is one of our clinic's ids or times); id-like
# fields are then replaced with the other clinic's ids.
BASE_BODIES = {
    ("post", "/api/auth/token"): {"email": "owner@test.example", "password": PASSWORD},
    ("post", "/api/patients"): {"first_name": "Smug", "last_name": "Gler"},
    ("put", "/api/patients/{patient_id}"): {"first_name": "Smug", "last_name": "Gler", "version": None},
    ("patch", "/api/patients/{patient_id}"): {"preferred_name": "Smuggy", "version": None},
    ("post", "/api/patients/{patient_id}/relationships"): {"kind": "sibling"},
    ("post", "/api/patients/{patient_id}/communications"): {"kind": "note", "body": "Smuggled?"},
    ("post", "/api/patients/{patient_id}/merge"): {},
    ("post", "/api/booking/appointments"): BOOKING,
    ("post", "/api/booking/validate-booking"): BOOKING,
    ("put", "/api/booking/appointments/{appointment_id}"): {"start": "{move_start}"},
    ("delete", "/api/booking/appointments/{appointment_id}"): {"reason": "Smuggled?"},
    ("post", "/api/appointments/{appointment_id}/status"): {"status": "confirmed"},
    ("post", "/api/booking/waitlist"): {
        "patient_id": "{patient_id}",
        "service_id": "{service_id}",
        "date_from": "{date_from}",
        "date_to": "{date_to}",
    },
    # The public booking API (anonymous; the clinic is the slug, the booking its secret token).
    ("post", "/api/public/{clinic_slug}/holds"): {"service_ids": ["{service_id}"], "start": "{hold_start}"},
    ("post", "/api/public/{clinic_slug}/bookings"): {
        "hold_token": "{hold_token}",
        "first_name": "Pub",
        "last_name": "Lic",
        "phone": "(212) 555-0178",
        "accept_policy": True,
    },
    ("post", "/api/public/{clinic_slug}/deposits"): {"hold_token": "{deposit_token}", "outcome": "approve"},
    ("delete", "/api/public/bookings/{token}"): {"reason": "Smuggled?"},
    ("post", "/api/public/bookings/{token}/reschedule"): {"start": "{reschedule_start}"},
    ("post", "/api/public/{clinic_slug}/waitlist"): {
        "service_id": "{service_id}",
        "first_name": "Pub",
        "last_name": "Lic",
        "phone": "(212) 555-0178",
        "date_from": "{waitlist_from}",
        "date_to": "{waitlist_to}",
    },
    # Charts: the owner's complete SOAP draft in `world` (charting_world).
    ("post", "/api/charts"): {"patient_id": "{patient_id}"},
    ("put", "/api/charts/{chart_id}"): {"content": {"notes": "Smuggled?"}, "version": None},
    ("post", "/api/charts/{chart_id}/sign"): {"password": PASSWORD},
    ("post", "/api/charts/sign"): {"chart_ids": ["{chart_id}"], "password": PASSWORD},
    ("post", "/api/charts/{chart_id}/return"): {"comment": "Smuggled?"},
    ("post", "/api/charts/{chart_id}/request-info"): {"comment": "Smuggled?"},
    ("post", "/api/charts/{chart_id}/reply"): {"comment": "Smuggled?"},
    ("post", "/api/charts/{chart_id}/amend"): {"reason": "Smuggled?", "text": "Smuggled?", "password": PASSWORD},
    ("post", "/api/charts/templates"): {"name": "Smuggled", "sections": charting_world.TEMPLATE_SECTIONS},
    ("put", "/api/charts/templates/{template_id}"): {"sections": charting_world.TEMPLATE_SECTIONS},
    # Clinical photos (the multipart uploads are covered in medspa/photos/tests).
    ("post", "/api/photos/{photo_id}/annotations"): {"shapes": [], "base_version": 0},
    # Forms: the neurotoxin consent of `world` (forms_world), completed once, with a draft to publish.
    ("post", "/api/forms"): {"name": "Smuggled", "kind": "intake", "definition": forms_world.DEFINITION},
    ("put", "/api/forms/{form_id}"): {"description": "Smuggled?"},
    ("post", "/api/forms/{form_id}/publish"): {"material": False, "note": "Smuggled?"},
    ("put", "/api/forms/{form_id}/requirements"): {"rules": [{}]},
    ("post", "/api/forms/{form_id}/submit"): forms_world.SUBMIT_BODY,
    ("post", "/api/forms/{form_id}/send"): {"patient_id": "{patient_id}", "channel": "copy"},
    ("post", "/api/form-submissions/{submission_id}/revoke"): {"reason": "Smuggled?"},
}
SCHEDULING_IDS = ("practitioner_id", "service_id", "location_id", "room_id", "appointment_id")


# The checker ----------------------------------------------------------------------------


def tenant_foreign_keys():
    """(model, field) for every foreign key from a clinic-owned model to another clinic-owned model."""
    for model in apps.get_models():
        if not issubclass(model, TenantModel):
            continue
        for field in model._meta.get_fields():
            if (
                isinstance(field, ForeignKey)
                and field.name != "clinic"
                and issubclass(field.related_model, TenantModel)
            ):
                yield model, field


def user_foreign_keys():
    """(model, field) for every foreign key from a clinic-owned model to a staff user."""
    for model in apps.get_models():
        if not issubclass(model, TenantModel):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, ForeignKey) and field.related_model is User:
                yield model, field


def cross_clinic_references() -> dict[str, int]:
    """Rows whose foreign key points at a row of another clinic (or a user with no membership
    there), per `app.Model.field`. All zero is the TEN-3 bar."""
    found = {}
    for model, field in tenant_foreign_keys():
        manager = getattr(model, "all_objects", model._default_manager)
        count = manager.exclude(**{f"{field.name}__isnull": True}).exclude(clinic_id=F(f"{field.name}__clinic_id"))
        found[f"{model._meta.label}.{field.name}"] = count.count()
    for model, field in user_foreign_keys():
        if model is Membership:
            continue
        manager = getattr(model, "all_objects", model._default_manager)
        member_there = Membership.objects.filter(clinic_id=OuterRef("clinic_id"), user_id=OuterRef(f"{field.name}_id"))
        strays = manager.exclude(**{f"{field.name}__isnull": True}).exclude(Exists(member_there))
        found[f"{model._meta.label}.{field.name}"] = strays.count()
    return found


def stray_count() -> int:
    return sum(cross_clinic_references().values())


# The world ------------------------------------------------------------------------------


@pytest.fixture
def world(clinic, other_clinic, owner, other_clinic_owner, make_member):
    mine = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    theirs = Actor.staff(user=other_clinic_owner, clinic=other_clinic, role=Role.OWNER)
    own_patient = patient_services.patient_create(actor=mine, data={"first_name": "Own", "last_name": "Patient"})
    own_other = patient_services.patient_create(actor=mine, data={"first_name": "Own", "last_name": "Sibling"})
    patient_services.tag_create(actor=mine, name="Ours")
    their_patients = [
        patient_services.patient_create(actor=theirs, data={"first_name": "Their", "last_name": f"Patient {n}"})
        for n in range(3)
    ]
    their_tags = [patient_services.tag_create(actor=theirs, name=f"Theirs {n}") for n in range(2)]
    their_ids = [
        *(p.pk for p in their_patients),
        *(t.pk for t in their_tags),
        Location.objects.filter(clinic=other_clinic).first().pk,
        Membership.objects.get(clinic=other_clinic, user=other_clinic_owner).pk,
        other_clinic.pk,
    ]
    their_charting = charting_world.build(other_clinic, other_clinic_owner, their_patients[0].pk)
    their_ids.extend(their_charting.values())
    their_ids = [str(i) for i in their_ids]

    def their_scheduling():
        built = scheduling_world.build(other_clinic, other_clinic_owner, their_patients[0].pk, make_member)
        their_ids.extend(str(built[name]) for name in SCHEDULING_IDS)
        return {"built": True}

    own = {"patient_id": own_patient.pk, "other_patient_id": own_other.pk}
    own.update(charting_world.build(clinic, owner, own_patient.pk))
    own = scheduling_world.Lazy(
        own,
        lambda: scheduling_world.build(clinic, owner, own_patient.pk, make_member),
        more={
            "photo_id": lambda: photos_world.build(clinic, owner, own_patient.pk),
            **dict.fromkeys(("form_id", "submission_id"), lambda: forms_world.build(clinic, owner, own_patient.pk)),
        },
    )
    return {
        # Calendars, services and a booking in both clinics, built when a booking route needs them.
        "own": own,
        # Our clinic's portal turned on, with a held time and booked visits (public routes).
        "public": scheduling_world.Lazy({}, lambda: booking_world.build(clinic, owner, own)),
        "their_scheduling": scheduling_world.Lazy({}, their_scheduling),
        "their_ids": their_ids,
        "their_patient_ids": [str(p.pk) for p in their_patients],
        "their_tag_ids": [str(t.pk) for t in their_tags],
        "their_clinic": other_clinic,
    }


@pytest.fixture
def api(clinic, owner, api_token):
    return Client(headers={"Authorization": f"Bearer {api_token(owner, clinic)}"}, raise_request_exception=False)


def _component(body: dict) -> str:
    """The request schema's name (an optional body is documented as `anyOf` it and null)."""
    return re.search(r'"\$ref": "[^"]*/([^"/]+)"', json.dumps(body["content"]["application/json"])).group(1)


def write_operations():
    from medspa.api import api as ninja_api

    schema = ninja_api.get_openapi_schema()
    components = schema["components"]["schemas"]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody")
            # Multipart uploads carry ids only in their path (photos: tested in medspa/photos/tests).
            if body and "application/json" in body["content"]:
                ref = _component(body)
                yield method, path, components[ref]


WRITE_OPERATIONS = list(write_operations())
SCHEMA_FIELDS = {(m, p): set(c.get("properties", {})) for m, p, c in WRITE_OPERATIONS}


def _is_uuid_typed(prop: dict) -> bool:
    text = json.dumps(prop)
    return '"format": "uuid"' in text


def id_like_fields(component: dict) -> dict[str, bool]:
    """Field name -> whether it takes a list, for every id-like property of a request schema."""
    fields = {}
    for name, prop in component.get("properties", {}).items():
        if name == "id" or name.endswith("_id") or name == "clinic" or _is_uuid_typed(prop):
            fields[name] = '"type": "array"' in json.dumps(prop)
    return fields


def test_every_write_operation_has_a_base_body():
    """A new write operation needs a valid body in BASE_BODIES (and, if it takes ids of new
    kinds of objects, the other clinic's objects of that kind in `world`'s `their_ids`)."""
    missing = {(m, p) for m, p, _ in WRITE_OPERATIONS} - set(BASE_BODIES)
    gone = set(BASE_BODIES) - {(m, p) for m, p, _ in WRITE_OPERATIONS}
    assert missing == set(), f"add a base body for {sorted(missing)}"
    assert gone == set()


def test_id_like_fields_are_found():
    found = {(m, p): sorted(id_like_fields(c)) for m, p, c in WRITE_OPERATIONS}
    assert found[("post", "/api/patients")] == ["primary_contact_id", "tags"]
    assert found[("post", "/api/patients/{patient_id}/relationships")] == ["related_id"]
    assert found[("post", "/api/patients/{patient_id}/merge")] == ["duplicate_id"]
    assert found[("post", "/api/auth/token")] == ["clinic"]


def test_checker_sees_a_planted_cross_clinic_row(world, clinic):
    """The checker can fail: a tag link from our clinic to their tag is counted."""
    from medspa.patients.models import PatientTag

    assert stray_count() == 0
    PatientTag.objects.create(clinic=clinic, patient_id=world["own"]["patient_id"], tag_id=world["their_tag_ids"][0])
    assert cross_clinic_references()["patients.PatientTag.tag"] == 1


def test_checker_walks_every_tenant_foreign_key():
    labels = {f"{m._meta.label}.{f.name}" for m, f in tenant_foreign_keys()}
    assert {"patients.PatientTag.tag", "patients.Relationship.related", "patients.Patient.primary_contact"} <= labels


def _fill(template: str, values: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)


# Chart actions that need a chart in another state than `world`'s draft (queued for the
# medical director, co-signed): their base body is refused with 409 for that reason alone.
STATE_DEPENDENT = {
    ("post", "/api/charts/{chart_id}/return"),
    ("post", "/api/charts/{chart_id}/request-info"),
    ("post", "/api/charts/{chart_id}/reply"),
    ("post", "/api/charts/{chart_id}/amend"),
}
# Dry runs answer 200 with the reasons a request would be refused; they write nothing.
DRY_RUNS = {"/api/booking/validate-booking"}


def refused(path: str, response) -> bool:
    if path in DRY_RUNS and response.status_code == 200:
        body = response.json()
        return body["ok"] is False and all(400 <= r["status"] < 500 for r in body["reasons"])
    return 400 <= response.status_code < 500


def with_scheduling(world: dict) -> None:
    """Build both clinics' calendars (once): ours for valid bodies, theirs for ids to smuggle."""
    assert world["own"]["practitioner_id"] and world["their_scheduling"]["built"]


def _send(client, method: str, path: str, body: dict, world: dict):
    values = world["own"]
    if path.startswith("/api/public/"):  # anonymous by design: no staff credentials
        with_scheduling(world)
        assert world["public"]["clinic_slug"]
        values = {**world["own"], **world["public"], "token": world["public"]["manage_token"]}
        client = Client(raise_request_exception=False)
    url = _fill(path, values)
    body = json.loads(_fill(json.dumps(body, default=str), values))
    if "version" in body and path.startswith("/api/charts/"):
        body = {**body, "version": Chart.objects.get(pk=world["own"]["chart_id"]).version}
    elif "version" in body:
        body = {**body, "version": Patient.objects.get(pk=world["own"]["patient_id"]).version}
    if path == "/api/auth/token":
        client = Client(raise_request_exception=False)
    return getattr(client, method)(url, data=json.dumps(body, default=str), content_type="application/json")


@st.composite
def smuggled_request(draw, world: dict):
    method, path, component = draw(st.sampled_from([op for op in WRITE_OPERATIONS if op[:2] in BASE_BODIES]))
    body = dict(BASE_BODIES[(method, path)])
    fields = id_like_fields(component)
    their = world["their_ids"]
    filled = []
    if fields:
        chosen = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, unique=True))
        for name in chosen:
            if name == "clinic":
                body[name] = draw(st.sampled_from([world["their_clinic"].slug, str(world["their_clinic"].pk)]))
            elif fields[name]:
                body[name] = draw(st.lists(st.sampled_from(their), min_size=1, max_size=3, unique=True))
            else:
                body[name] = draw(st.sampled_from(their))
            filled.append(name)
    extras = draw(st.dictionaries(st.sampled_from(OWNERSHIP_KEYS), st.sampled_from(their), max_size=3))
    for key, value in extras.items():
        body.setdefault(key, value)
    return method, path, body, filled, extras


@pytest.mark.django_db
def test_smuggled_ids_are_refused(api, world):
    with_scheduling(world)

    @FUZZ
    @given(request=smuggled_request(world))
    def run(request):
        method, path, body, filled, extras = request
        response = _send(api, method, path, body, world)
        if filled or set(extras) - {"version"}:
            assert refused(path, response), (method, path, body, response.status_code, response.content[:300])
        assert response.status_code < 500
        assert stray_count() == 0, cross_clinic_references()

    run()


def valid_body(method: str, path: str, world: dict) -> dict:
    """The base body, completed with our own ids where the base leaves the id-like field out."""
    if path.startswith(("/api/booking", "/api/appointments", "/api/public")):
        with_scheduling(world)
    body = dict(BASE_BODIES[(method, path)])
    if path.endswith("/relationships"):
        body["related_id"] = str(world["own"]["other_patient_id"])
    if path.endswith("/merge"):
        body["duplicate_id"] = str(world["own"]["other_patient_id"])
    return body


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), list(BASE_BODIES), ids=lambda v: v)
def test_base_bodies_are_accepted(api, world, method, path):
    """Without smuggled ids each base body is accepted, so the refusals above are about the ids."""
    response = _send(api, method, path, valid_body(method, path, world), world)
    if (method, path) in STATE_DEPENDENT and response.status_code == 409:
        return  # the draft in `world` is not in the state this action needs; ids are not the reason
    assert response.status_code < 300, (response.status_code, response.content[:300])
    assert stray_count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), list(BASE_BODIES), ids=lambda v: v)
@pytest.mark.parametrize("key", OWNERSHIP_KEYS)
def test_unknown_ownership_keys_are_refused_or_ignored(api, world, method, path, key, clinic):
    """A valid body plus `clinic_id` (etc.) of the other clinic: refused (422), or ignored, so
    whatever was written still belongs to our clinic."""
    body = {**valid_body(method, path, world), key: world["their_ids"][0]}
    if key == "clinic":
        body[key] = world["their_clinic"].slug
    their_patients = Patient.all_objects.filter(clinic=world["their_clinic"]).count()
    response = _send(api, method, path, body, world)
    if path == "/api/auth/token" and key == "clinic":
        assert 400 <= response.status_code < 500, response.content[:300]
    elif key in SCHEMA_FIELDS[(method, path)]:  # a real field: the other clinic's id is refused
        assert refused(path, response), (response.status_code, response.content[:300])
    elif path != "/api/auth/token":
        assert response.status_code == 422, (response.status_code, response.content[:300])
        assert "fields" in response.json()
    else:
        assert response.status_code in (200, 201) and response.json()["clinic"] != world["their_clinic"].slug
    assert stray_count() == 0
    assert Patient.all_objects.filter(clinic=world["their_clinic"]).count() == their_patients


@pytest.mark.django_db
def test_page_forms_refuse_other_clinic_ids(login, owner, world):
    """The same through the pages: tags and family links of the other clinic are refused."""
    client = login(owner)
    patient_id = world["own"]["patient_id"]
    created = client.post(
        "/patients/new/",
        {"first_name": "Page", "last_name": "Smuggle", "status": "active", "tags": world["their_tag_ids"]},
    )
    assert created.status_code in (200, 422) and not Patient.objects.filter(last_name="Smuggle").exists()
    version = Patient.objects.get(pk=patient_id).version
    edited = client.post(
        f"/patients/{patient_id}/edit/",
        {
            "first_name": "Own",
            "last_name": "Patient",
            "status": "active",
            "version": version,
            "tags": world["their_tag_ids"],
        },
    )
    assert edited.status_code in (200, 409, 422)
    linked = client.post(
        f"/patients/{patient_id}/family/add/", {"related_id": world["their_patient_ids"][0], "kind": "sibling"}
    )
    assert linked.status_code in (200, 404, 422)
    merged = client.post(f"/patients/{patient_id}/merge/{world['their_patient_ids'][0]}/", {"step": "confirm"})
    assert merged.status_code == 404
    assert stray_count() == 0
