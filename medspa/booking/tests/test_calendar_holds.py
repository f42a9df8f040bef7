"""Live holds on the staff calendar: the hold blocks feed shows what is held in which
practitioner's column until when, never who (but the first name staff typed for a finish
link); released and lapsed holds are gone; the appointments feed is not touched."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from medspa.booking import services
from medspa.booking.tests.conftest import at, next_weekday
from medspa.core.permissions import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(world, make_member, login):
    return login(make_member(world.clinic, Role.FRONT_DESK, email="desk@test.example"))


def holds_url(day, days: int = 1, **extra) -> str:
    start, end = at(day, 0), at(day + timedelta(days=days), 0)
    params = f"start={start.isoformat()}&end={end.isoformat()}".replace("+", "%2B")
    return "/calendar/holds/?" + params + "".join(f"&{k}={v}" for k, v in extra.items())


def finish_link(world, start, first_name="Nora"):
    return services.link_create(
        world.setup.owner,
        first_name=first_name,
        phone="(212) 555-0199",
        email="nora.link@example.com",
        service_ids=[world.menu["facial"].pk],
        start=start,
        practitioner_id=world.setup.provider_user.pk,
    )


def test_a_portal_hold_is_a_block_without_patient_data(world, desk):
    day = next_weekday()
    held = world.hold(at(day, 10))
    response = desk.get(holds_url(day))
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["id"] == str(held.booking.hold_id)
    assert item["practitioner_id"] == str(world.setup.provider_user.pk)
    assert item["label"] == "Held — online booking in progress"
    assert item["first_name"] == "" and item["kind"] == "portal"
    assert datetime.fromisoformat(item["start"]) == at(day, 10)
    assert item["expires"] == held.booking.hold.expires_at.isoformat()


def test_a_finish_link_block_carries_only_the_typed_first_name(world, desk):
    day = next_weekday()
    finish_link(world, at(day, 11))
    response = desk.get(holds_url(day))
    (item,) = response.json()["items"]
    assert item["label"] == "Finish link sent" and item["first_name"] == "Nora"
    body = response.content.decode()
    assert "555-01" not in body and "55501" not in body and "nora.link" not in body and "Reyes" not in body


def test_submitted_details_never_reach_the_block(world, desk):
    """Once the patient typed their details (awaiting a deposit), the block still names nobody."""
    services.settings_update(world.setup.owner, values={"deposit_kind": "fixed", "deposit_value": "25.00"})
    day = next_weekday()
    held = world.hold(at(day, 10))
    booking = world.submit(held.token)
    assert booking.state == "awaiting_payment"
    response = desk.get(holds_url(day))
    (item,) = response.json()["items"]
    assert item["label"] == "Held — awaiting deposit"
    body = response.content.decode()
    for secret in ("Ava", "Reyes", "5550142", "555-0142", "ava.reyes"):
        assert secret not in body


def test_released_and_withdrawn_holds_are_gone(world, desk):
    day = next_weekday()
    released = world.hold(at(day, 10))
    services.portal_release(world.portal(), released.token)
    link = finish_link(world, at(day, 12))
    services.link_cancel(world.setup.owner, link.booking.pk)
    kept = world.hold(at(day, 14))
    items = desk.get(holds_url(day)).json()["items"]
    assert [i["id"] for i in items] == [str(kept.booking.hold_id)]


def test_a_lapsed_hold_is_gone_before_the_sweep(world, desk):
    day = next_weekday()
    held = world.hold(at(day, 10))
    assert desk.get(holds_url(day)).json()["items"]
    with time_machine.travel(held.booking.hold.expires_at + timedelta(seconds=1)):
        assert desk.get(holds_url(day)).json()["items"] == []


def test_a_booked_hold_becomes_the_appointment(world, desk):
    day = next_weekday()
    held = world.hold(at(day, 10))
    world.submit(held.token)
    assert desk.get(holds_url(day)).json()["items"] == []


def test_window_location_and_provider_filters(world, desk, make_member):
    day = next_weekday()
    world.hold(at(day, 10))
    assert desk.get(holds_url(day + timedelta(days=1))).json()["items"] == []
    assert desk.get(holds_url(day, location_id=world.setup.location.pk)).json()["items"]
    someone_else = make_member(world.clinic, Role.PROVIDER, email="else@test.example")
    assert desk.get(holds_url(day, provider_id=someone_else.pk)).json()["items"] == []


def test_a_provider_sees_only_holds_in_their_own_column(world, make_member, login):
    day = next_weekday()
    world.hold(at(day, 10))
    own = login(world.setup.provider_user).get(holds_url(day)).json()["items"]
    assert len(own) == 1
    colleague = login(make_member(world.clinic, Role.PROVIDER, email="colleague@test.example"))
    assert colleague.get(holds_url(day)).json()["items"] == []


def test_another_clinic_sees_none(world, other_clinic_owner, login):
    day = next_weekday()
    world.hold(at(day, 10))
    response = login(other_clinic_owner).get(holds_url(day))
    assert response.status_code == 200 and response.json()["items"] == []


@pytest.mark.parametrize(
    "query",
    [
        "start=tomorrow&end=later",
        "end=2030-01-01T00:00:00%2B00:00",
        "start=2030-01-01T00:00:00&end=2030-01-02T00:00:00",
        "start=2030-01-02T00:00:00%2B00:00&end=2030-01-01T00:00:00%2B00:00",
        "start=2030-01-01T00:00:00%2B00:00&end=2030-03-01T00:00:00%2B00:00",
        "start=2030-01-01T00:00:00%2B00:00&end=2030-01-02T00:00:00%2B00:00&provider_id=nope",
    ],
)
def test_bad_windows_are_422_with_the_fields(world, desk, query):
    response = desk.get("/calendar/holds/?" + query)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and body["fields"]


def test_without_a_window_it_is_the_locations_today(world, make_member, login):
    day = next_weekday()
    with time_machine.travel(at(day, 7), tick=False):
        today = world.hold(at(day, 11))
        tomorrow = world.hold(at(day + timedelta(days=1), 11), session_key="other")
        desk = login(make_member(world.clinic, Role.FRONT_DESK, email="desk@test.example"))
        response = desk.get("/calendar/holds/")
    assert response.status_code == 200
    ids = [i["id"] for i in response.json()["items"]]
    assert ids == [str(today.booking.hold_id)] and str(tomorrow.booking.hold_id) not in ids


def test_anonymous_is_sent_to_sign_in(world):
    response = Client().get(holds_url(next_weekday()))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("count", [1, 4])
def test_hold_queries_do_not_grow_with_holds(world, desk, count, django_assert_num_queries):
    day = next_weekday()
    for index in range(count):
        world.hold(at(day, 9 + index * 2), session_key=f"s{index}")
    desk.get(holds_url(day))  # warm the session
    with django_assert_num_queries(HOLD_QUERIES):
        response = desk.get(holds_url(day))
    assert len(response.json()["items"]) == count


def test_appointments_feed_costs_the_same_with_holds(world, desk):
    day = next_weekday()
    start, end = at(day, 0), at(day + timedelta(days=1), 0)
    feed = f"/api/appointments?start={start.isoformat()}&end={end.isoformat()}".replace("+", "%2B")
    desk.get(feed)
    with CaptureQueriesContext(connection) as before:
        assert desk.get(feed).json()["items"] == []
    world.hold(at(day, 10))
    with CaptureQueriesContext(connection) as after:
        assert desk.get(feed).json()["items"] == []
    assert len(after.captured_queries) == len(before.captured_queries)


def test_calendar_page_knows_the_holds_and_links_routes(world, desk):
    html = desk.get("/calendar/").content.decode()
    marker = '<script id="calendar-config" type="application/json">'
    start = html.index(marker) + len(marker)
    config = json.loads(html[start : html.index("</script>", start)])
    assert config["urls"]["holds"] == "/calendar/holds/"
    assert config["urls"]["links"] == "/calendar/links/"
    assert 'data-testid="send-link"' in html


def test_read_only_sees_holds_but_no_link_button(world, make_member, login):
    client = login(make_member(world.clinic, Role.READ_ONLY, email="ro@test.example"))
    day = next_weekday()
    world.hold(at(day, 10))
    assert len(client.get(holds_url(day)).json()["items"]) == 1
    assert 'data-testid="send-link"' not in client.get("/calendar/").content.decode()


# Session, user, membership and MFA, then the two reads (the holds, the finish links' first names).
HOLD_QUERIES = 6
