"""AUTHZ-1 / TEN-2 for the JSON API, generated from the OpenAPI schema and the permission table.

Every operation declares `x-access` (public/authenticated) or `x-permissions`; each role is
tried against each operation (allowed iff the role holds one of the permissions), and each
operation that takes an id is tried with another clinic's id (must look missing: 404).
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from medspa.charting.models import Chart, ChartSignature, ChartTemplateVersion
from medspa.consents.models import Form, FormLink, FormRequirement, FormRevocation, FormSubmission, FormVersion
from medspa.core.actors import Actor
from medspa.core.models import AuditEvent
from medspa.core.permissions import ROLE_PERMISSIONS, Role
from medspa.patients import services as patient_services
from medspa.patients.models import Communication, Patient, Relationship
from medspa.photos.models import ClinicalPhoto, PhotoAnnotation
from medspa.scheduling.models import Appointment, Reservation, WaitlistEntry
from medspa.tests import charting_world, forms_world, photos_world, scheduling_world
from medspa.tests.factories import PASSWORD
from medspa.tests.field_limits import CLINICAL_CANARIES, assert_clean

ROLES = [r.value for r in Role]
# Anonymous by design: sign-in, and the public booking API (a clinic's portal by its slug, a
# booking by its secret token; tested in medspa/booking/tests/test_api.py and test_security.py).
PUBLIC_BOOKING_OPERATIONS = {
    ("get", "/api/public/{clinic_slug}/services"),
    ("get", "/api/public/{clinic_slug}/practitioners"),
    ("get", "/api/public/{clinic_slug}/availability"),
    ("post", "/api/public/{clinic_slug}/holds"),
    ("post", "/api/public/{clinic_slug}/bookings"),
    ("post", "/api/public/{clinic_slug}/deposits"),
    ("get", "/api/public/bookings/{token}"),
    ("delete", "/api/public/bookings/{token}"),
    ("post", "/api/public/bookings/{token}/reschedule"),
    ("post", "/api/public/{clinic_slug}/waitlist"),
}
# A patient submits a form with the link's token as their only credential (staff submit it
# with consents.send; tested in medspa/consents/tests/test_api.py). Without a token it is a 401.
PUBLIC_FORM_OPERATIONS = {("post", "/api/forms/{form_id}/submit")}
PUBLIC_OPERATIONS = {("post", "/api/auth/token"), *PUBLIC_BOOKING_OPERATIONS, *PUBLIC_FORM_OPERATIONS}

SCHEDULING_KEYS = ("practitioner_id", "service_id", "appointment_id", "free_start", "move_start", "day_start")
BOOKING_BODY = {
    "patient_id": "{patient_id}",
    "service_id": "{service_id}",
    "practitioner_id": "{practitioner_id}",
    "start": "{free_start}",
}
# Query strings for operations that need them, so allowed roles reach the selector.
QUERIES = {
    ("get", "/api/booking/availability"): "service_id={service_id}&start={day_start}&end={day_end}",
    ("get", "/api/appointments"): "start={day_start}&end={day_end}",
}
# A valid body per operation that takes one, so allowed roles reach the service.
BODIES = {
    ("post", "/api/patients"): {"first_name": "New", "last_name": "Patient"},
    ("put", "/api/patients/{patient_id}"): {"version": 1, "first_name": "Re", "last_name": "Placed"},
    ("patch", "/api/patients/{patient_id}"): {"version": 1, "preferred_name": "Pat"},
    ("post", "/api/patients/{patient_id}/relationships"): {"related_id": "{other_patient_id}", "kind": "sibling"},
    ("post", "/api/patients/{patient_id}/communications"): {"kind": "note", "body": "Called back"},
    ("post", "/api/patients/{patient_id}/merge"): {"duplicate_id": "{other_patient_id}"},
    ("post", "/api/booking/appointments"): BOOKING_BODY,
    ("post", "/api/booking/validate-booking"): BOOKING_BODY,
    ("put", "/api/booking/appointments/{appointment_id}"): {"start": "{move_start}"},
    ("delete", "/api/booking/appointments/{appointment_id}"): {"reason": "Matrix cancellation"},
    ("post", "/api/appointments/{appointment_id}/status"): {"status": "confirmed"},
    ("post", "/api/booking/waitlist"): {
        "patient_id": "{patient_id}",
        "service_id": "{service_id}",
        "date_from": "{date_from}",
        "date_to": "{date_to}",
    },
    ("post", "/api/charts"): {"patient_id": "{patient_id}"},
    ("put", "/api/charts/{chart_id}"): {"content": {"notes": "Matrix"}, "version": 2},
    ("post", "/api/charts/{chart_id}/sign"): {"password": PASSWORD},
    ("post", "/api/charts/sign"): {"chart_ids": ["{chart_id}"], "password": PASSWORD},
    ("post", "/api/charts/{chart_id}/return"): {"comment": "Matrix"},
    ("post", "/api/charts/{chart_id}/request-info"): {"comment": "Matrix"},
    ("post", "/api/charts/{chart_id}/reply"): {"comment": "Matrix"},
    ("post", "/api/charts/{chart_id}/amend"): {"reason": "Matrix", "text": "Matrix", "password": PASSWORD},
    ("post", "/api/charts/templates"): {"name": "Matrix", "sections": charting_world.TEMPLATE_SECTIONS},
    ("post", "/api/photos/{photo_id}/annotations"): {"shapes": [], "base_version": 0},
    ("put", "/api/charts/templates/{template_id}"): {"sections": charting_world.TEMPLATE_SECTIONS},
    ("post", "/api/forms"): {"name": "Matrix", "kind": "intake", "definition": forms_world.DEFINITION},
    ("put", "/api/forms/{form_id}"): {"description": "Matrix"},
    ("post", "/api/forms/{form_id}/publish"): {"material": False, "note": "Matrix"},
    ("put", "/api/forms/{form_id}/requirements"): {"rules": [{}]},
    ("post", "/api/forms/{form_id}/submit"): forms_world.SUBMIT_BODY,
    ("post", "/api/forms/{form_id}/send"): {"patient_id": "{patient_id}", "channel": "copy"},
    ("post", "/api/form-submissions/{submission_id}/revoke"): {"reason": "Matrix"},
}
# Chart actions that also depend on the chart (only its provider signs or edits it; a draft
# cannot be locked, returned, amended or exported): a role holding the permission may still be refused
# for that chart, with a 403 or 409 — never a 5xx — and the chart's own rules are tested in
# medspa/charting/tests.
OBJECT_RULED = {
    ("put", "/api/charts/{chart_id}"),
    ("post", "/api/charts/{chart_id}/sign"),
    ("post", "/api/charts/sign"),
    ("post", "/api/charts/{chart_id}/lock"),
    ("post", "/api/charts/{chart_id}/return"),
    ("post", "/api/charts/{chart_id}/request-info"),
    ("post", "/api/charts/{chart_id}/reply"),
    ("post", "/api/charts/{chart_id}/amend"),
    ("get", "/api/charts/{chart_id}/pdf"),
}


def operations():
    from medspa.api import api

    for path, methods in api.get_openapi_schema()["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


PERMISSION_OPERATIONS = [(m, p, o["x-permissions"]) for m, p, o in operations() if o.get("x-permissions")]


def test_every_operation_is_classified():
    for method, path, operation in operations():
        access = operation.get("x-access")
        assert access in ("public", "authenticated") or operation.get("x-permissions"), f"{method} {path}"
        if access == "public":
            assert (method, path) in PUBLIC_OPERATIONS
        else:
            assert operation.get("security"), f"{method} {path} must require authentication"


@pytest.fixture
def world(clinic, other_clinic, owner, other_clinic_owner, make_member):
    mine = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    theirs = Actor.staff(user=other_clinic_owner, clinic=other_clinic, role=Role.OWNER)
    own = {
        "patient_id": patient_services.patient_create(
            actor=mine, data={"first_name": "Own", "last_name": "One", **CLINICAL_CANARIES}
        ).pk,
        "other_patient_id": patient_services.patient_create(
            actor=mine, data={"first_name": "Own", "last_name": "Two"}
        ).pk,
    }
    other = {
        "patient_id": patient_services.patient_create(actor=theirs, data={"first_name": "Canary", "last_name": "B"}).pk,
        "other_patient_id": patient_services.patient_create(
            actor=theirs, data={"first_name": "Canary", "last_name": "C"}
        ).pk,
    }
    own.update(charting_world.build(clinic, owner, own["patient_id"]))
    other.update(charting_world.build(other_clinic, other_clinic_owner, other["patient_id"]))
    return {
        "own": scheduling_world.Lazy(
            own,
            lambda: scheduling_world.build(clinic, owner, own["patient_id"], make_member),
            more={
                "photo_id": lambda: photos_world.build(clinic, owner, own["patient_id"]),
                **dict.fromkeys(
                    ("form_id", "submission_id"), lambda: forms_world.build(clinic, owner, own["patient_id"])
                ),
            },
        ),
        "other": scheduling_world.Lazy(
            other,
            lambda: scheduling_world.build(other_clinic, other_clinic_owner, other["patient_id"], make_member),
            more={
                "photo_id": lambda: photos_world.build(other_clinic, other_clinic_owner, other["patient_id"]),
                **dict.fromkeys(
                    ("form_id", "submission_id"),
                    lambda: forms_world.build(other_clinic, other_clinic_owner, other["patient_id"]),
                ),
            },
        ),
    }


def member(clinic, role, make_member, values):
    """The matrix's member for a role; the provider role is the world's practitioner when the
    route books or reads a calendar (its own)."""
    if role == Role.PROVIDER and _needs_scheduling(values):
        return values["practitioner"]
    return make_member(clinic, role, email=f"matrix-{role}@test.example")


def _needs_scheduling(values) -> bool:
    return getattr(values, "_builder", 1) is None


def fill(template: str, values: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)


def call(client, method, path, values):
    url = fill(path, values)
    if (method, path) in photos_world.UPLOAD_FORMS:  # multipart: a form with an image
        form = json.loads(fill(json.dumps(photos_world.UPLOAD_FORMS[(method, path)]), values))
        return client.post(url, data=photos_world.multipart(form))
    body = BODIES.get((method, path))
    data = json.dumps(json.loads(fill(json.dumps(body), values))) if body is not None else None
    query = QUERIES.get((method, path), "")
    url = fill(path, values) + (("?" + fill(query, values).replace("+", "%2B")) if query else "")
    return getattr(client, method)(url, data=data, content_type="application/json")


def prepare(method, path, values) -> None:
    """Build the scheduling data first when the route uses it (so the provider member exists)."""
    text = path + json.dumps(BODIES.get((method, path))) + QUERIES.get((method, path), "")
    if any(f"{{{key}}}" in text for key in SCHEDULING_KEYS) or path.startswith(("/api/booking", "/api/appointments")):
        values["practitioner_id"]
    if "{photo_id}" in text:  # the photo too, before the "nothing changed" snapshot
        values["photo_id"]
    if "{form_id}" in text or "{submission_id}" in text:  # and the forms
        values["form_id"]


def snapshot():
    return (
        sorted(Patient.all_objects.values_list("pk", "version", "deleted_at", "first_name")),
        Relationship.objects.count(),
        Communication.objects.count(),
        sorted(Appointment.all_objects.values_list("pk", "status", "start_at", "version")),
        Reservation.objects.filter(active=True).count(),
        WaitlistEntry.objects.count(),
        sorted(ClinicalPhoto.all_objects.values_list("pk", "deleted_at", "chart_id", "annotation_version", "note")),
        PhotoAnnotation.objects.count(),
        sorted(Chart.all_objects.values_list("pk", "status", "version", "deleted_at")),
        ChartSignature.objects.count(),
        ChartTemplateVersion.objects.count(),
        sorted(Form.objects.values_list("pk", "name", "description", "active", "current_version", "draft")),
        FormVersion.objects.count(),
        FormRequirement.objects.count(),
        FormLink.objects.count(),
        FormSubmission.objects.count(),
        FormRevocation.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "permissions"), PERMISSION_OPERATIONS, ids=lambda v: v if isinstance(v, str) else ""
)
def test_api_permission_matrix(method, path, permissions, role, clinic, make_member, api_token, api_client, world):
    prepare(method, path, world["own"])
    client = api_client(api_token(member(clinic, role, make_member, world["own"]), clinic))
    before = snapshot()
    denials = AuditEvent.objects.filter(action="permission.denied").count()
    response = call(client, method, path, world["own"])
    assert_clean(role, response, f"{method} {path}")  # AUTHZ-4: no field the role may not see
    if any(p in ROLE_PERMISSIONS[role] for p in permissions):
        if (method, path) in OBJECT_RULED and response.status_code in (403, 409):
            assert response.json()["code"] != "not_authenticated"
        else:
            assert response.status_code < 400, (method, path, role, response.content[:300])
    else:
        assert response.status_code == 403, (method, path, role, response.status_code)
        assert snapshot() == before
        assert AuditEvent.objects.filter(action="permission.denied").count() == denials + 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "permissions"),
    [op for op in PERMISSION_OPERATIONS if "{" in op[1]],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_api_other_clinic_ids_look_missing(
    method, path, permissions, role, clinic, make_member, api_token, api_client, world
):
    prepare(method, path, world["own"])
    prepare(method, path, world["other"])
    client = api_client(api_token(member(clinic, role, make_member, world["own"]), clinic))
    before = snapshot()
    response = call(client, method, path, world["other"])
    assert_clean(role, response, f"{method} {path}")
    expected = 404 if any(p in ROLE_PERMISSIONS[role] for p in permissions) else 403
    assert response.status_code == expected, (method, path, role, response.status_code)
    assert snapshot() == before
    assert b"Canary" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "operation"), list(operations()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_api_without_credentials_is_401(method, path, operation, world):
    if (method, path) in PUBLIC_OPERATIONS:
        return
    response = call(Client(), method, path, world["own"])
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC_BOOKING_OPERATIONS), ids=lambda v: v)
def test_public_booking_operations_answer_anonymous_callers(method, path):
    """The public routes never ask for credentials: an unknown clinic or token is a 404 (or a
    422 for a body that is not valid), never a 401."""
    url = path.replace("{clinic_slug}", "no-such-clinic").replace("{token}", "not-a-real-token-value")
    send = getattr(Client(), method)
    response = send(url) if method == "get" else send(url, data="{}", content_type="application/json")
    assert response.status_code in (404, 422), (method, path, response.status_code)
    assert response.json()["code"] != "not_authenticated"
