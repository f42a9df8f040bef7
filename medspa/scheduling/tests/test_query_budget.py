"""The availability search and the calendar feed read a fixed number of statements however
many providers or days they cover (no N+1), and racing bookings through the HTTP layer end in
exactly one 201 and 409s, never a 5xx (SCH-1, SCH-2)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext

from medspa.catalog import services as catalog_services
from medspa.core.permissions import Role
from medspa.scheduling import selectors, services
from medspa.scheduling.availability.loader import Search
from medspa.scheduling.models import Appointment
from medspa.scheduling.services import Block
from medspa.scheduling.tests.conftest import at, next_weekday

SEARCH_BUDGET = 6
PROVIDERS = 20


def _search(setup, days: int) -> Search:
    day = next_weekday()
    return Search(
        service_ids=(str(setup.menu["facial"].pk),),
        location_id=setup.location.pk,
        start=at(day, 0),
        end=at(day + timedelta(days=days), 0),
    )


def _count_search(setup, days: int) -> tuple[int, int]:
    search = _search(setup, days)
    selectors.available_slots(setup.owner, search)  # warm caches that are not per request
    with CaptureQueriesContext(connection) as ctx:
        slots, _ = selectors.available_slots(setup.owner, search)
    return len(ctx.captured_queries), len(slots)


def _add_providers(setup, make_member, count: int) -> list:
    people = [make_member(setup.clinic, Role.PROVIDER, email=f"provider{n}@test.example") for n in range(count)]
    everyone = [setup.provider_user.pk, *(p.pk for p in people)]
    catalog_services.service_update(
        actor=setup.owner, service_id=setup.menu["facial"].pk, data={"provider_ids": everyone}
    )
    for person in people:
        services.hours_replace(
            setup.owner,
            provider_id=person.pk,
            location_id=setup.location.pk,
            blocks=[Block(weekday, 9 * 60, 17 * 60) for weekday in range(7)],
        )
    return people


def _book(setup, provider, start) -> None:
    services.book(
        setup.owner,
        services.BookingRequest(
            patient_id=setup.patient.pk,
            service_ids=[setup.menu["facial"].pk],
            provider_id=provider.pk,
            start=start,
        ),
    )


def test_availability_search_reads_a_fixed_number_of_statements(setup, make_member):
    day = next_weekday()
    for hour in (10, 13):
        _book(setup, setup.provider_user, at(day, hour))
    one_day, one_day_slots = _count_search(setup, 1)
    two_weeks, two_weeks_slots = _count_search(setup, 14)
    people = _add_providers(setup, make_member, PROVIDERS - 1)
    for n, person in enumerate(people):
        _book(setup, person, at(day + timedelta(days=n % 14), 9 + n % 7))
    many_one_day, many_one_day_slots = _count_search(setup, 1)
    many_two_weeks, many_two_weeks_slots = _count_search(setup, 14)
    counts = (one_day, two_weeks, many_one_day, many_two_weeks)  # 6 on SQLite and PostgreSQL
    assert one_day == two_weeks == many_one_day == many_two_weeks <= SEARCH_BUDGET, counts
    # The searches did real work: more providers and more days, more slots.
    assert 0 < one_day_slots < two_weeks_slots < many_two_weeks_slots
    assert one_day_slots < many_one_day_slots


def _count_feed(client, start, end) -> tuple[int, int]:
    params = {"start": start.isoformat(), "end": end.isoformat()}
    assert client.get("/api/appointments", params).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/appointments", params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), len(response.json()["items"])


def test_calendar_feed_reads_the_same_statements_for_one_and_twenty_providers(
    setup, make_member, api_token, api_client
):
    client = api_client(api_token(setup.owner.user, setup.clinic))
    day = next_weekday()
    for hour in (9, 11, 14):
        _book(setup, setup.provider_user, at(day, hour))
    one_day, one_items = _count_feed(client, at(day, 0), at(day + timedelta(days=1), 0))
    one_week, _ = _count_feed(client, at(day, 0), at(day + timedelta(days=7), 0))
    people = _add_providers(setup, make_member, PROVIDERS - 1)
    for n, person in enumerate(people):
        for hour in (9, 12, 15):
            _book(setup, person, at(day + timedelta(days=n % 3), hour))
    many_day, many_items = _count_feed(client, at(day, 0), at(day + timedelta(days=1), 0))
    many_week, week_items = _count_feed(client, at(day, 0), at(day + timedelta(days=7), 0))
    assert one_items == 3 and many_items > 3 * 5 and week_items == 3 + 3 * (PROVIDERS - 1)
    assert one_day == one_week == many_day == many_week, (one_day, one_week, many_day, many_week)  # 2: token, rows


WORKERS = 16
ROUNDS = 3


@pytest.mark.django_db(transaction=True)
def test_racing_http_bookings_give_one_201_and_409s_never_a_5xx(setup, api_token, live_server):
    token = api_token(setup.owner.user, setup.clinic)
    day = next_weekday()
    url = f"{live_server.url}/api/booking/appointments"
    for round_number in range(ROUNDS):
        start = at(day, 10 + round_number)
        body = {
            "patient_id": str(setup.patient.pk),
            "service_id": str(setup.menu["facial"].pk),
            "practitioner_id": str(setup.provider_user.pk),
            "start": start.isoformat(),
        }
        barrier = threading.Barrier(WORKERS)
        statuses: list = []
        lock = threading.Lock()

        def post(body=body, barrier=barrier, statuses=statuses, lock=lock) -> None:
            with requests.Session() as session:
                session.headers["Authorization"] = f"Bearer {token}"
                barrier.wait()
                try:
                    status = session.post(url, json=body, timeout=60).status_code
                except requests.RequestException as error:
                    status = repr(error)
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=post) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses, key=str) == [201] + [409] * (WORKERS - 1), statuses
        assert Appointment.objects.filter(start_at=start).count() == 1
