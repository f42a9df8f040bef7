"""The photo routes of the JSON API: what each role may do, other clinics' ids, uploads,
annotations (including two devices saving at once) and the PNG export."""

from __future__ import annotations

import io
import threading

import pytest
from django.db import connection
from django.test import Client
from PIL import Image

from medspa.core.models import AuditEvent
from medspa.core.permissions import ROLE_PERMISSIONS, Role
from medspa.core.tests import images
from medspa.photos.models import ClinicalPhoto, PhotoAnnotation
from medspa.photos.tests.factories import (
    LINE,
    SHAPES,
    actor_for,
    make_chart,
    make_patient,
    make_photo,
    photo_state,
    upload,
)

ROLES = [r.value for r in Role]


@pytest.fixture
def world(clinic, owner, other_clinic, other_clinic_owner):
    mine = actor_for(clinic, owner)
    theirs = actor_for(other_clinic, other_clinic_owner)
    patient, their_patient = make_patient(mine), make_patient(theirs, first_name="Canary")
    chart, their_chart = make_chart(mine, patient), make_chart(theirs, their_patient)
    return {
        "own": {
            "patient_id": patient.pk,
            "chart_id": chart.pk,
            "photo_id": make_photo(mine, patient, chart_id=chart.pk).pk,
        },
        "other": {
            "patient_id": their_patient.pk,
            "chart_id": their_chart.pk,
            "photo_id": make_photo(theirs, their_patient, chart_id=their_chart.pk).pk,
        },
    }


def _file():
    return upload(images.jpeg((80, 60)), "new.jpg")


# (method, path, permission, request kwargs maker)
ROUTES = [
    ("get", "/api/photos/{photo_id}", "photos.view", dict),
    ("get", "/api/photos/{photo_id}/annotations", "photos.view", dict),
    (
        "post",
        "/api/photos/{photo_id}/annotations",
        "photos.annotate",
        lambda: {"data": {"shapes": [LINE], "base_version": 0}, "content_type": "application/json"},
    ),
    ("get", "/api/photos/{photo_id}/export", "photos.export", dict),
    ("get", "/api/patients/{patient_id}/photos", "photos.view", dict),
    ("post", "/api/charts/{chart_id}/photos", "photos.upload", lambda: {"data": {"file": _file(), "angle": "front"}}),
    (
        "post",
        "/api/patients/{patient_id}/photos",
        "photos.upload",
        lambda: {"data": {"file": _file(), "phase": "after"}},
    ),
    ("delete", "/api/photos/{photo_id}", "photos.delete", dict),
]
IDS = [f"{m} {p}" for m, p, _, _ in ROUTES]


def send(client, route, values):
    method, path, _, kwargs = route
    return getattr(client, method)(path.format(**values), **kwargs())


def test_every_photo_operation_is_covered_here():
    from medspa.api import api

    schema = api.get_openapi_schema()["paths"]
    ours = {(m, p) for p, methods in schema.items() for m in methods if "photo" in p}
    assert ours == {(m, p) for m, p, _, _ in ROUTES}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_role_matrix(route, role, clinic, make_member, api_token, api_client, world):
    """AUTHZ-1/4: allowed iff the role holds the route's permission; a denial is 403,
    audited, and changes nothing (MD may look but never write)."""
    client = api_client(api_token(make_member(clinic, role, email=f"m-{role}@photo.example"), clinic))
    before = photo_state()
    denials = AuditEvent.objects.filter(action="permission.denied").count()
    response = send(client, route, world["own"])
    if route[2] in ROLE_PERMISSIONS[role]:
        assert response.status_code < 300, (role, response.status_code, response.content[:300])
    else:
        assert response.status_code == 403, (role, response.status_code)
        assert photo_state() == before
        assert AuditEvent.objects.filter(action="permission.denied").count() == denials + 1
        assert b"sha256" not in response.content and b"/files/" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.OWNER, Role.PROVIDER, Role.MEDICAL_DIRECTOR])
@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_other_clinic_ids_look_missing(route, role, clinic, make_member, api_token, api_client, world):
    """TEN-2: another clinic's photo, patient or chart is 404 (403 without the permission),
    and nothing changes anywhere."""
    client = api_client(api_token(make_member(clinic, role, email=f"t-{role}@photo.example"), clinic))
    before = photo_state()
    theirs = [str(v) for v in world["other"].values()]
    events = AuditEvent.objects.filter(outcome="success", object_id__in=theirs).count()
    response = send(client, route, world["other"])
    expected = 404 if route[2] in ROLE_PERMISSIONS[role] else 403
    assert response.status_code == expected, (role, response.status_code, response.content[:300])
    assert photo_state() == before
    assert b"Canary" not in response.content
    assert AuditEvent.objects.filter(outcome="success", object_id__in=theirs).count() == events


@pytest.mark.django_db
def test_upload_read_annotate_export_delete(owner, clinic, api_token, api_client, world):
    client = api_client(api_token(owner, clinic))
    created = client.post(
        f"/api/patients/{world['own']['patient_id']}/photos",
        {"file": upload(images.gps_jpeg((200, 100)), "cam.jpg"), "angle": "left_oblique", "note": "Left side"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["angle"], body["note"], body["chart_id"], body["annotation_version"]) == (
        "left_oblique",
        "Left side",
        None,
        0,
    )
    assert (body["width"], body["height"]) == (100, 200)
    photo_id = body["id"]

    detail = client.get(f"/api/photos/{photo_id}").json()
    session = Client()
    session.force_login(owner)
    image = session.get(detail["urls"]["original"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8\xff") and b"Exif\x00" not in image.content
    thumb = session.get(detail["urls"]["thumbnail"])
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).size == (100, 200)  # never enlarged

    empty = client.get(f"/api/photos/{photo_id}/annotations").json()
    assert (empty["version"], empty["shapes"], empty["versions"]) == (0, [], [])
    saved = client.post(
        f"/api/photos/{photo_id}/annotations",
        {"shapes": SHAPES, "base_version": 0},
        content_type="application/json",
    )
    assert saved.status_code == 201 and saved.json()["version"] == 1
    stale = client.post(
        f"/api/photos/{photo_id}/annotations", {"shapes": [], "base_version": 0}, content_type="application/json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "annotation_conflict"
    bad = client.post(
        f"/api/photos/{photo_id}/annotations",
        {"shapes": [{**LINE, "points": [[0.1, 0.1], [1.5, 0.2]]}], "base_version": 1},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "shapes.0" in bad.json()["fields"]
    got = client.get(f"/api/photos/{photo_id}/annotations?version=1").json()
    assert got["shapes"][0]["kind"] == "line" and [v["number"] for v in got["versions"]] == [1]
    assert client.get(f"/api/photos/{photo_id}/annotations?version=9").status_code == 404

    exported = client.get(f"/api/photos/{photo_id}/export")
    assert exported.status_code == 200 and exported["Content-Type"] == "image/png"
    assert exported["Content-Disposition"].startswith("attachment;") and ".png" in exported["Content-Disposition"]
    assert exported.content.startswith(b"\x89PNG")

    listed = client.get(f"/api/patients/{world['own']['patient_id']}/photos?angle=left_oblique").json()
    assert [item["id"] for item in listed["items"]] == [photo_id]
    assert client.get(f"/api/patients/{world['own']['patient_id']}/photos?angle=up").status_code == 422

    assert client.delete(f"/api/photos/{photo_id}").status_code == 204
    assert client.get(f"/api/photos/{photo_id}").status_code == 404


@pytest.mark.django_db
def test_chart_upload_and_consent(owner, clinic, api_token, api_client, world):
    client = api_client(api_token(owner, clinic))
    created = client.post(f"/api/charts/{world['own']['chart_id']}/photos", {"file": _file(), "phase": "after"})
    assert created.status_code == 201 and created.json()["chart_id"] == str(world["own"]["chart_id"])
    patient = make_patient(actor_for(clinic, owner), consent=False)
    url = f"/api/patients/{patient.pk}/photos"
    refused = client.post(url, {"file": _file()})
    assert refused.status_code == 409 and refused.json()["code"] == "photo_consent_missing"
    confirmed = client.post(url, {"file": _file(), "confirm_without_consent": "true"})
    assert confirmed.status_code == 201 and confirmed.json()["consent_override"] is True
    assert client.post(url, {"angle": "front"}).status_code == 422  # no file
    assert client.post(url, {"file": _file(), "angle": "top"}).status_code == 422


@pytest.mark.django_db
def test_malformed_ids_are_404_or_422(owner, clinic, api_token, api_client):
    client = api_client(api_token(owner, clinic))
    for path in ("/api/photos/not-a-uuid", "/api/photos/../../etc/passwd", "/api/photos/%00"):
        assert client.get(path).status_code in (404, 422)


@pytest.mark.django_db(transaction=True)
def test_two_devices_saving_from_the_same_version_one_wins(owner, clinic, api_token):
    """Concurrent saves with the same base_version: exactly one 201 and one 409."""
    photo = make_photo(actor_for(clinic, owner), make_patient(actor_for(clinic, owner)))
    token = api_token(owner, clinic)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def save(color: str) -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {token}"})
            barrier.wait(timeout=10)
            response = client.post(
                f"/api/photos/{photo.pk}/annotations",
                {"shapes": [{**LINE, "color": color}], "base_version": 0},
                content_type="application/json",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(c,)) for c in ("red", "blue")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [201, 409]
    assert PhotoAnnotation.objects.filter(photo=photo).count() == 1
    assert ClinicalPhoto.objects.get(pk=photo.pk).annotation_version == 1
