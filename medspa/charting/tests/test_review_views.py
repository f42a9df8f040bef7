"""The medical director's sign-off pages and the provider's "My charts to sign" list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from medspa.charting import services
from medspa.charting.choices import ChartStatus
from medspa.charting.models import Chart, ChartReviewNote, ChartSignature
from medspa.charting.tests.fixtures import World, botox_content, signed_chart
from medspa.core.permissions import Role
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def submitted(world: World, *, days_ago: int = 0, content=None) -> Chart:
    """A standalone chart of the world's service, filled and signed by its provider."""
    actor = world.as_provider
    chart = services.chart_create(
        actor=actor,
        patient_id=world.patient.pk,
        service_id=world.service_id,
        treated_at=timezone.now() - timedelta(days=days_ago),
    )
    chart = services.chart_save(actor=actor, chart_id=chart.pk, content=content or botox_content(), version=1)
    return services.chart_sign(actor=actor, chart_id=chart.pk, password=PASSWORD)


def draft(world: World, *, content=None) -> Chart:
    chart = services.chart_create(actor=world.as_provider, patient_id=world.patient.pk, service_id=world.service_id)
    if content is not None:
        chart = services.chart_save(actor=world.as_provider, chart_id=chart.pk, content=content, version=1)
    return chart


def status_of(chart) -> str:
    return Chart.objects.get(pk=chart.pk).status


# Queue -------------------------------------------------------------------------------------


def test_queue_lists_submitted_charts_only_oldest_first(world, login):
    older = submitted(world, days_ago=3)
    newer = submitted(world, days_ago=1)
    waiting_draft = draft(world)
    response = login(world.md).get("/charts/review/")
    assert response.status_code == 200
    page = list(response.context["page"].object_list)
    assert [c.pk for c in page] == [older.pk, newer.pk]
    assert waiting_draft.pk not in [c.pk for c in page]
    assert f"/charts/review/{older.pk}/" in response.content.decode()


def test_queue_empty_state(world, login):
    response = login(world.md).get("/charts/review/")
    assert response.status_code == 200
    assert "Nothing waiting for sign-off" in response.content.decode()


def test_queue_filters_by_date_provider_and_service(world, login, make_member):
    old = submitted(world, days_ago=10)
    recent = submitted(world, days_ago=1)
    client = login(world.md)
    today = timezone.localdate()
    response = client.get("/charts/review/", {"day_from": (today - timedelta(days=2)).isoformat()})
    assert [c.pk for c in response.context["page"].object_list] == [recent.pk]
    response = client.get("/charts/review/", {"day_to": (today - timedelta(days=5)).isoformat()})
    assert [c.pk for c in response.context["page"].object_list] == [old.pk]
    response = client.get("/charts/review/", {"provider": str(world.provider.pk), "service": str(world.service_id)})
    assert {c.pk for c in response.context["page"].object_list} == {old.pk, recent.pk}
    # A provider with nothing waiting is not a choice: shown as an inline problem, not a 500.
    stranger = make_member(world.clinic, Role.PROVIDER, email="other-provider@test.example")
    response = client.get("/charts/review/", {"provider": str(stranger.pk)})
    assert response.status_code == 200
    assert "Some filters could not be used" in response.content.decode()


def test_queue_bad_dates_are_inline_not_500(world, login):
    submitted(world)
    client = login(world.md)
    response = client.get("/charts/review/", {"day_from": "31/31/2024", "day_to": "nope"})
    assert response.status_code == 200
    assert "Some filters could not be used" in response.content.decode()
    assert len(response.context["page"].object_list) == 1
    today = timezone.localdate()
    response = client.get("/charts/review/", {"day_from": today.isoformat(), "day_to": "2000-01-01"})
    assert "The end date is before the start date." in response.content.decode()


def test_queue_htmx_answers_with_the_rows_only(world, login):
    submitted(world)
    response = login(world.md).get("/charts/review/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and "Charts waiting for sign-off" in body


# Review page -------------------------------------------------------------------------------


def test_review_page_is_read_only_and_complete(world, login):
    chart = submitted(world)
    response = login(world.md).get(f"/charts/review/{chart.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Fainting with needles" in body  # the patient's alert
    assert "Frown lines and crow&#x27;s feet" in body  # an answer
    assert "C1234A" in body  # the lot
    assert "Glabella" in body and "<svg" in body  # the face chart and totals
    assert "No forms are required for this treatment." in body  # the world requires none
    assert "Performed the treatment and authored this record" in body
    assert chart.provider_signature.content_hash in body
    assert f'hx-get="/charts/{chart.pk}/photos/"' in body and 'hx-trigger="load"' in body
    # Only the four sign-off actions post anywhere: no edit controls for the MD.
    posts = {
        f"/charts/review/{chart.pk}/sign/",
        f"/charts/review/{chart.pk}/request-info/",
        f"/charts/review/{chart.pk}/return/",
    }
    actions = set(re.findall(r'<form method="post" action="([^"]+)"', body)) - {"/accounts/logout/"}
    assert actions == posts
    assert "<textarea" in body and 'name="content' not in body


def test_md_signs(world, login):
    chart = submitted(world)
    response = login(world.md).post(f"/charts/review/{chart.pk}/sign/", {"password": PASSWORD, "then": "stay"})
    assert response.status_code == 302 and response["Location"] == f"/charts/review/{chart.pk}/"
    assert status_of(chart) == ChartStatus.MD_SIGNED


def test_sign_and_next_opens_the_next_chart_then_the_queue(world, login):
    first = submitted(world, days_ago=2)
    second = submitted(world, days_ago=1)
    client = login(world.md)
    response = client.post(f"/charts/review/{first.pk}/sign/", {"password": PASSWORD, "then": "next"})
    assert response["Location"] == f"/charts/review/{second.pk}/"
    response = client.post(f"/charts/review/{second.pk}/sign/", {"password": PASSWORD, "then": "next"})
    assert response["Location"] == "/charts/review/"
    assert status_of(first) == status_of(second) == ChartStatus.MD_SIGNED


def test_wrong_password_is_inline_422_and_nothing_is_written(world, login):
    chart = submitted(world)
    signatures = ChartSignature.objects.count()
    response = login(world.md).post(f"/charts/review/{chart.pk}/sign/", {"password": "wrong", "then": "next"})
    assert response.status_code == 422
    assert "Your password is not correct." in response.content.decode()
    assert status_of(chart) == ChartStatus.NEEDS_SIGNOFF
    assert ChartSignature.objects.count() == signatures


def test_request_info_keeps_the_chart_queued(world, login):
    chart = submitted(world)
    client = login(world.md)
    response = client.post(f"/charts/review/{chart.pk}/request-info/", {"comment": "Which dilution?"})
    assert response.status_code == 302 and response["Location"] == f"/charts/review/{chart.pk}/"
    fresh = Chart.objects.get(pk=chart.pk)
    assert fresh.status == ChartStatus.NEEDS_SIGNOFF and fresh.info_requested
    assert "Info requested" in client.get("/charts/review/").content.decode()
    assert "Which dilution?" in client.get(f"/charts/review/{chart.pk}/").content.decode()


def test_return_sends_the_chart_back_to_draft(world, login):
    chart = submitted(world)
    response = login(world.md).post(f"/charts/review/{chart.pk}/return/", {"comment": "Add the depth."})
    assert response.status_code == 302 and response["Location"] == "/charts/review/"
    assert status_of(chart) == ChartStatus.DRAFT
    assert ChartReviewNote.objects.filter(chart=chart, comment="Add the depth.").exists()


@pytest.mark.parametrize("action", ["request-info", "return"])
def test_empty_comment_is_inline_422(world, login, action):
    chart = submitted(world)
    response = login(world.md).post(f"/charts/review/{chart.pk}/{action}/", {"comment": "  "})
    assert response.status_code == 422
    assert "Write a comment for the provider." in response.content.decode()
    assert status_of(chart) == ChartStatus.NEEDS_SIGNOFF
    assert not ChartReviewNote.objects.filter(chart=chart).exists()


def test_a_chart_no_longer_in_the_queue_is_a_friendly_409(world, login):
    chart = submitted(world)
    services.chart_md_sign(actor=world.as_md, chart_id=chart.pk, password=PASSWORD)
    client = login(world.md)
    response = client.post(f"/charts/review/{chart.pk}/sign/", {"password": PASSWORD})
    assert response.status_code == 409
    assert "no longer waiting for sign-off" in response.content.decode()
    response = client.post(f"/charts/review/{chart.pk}/return/", {"comment": "Too late"})
    assert response.status_code == 409


ROUTES = ["sign/", "request-info/", "return/"]


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.READ_ONLY, Role.PROVIDER, Role.BILLING])
@pytest.mark.parametrize("route", ROUTES)
def test_post_routes_refuse_roles_without_md_permission(world, login, make_member, role, route):
    chart = submitted(world)
    user = make_member(world.clinic, role, email=f"{role}-{route[:4]}@test.example")
    client = login(user)
    response = client.post(f"/charts/review/{chart.pk}/{route}", {"password": PASSWORD, "comment": "x"})
    assert response.status_code == 403
    assert client.get(f"/charts/review/{chart.pk}/").status_code == 403
    assert client.get("/charts/review/").status_code == 403
    assert status_of(chart) == ChartStatus.NEEDS_SIGNOFF
    assert not ChartReviewNote.objects.filter(chart=chart).exists()


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.READ_ONLY, Role.MEDICAL_DIRECTOR])
def test_my_drafts_post_refuses_roles_without_sign(world, login, make_member, role):
    chart = draft(world, content=botox_content())
    user = make_member(world.clinic, role, email=f"{role}-drafts@test.example")
    response = login(user).post("/charts/", {"chart_ids": [str(chart.pk)], "password": PASSWORD})
    assert response.status_code == 403
    assert status_of(chart) == ChartStatus.DRAFT


@pytest.mark.parametrize("route", ["", "sign/", "request-info/", "return/"])
def test_another_clinics_chart_is_404(world, other_world, login, route):
    theirs = submitted(other_world)
    client = login(world.md)
    response = client.post(f"/charts/review/{theirs.pk}/{route}", {"password": PASSWORD, "comment": ""})
    if route == "":
        response = client.get(f"/charts/review/{theirs.pk}/")
    assert response.status_code == 404
    assert status_of(theirs) == ChartStatus.NEEDS_SIGNOFF


def test_get_on_action_routes_is_405(world, login):
    chart = submitted(world)
    assert login(world.md).get(f"/charts/review/{chart.pk}/sign/").status_code == 405


# Sidebar -----------------------------------------------------------------------------------


def test_sidebar_badge_counts_the_queue_for_the_md_only(world, login):
    submitted(world, days_ago=2)
    submitted(world, days_ago=1)
    md_page = login(world.md).get("/charts/review/")
    items = {item["key"]: item for item in md_page.context["nav_items"]}
    assert items["signoff"]["badge"] == 2
    assert items["signoff"]["label"] == "Sign-off" and items["signoff"]["url"] == "/charts/review/"
    assert 'data-nav-badge="signoff">2' in md_page.content.decode()
    provider_page = login(world.provider).get("/charts/")
    keys = {item["key"] for item in provider_page.context["nav_items"]}
    assert "signoff" not in keys and "charts" in keys
    front = login(world.front_desk).get("/patients/")
    assert "signoff" not in {item["key"] for item in front.context["nav_items"]}


# My charts to sign ---------------------------------------------------------------------------


def test_my_drafts_lists_own_drafts_with_links(world, login):
    chart = draft(world, content=botox_content())
    response = login(world.provider).get("/charts/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"/charts/{chart.pk}/" in body and 'name="chart_ids"' in body


def test_my_drafts_empty_state(world, login):
    response = login(world.provider).get("/charts/")
    assert "No charts waiting for your signature" in response.content.decode()


def test_sign_many_sends_complete_drafts_to_the_md(world, login):
    one = draft(world, content=botox_content())
    two = draft(world, content=botox_content())
    response = login(world.provider).post("/charts/", {"chart_ids": [str(one.pk), str(two.pk)], "password": PASSWORD})
    assert response.status_code == 302
    assert status_of(one) == status_of(two) == ChartStatus.NEEDS_SIGNOFF


def test_sign_many_is_all_or_nothing_and_names_the_incomplete_chart(world, login):
    complete = draft(world, content=botox_content())
    incomplete = draft(world)  # nothing filled in
    response = login(world.provider).post(
        "/charts/", {"chart_ids": [str(complete.pk), str(incomplete.pk)], "password": PASSWORD}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Nothing was signed." in body
    assert f"/charts/{incomplete.pk}/" in body and "individually" in body
    assert [i["chart"].pk for i in response.context["incomplete"]] == [incomplete.pk]
    assert status_of(complete) == status_of(incomplete) == ChartStatus.DRAFT


def test_sign_many_wrong_password(world, login):
    chart = draft(world, content=botox_content())
    response = login(world.provider).post("/charts/", {"chart_ids": [str(chart.pk)], "password": "nope"})
    assert response.status_code == 422
    assert "Enter your password to sign." in response.content.decode()
    assert status_of(chart) == ChartStatus.DRAFT


def test_signed_chart_fixture_lands_in_the_queue(world, login):
    chart = signed_chart(world)
    response = login(world.md).get("/charts/review/")
    assert [c.pk for c in response.context["page"].object_list] == [chart.pk]
