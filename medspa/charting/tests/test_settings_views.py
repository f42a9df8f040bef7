"""Charting settings pages: medical director, template list and builder, per-service rules."""

from __future__ import annotations

import json

import pytest

from medspa.charting import selectors
from medspa.charting.models import ChartTemplate, ChartTemplateVersion, ClinicChartSettings
from medspa.core.permissions import Role

pytestmark = pytest.mark.django_db

SECTIONS = [
    {
        "key": "",
        "title": "Consultation",
        "fields": [
            {"key": "goals", "label": "Goals", "type": "long_text", "required": True},
            {"key": "skin", "label": "Skin type", "type": "select", "options": ["I", "II", "III"]},
        ],
    }
]


def test_builder_creates_then_publishes_a_new_version(world, login):
    client = login(world.owner)
    assert client.get("/settings/chart-templates/new/").status_code == 200
    response = client.post(
        "/settings/chart-templates/new/", {"name": "Consult v2", "description": "", "sections": json.dumps(SECTIONS)}
    )
    template = ChartTemplate.objects.get(clinic=world.clinic, name="Consult v2")
    assert response.status_code == 302 and response["Location"] == f"/settings/chart-templates/{template.pk}/"
    page = client.get(response["Location"])
    assert "version 1 published" in page.content.decode()
    changed = [
        {**SECTIONS[0], "fields": [*SECTIONS[0]["fields"], {"key": "plan", "label": "Plan", "type": "short_text"}]}
    ]
    response = client.post(
        f"/settings/chart-templates/{template.pk}/",
        {"name": "Consult v2", "base_version": "1", "sections": json.dumps(changed)},
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.current_version == 2
    assert ChartTemplateVersion.objects.filter(template=template).count() == 2
    body = client.get(response["Location"]).content.decode()
    assert "Version 2 published; existing charts keep their version." in body


def test_bad_template_is_shown_inline_and_nothing_published(world, login):
    client = login(world.owner)
    template_id = world.template_id("neurotoxin")
    bad = [{"title": "Only", "fields": [{"key": "x", "label": "", "type": "short_text"}]}]
    response = client.post(
        f"/settings/chart-templates/{template_id}/",
        {"name": "Neurotoxin", "base_version": "1", "sections": json.dumps(bad)},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Section 1 “Only”, field 1: Give the field a label." in body
    assert ChartTemplate.objects.get(pk=template_id).current_version == 1
    response = client.post("/settings/chart-templates/new/", {"name": "X", "sections": "{not json"})
    assert response.status_code == 422
    choice = [{"title": "S", "fields": [{"key": "c", "label": "Choice", "type": "select", "options": []}]}]
    response = client.post("/settings/chart-templates/new/", {"name": "X", "sections": json.dumps(choice)})
    assert response.status_code == 422 and "A choice field needs options." in response.content.decode()
    assert not ChartTemplate.objects.filter(clinic=world.clinic, name="X").exists()


def test_stale_base_version_is_a_409(world, login):
    client = login(world.owner)
    template_id = world.template_id("soap-note")
    response = client.post(
        f"/settings/chart-templates/{template_id}/",
        {"name": "SOAP note", "base_version": "7", "sections": json.dumps(SECTIONS)},
    )
    assert response.status_code == 409


def test_template_list_shows_versions_and_retires(world, login):
    client = login(world.owner)
    body = client.get("/settings/chart-templates/").content.decode()
    assert "Neurotoxin" in body and "v1" in body
    template_id = world.template_id("facial")
    response = client.post(f"/settings/chart-templates/{template_id}/active/", {"active": "0"})
    assert response.status_code == 302
    assert not ChartTemplate.objects.get(pk=template_id).active
    client.post(f"/settings/chart-templates/{template_id}/active/", {"active": "1"})
    assert ChartTemplate.objects.get(pk=template_id).active


def test_service_settings_saved_row_by_row(world, login):
    client = login(world.owner)
    page = client.get("/settings/charting/services/")
    assert page.status_code == 200 and "No lying down for 4 hours." in page.content.decode()
    template_id = world.template_id("soap-note")
    response = client.post(
        f"/settings/charting/services/{world.service_id}/",
        {"template_id": str(template_id), "min_before_photos": "2", "aftercare": "Ice as needed."},
    )
    assert response.status_code == 302
    saved = selectors.service_settings(clinic=world.clinic, service_id=world.service_id)
    assert saved.template_id == template_id and saved.min_before_photos == 2
    assert saved.requires_md_review is False and saved.aftercare == "Ice as needed."
    response = client.post(f"/settings/charting/services/{world.service_id}/", {"min_before_photos": "40"})
    assert response.status_code == 422 and "Enter a number from 0 to 12." in response.content.decode()
    response = client.post(f"/settings/charting/services/{world.service_id}/", {"min_before_photos": "lots"})
    assert response.status_code == 422
    assert selectors.service_settings(clinic=world.clinic, service_id=world.service_id).min_before_photos == 2


def test_md_pickers_offer_only_md_capable_members(world, login):
    client = login(world.owner)
    response = client.get("/settings/charting/")
    form = response.context["form"]
    offered = {value for value, _ in form.fields["medical_director_id"].choices if value}
    # Owners and admins also hold charting.sign_md; providers and front desk do not.
    assert str(world.md.pk) in offered
    assert str(world.provider.pk) not in offered and str(world.front_desk.pk) not in offered
    response = client.post(
        "/settings/charting/", {"medical_director_id": str(world.md.pk), "allow_sign_with_missing": "on"}
    )
    assert response.status_code == 302
    assert ClinicChartSettings.objects.get(clinic=world.clinic).medical_director_id == world.md.pk
    response = client.post("/settings/charting/", {"medical_director_id": str(world.provider.pk)})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "/settings/charting/",
        "/settings/charting/services/",
        "/settings/chart-templates/",
        "/settings/chart-templates/new/",
    ],
)
def test_md_and_front_desk_cannot_open_settings(world, login, url, make_member):
    for user in (world.md, make_member(world.clinic, Role.READ_ONLY, email=f"ro{len(url)}@test.example")):
        client = login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "Nope", "sections": json.dumps(SECTIONS)}).status_code == 403
    assert not ChartTemplate.objects.filter(name="Nope").exists()


def test_md_cannot_post_template_or_service_changes(world, login):
    client = login(world.md)
    template_id = world.template_id("neurotoxin")
    assert client.get(f"/settings/chart-templates/{template_id}/").status_code == 403
    assert client.post(f"/settings/chart-templates/{template_id}/active/", {"active": "0"}).status_code == 403
    assert (
        client.post(f"/settings/charting/services/{world.service_id}/", {"min_before_photos": "3"}).status_code == 403
    )
    assert ChartTemplate.objects.get(pk=template_id).active


def test_another_clinics_template_and_service_are_404(world, other_world, login):
    client = login(world.owner)
    theirs = other_world.template_id("neurotoxin")
    assert client.get(f"/settings/chart-templates/{theirs}/").status_code == 404
    assert client.post(f"/settings/chart-templates/{theirs}/active/", {"active": "0"}).status_code == 404
    response = client.post(f"/settings/charting/services/{other_world.service_id}/", {"min_before_photos": "3"})
    assert response.status_code == 404
