"""The chart API end to end: open, autosave, sign, co-sign, return, amend, queue, templates,
with the JSON error shape and the audit trail of reads."""

from __future__ import annotations

import json

import pytest

from medspa.charting.choices import ChartStatus
from medspa.charting.models import Chart, ChartSignature
from medspa.charting.tests.fixtures import botox_content
from medspa.core.models import AuditEvent
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(world, api_token, api_client):
    def make(user):
        return api_client(api_token(user, world.clinic))

    return make


def _post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def _put(client, url, body):
    return client.put(url, data=json.dumps(body), content_type="application/json")


def test_provider_charts_signs_and_md_cosigns_through_the_api(world, as_user):
    provider, md = as_user(world.provider), as_user(world.md)
    opened = _post(provider, "/api/charts", {"appointment_id": str(world.appointment_id)})
    assert opened.status_code == 201
    chart = opened.json()
    assert chart["template"]["name"] == "Neurotoxin" and chart["alerts"]["medical_alerts"] == ["Fainting with needles"]
    again = _post(provider, "/api/charts", {"appointment_id": str(world.appointment_id)})
    assert again.status_code == 200 and again.json()["id"] == chart["id"]

    saved = _put(provider, f"/api/charts/{chart['id']}", {"content": botox_content(), "version": chart["version"]})
    assert saved.status_code == 200, saved.content
    assert saved.json()["totals"]["total_units"] == "44"
    stale = _put(provider, f"/api/charts/{chart['id']}", {"content": {"notes": "old tab"}, "version": chart["version"]})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"

    checklist = provider.get(f"/api/charts/{chart['id']}/checklist").json()
    assert all(item["ok"] for item in checklist)

    wrong = _post(provider, f"/api/charts/{chart['id']}/sign", {"password": "nope"})
    assert wrong.status_code == 422 and wrong.json()["fields"]["password"]
    signed = _post(provider, f"/api/charts/{chart['id']}/sign", {"password": PASSWORD})
    assert signed.status_code == 200 and signed.json()["status"] == ChartStatus.NEEDS_SIGNOFF
    twice = _post(provider, f"/api/charts/{chart['id']}/sign", {"password": PASSWORD})
    assert twice.status_code == 409

    queue = md.get("/api/charts/review-queue").json()
    assert [c["id"] for c in queue] == [chart["id"]]
    cosigned = _post(md, f"/api/charts/{chart['id']}/sign", {"password": PASSWORD})
    assert cosigned.status_code == 200 and cosigned.json()["status"] == ChartStatus.MD_SIGNED
    body = cosigned.json()
    assert [s["kind"] for s in body["signatures"]] == ["provider", "medical_director"]
    assert body["signatures"][0]["content_hash"] == body["signatures"][1]["content_hash"]
    assert md.get("/api/charts/review-queue").json() == []

    amended = _post(
        provider,
        f"/api/charts/{chart['id']}/amend",
        {"reason": "Follow-up", "text": "No bruising.", "password": PASSWORD},
    )
    assert amended.status_code == 201 and amended.json()["amendments"][0]["reason"] == "Follow-up"
    locked = _post(provider, f"/api/charts/{chart['id']}/lock")
    assert locked.status_code == 200 and locked.json()["status"] == ChartStatus.LOCKED


def test_reading_a_chart_by_api_is_audited(world, as_user):
    provider = as_user(world.provider)
    chart = _post(provider, "/api/charts", {"appointment_id": str(world.appointment_id)}).json()
    before = AuditEvent.objects.filter(action="chart.viewed", object_id=chart["id"]).count()
    assert provider.get(f"/api/charts/{chart['id']}").status_code == 200
    event = AuditEvent.objects.filter(action="chart.viewed", object_id=chart["id"]).latest("seq")
    assert AuditEvent.objects.filter(action="chart.viewed", object_id=chart["id"]).count() == before + 1
    assert event.changes == {"via": "api"} and event.patient_id == str(world.patient.pk)


def test_md_gets_403_on_every_write_and_nothing_changes(world, as_user):
    provider, md = as_user(world.provider), as_user(world.md)
    chart = _post(provider, "/api/charts", {"appointment_id": str(world.appointment_id)}).json()
    writes = [
        ("post", "/api/charts", {"patient_id": str(world.patient.pk)}),
        ("put", f"/api/charts/{chart['id']}", {"content": botox_content(), "version": chart["version"]}),
        ("post", "/api/charts/templates", {"name": "MD's", "sections": []}),
        ("post", f"/api/charts/{chart['id']}/amend", {"reason": "r", "text": "t", "password": PASSWORD}),
        ("post", f"/api/charts/{chart['id']}/reply", {"comment": "hi"}),
        ("post", "/api/charts/sign", {"chart_ids": [chart["id"]], "password": PASSWORD}),
    ]
    for method, url, body in writes:
        response = getattr(md, method)(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 403, (url, response.status_code)
        assert response.json()["code"] == "permission_denied"
    assert Chart.objects.get(pk=chart["id"]).version == chart["version"]
    assert Chart.objects.count() == 1 and not ChartSignature.objects.exists()


def test_front_desk_never_receives_chart_bodies(world, as_user):
    provider, front = as_user(world.provider), as_user(world.front_desk)
    chart = _post(provider, "/api/charts", {"appointment_id": str(world.appointment_id)}).json()
    for url in (f"/api/charts/{chart['id']}", f"/api/charts/patient/{world.patient.pk}", "/api/charts/templates"):
        response = front.get(url)
        assert response.status_code == 403 and b"Botox" not in response.content and b"content" not in response.content


def test_return_and_request_info(world, as_user):
    provider, md = as_user(world.provider), as_user(world.md)
    chart = _post(provider, "/api/charts", {"appointment_id": str(world.appointment_id)}).json()
    _put(provider, f"/api/charts/{chart['id']}", {"content": botox_content(), "version": chart["version"]})
    _post(provider, f"/api/charts/{chart['id']}/sign", {"password": PASSWORD})
    empty = _post(md, f"/api/charts/{chart['id']}/request-info", {"comment": "  "})
    assert empty.status_code == 422 and "comment" in empty.json()["fields"]
    asked = _post(md, f"/api/charts/{chart['id']}/request-info", {"comment": "Dilution?"})
    assert asked.status_code == 200 and asked.json()["info_requested"] is True
    assert asked.json()["status"] == ChartStatus.NEEDS_SIGNOFF
    replied = _post(provider, f"/api/charts/{chart['id']}/reply", {"comment": "2.5 mL"})
    assert replied.json()["info_requested"] is False
    returned = _post(md, f"/api/charts/{chart['id']}/return", {"comment": "Add the depth"})
    assert returned.status_code == 200 and returned.json()["status"] == ChartStatus.DRAFT
    assert [n["kind"] for n in returned.json()["review_notes"]] == ["info_requested", "reply", "returned"]


def test_templates_list_create_and_publish(world, as_user):
    owner, provider = as_user(world.owner), as_user(world.provider)
    names = {t["name"] for t in provider.get("/api/charts/templates").json()}
    assert {
        "SOAP note",
        "Neurotoxin",
        "Dermal filler",
        "Laser / IPL",
        "Chemical peel",
        "Microneedling",
        "Facial",
    } <= names
    sections = [{"title": "Check", "fields": [{"key": "ok", "label": "OK", "type": "checkbox", "required": True}]}]
    created = _post(owner, "/api/charts/templates", {"name": "Quick check", "sections": sections})
    assert created.status_code == 201 and created.json()["version"] == 1
    bad = _post(owner, "/api/charts/templates", {"name": "Bad", "sections": [{"title": "x", "fields": []}]})
    assert bad.status_code == 422
    published = _put(owner, f"/api/charts/templates/{created.json()['id']}", {"sections": sections, "base_version": 1})
    assert published.status_code == 200 and published.json()["version"] == 2
    assert _post(provider, "/api/charts/templates", {"name": "Mine", "sections": sections}).status_code == 403


def test_bad_input_gets_json_errors(world, as_user):
    provider = as_user(world.provider)
    assert _post(provider, "/api/charts", {}).status_code == 422
    assert _post(provider, "/api/charts", {"patient_id": "not-a-uuid"}).status_code == 422
    malformed = provider.post("/api/charts", data="{nope", content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    chart = _post(provider, "/api/charts", {"appointment_id": str(world.appointment_id)}).json()
    content = botox_content()
    content["injections"].append({"zone": "custom", "x": -0.2, "y": 0.5, "units": "2", "label": "Scar"})
    response = _put(provider, f"/api/charts/{chart['id']}", {"content": content, "version": chart["version"]})
    assert response.status_code == 422 and "injections.3.x" in response.json()["fields"]
    assert provider.get("/api/charts/review-queue?date_from=yesterday").status_code == 403


def test_signing_by_api_can_carry_a_drawn_signature(world, as_user):
    import base64

    from medspa.core.tests.images import png

    provider = as_user(world.provider)
    chart = _post(provider, "/api/charts", {"appointment_id": str(world.appointment_id)}).json()
    _put(provider, f"/api/charts/{chart['id']}", {"content": botox_content(), "version": chart["version"]})
    drawn = "data:image/png;base64," + base64.b64encode(png((200, 60))).decode()
    bad = _post(provider, f"/api/charts/{chart['id']}/sign", {"password": PASSWORD, "signature_image": "data:x"})
    assert bad.status_code == 422 and "signature_image" in bad.json()["fields"]
    signed = _post(provider, f"/api/charts/{chart['id']}/sign", {"password": PASSWORD, "signature_image": drawn})
    assert signed.status_code == 200
    assert ChartSignature.objects.get(chart_id=chart["id"]).image.kind == "signature"
