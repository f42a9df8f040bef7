"""The calendar and Today pages: rendering, permissions, another clinic's appointments,
booking from the dialog (conflicts and the double-booking confirm step), status changes,
working-hours shading, and query counts that do not grow with the number of providers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from medspa.catalog import services as catalog_services
from medspa.core.permissions import Role
from medspa.patients.models import Patient
from medspa.patients.tests.factories import PatientFactory
from medspa.scheduling import services
from medspa.scheduling.choices import ExceptionKind
from medspa.scheduling.models import Appointment
from medspa.scheduling.services import Block
from medspa.scheduling.tests.conftest import NEW_YORK, at, next_weekday

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(setup, make_member, login):
    return login(make_member(setup.clinic, Role.FRONT_DESK, email="desk@test.example"))


def config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="calendar-config" type="application/json">') + len(
        '<script id="calendar-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def booked(setup, hour: int, day=None):
    return services.book(setup.owner, setup.request(at(day or next_weekday(), hour))).booked[0]


# Pages and permissions ------------------------------------------------------------------


def test_calendar_page_carries_columns_and_links(setup, desk):
    response = desk.get(f"/calendar/?date={next_weekday().isoformat()}")
    assert response.status_code == 200
    body = config(response)
    assert body["date"] == next_weekday().isoformat()
    assert str(setup.provider_user.pk) in {p["id"] for p in body["providers"]}
    assert body["timezone"] == setup.location.timezone
    assert body["canBook"] is True and body["ownOnly"] is False
    assert {r["title"] for r in body["rooms"]} >= {setup.menu["room"].name}
    assert b'nonce="' in response.content and b"event-calendar.min.js" in response.content


def test_provider_sees_only_their_own_column(setup, login):
    response = login(setup.provider_user).get("/calendar/")
    body = config(response)
    assert [p["id"] for p in body["providers"]] == [str(setup.provider_user.pk)]
    assert body["ownOnly"] is True


def test_read_only_may_look_but_not_book(setup, make_member, login):
    client = login(make_member(setup.clinic, Role.READ_ONLY, email="ro@test.example"))
    assert client.get("/calendar/").status_code == 200
    assert config(client.get("/calendar/"))["canBook"] is False
    assert client.get("/today/").status_code == 200
    assert client.get("/calendar/book/").status_code == 403
    appointment = booked(setup, 10)
    response = client.post(f"/calendar/appointments/{appointment.pk}/status/", {"status": "arrived"})
    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == "scheduled"


def test_nav_opens_today_and_calendar(setup, desk):
    response = desk.get("/today/")
    assert b'href="/calendar/"' in response.content and b'href="/today/"' in response.content


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get("/calendar/")["Location"].startswith("/accounts/login/")


# Another clinic --------------------------------------------------------------------------


def test_other_clinics_appointment_looks_missing(setup, other_clinic, other_clinic_owner, login):
    appointment = booked(setup, 10)
    outsider = login(other_clinic_owner)
    assert outsider.get(f"/calendar/appointments/{appointment.pk}/").status_code == 404
    response = outsider.post(f"/calendar/appointments/{appointment.pk}/status/", {"status": "arrived"})
    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "scheduled" and appointment.version == 1


def test_provider_cannot_open_a_colleagues_appointment(setup, make_member, login):
    colleague = make_member(setup.clinic, Role.PROVIDER, email="other-injector@test.example")
    appointment = booked(setup, 10)
    assert login(colleague).get(f"/calendar/appointments/{appointment.pk}/").status_code == 404


# Appointment card and status -------------------------------------------------------------


def test_card_and_one_click_check_in(setup, desk):
    appointment = booked(setup, 10)
    card = desk.get(f"/calendar/appointments/{appointment.pk}/", headers={"HX-Request": "true"})
    assert card.status_code == 200
    assert b"Check in" in card.content and f"/patients/{appointment.patient_id}/".encode() in card.content
    response = desk.post(
        f"/calendar/appointments/{appointment.pk}/status/", {"status": "arrived"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "toast" in json.loads(response["HX-Trigger"])
    appointment.refresh_from_db()
    assert appointment.status == "arrived" and appointment.checked_in_at is not None


def test_invalid_transition_is_refused_inline(setup, desk):
    appointment = booked(setup, 10)
    response = desk.post(
        f"/calendar/appointments/{appointment.pk}/status/", {"status": "completed"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert json.loads(response["HX-Trigger"])["toast"]["level"] == "error"
    appointment.refresh_from_db()
    assert appointment.status == "scheduled"


def test_cancelling_needs_a_reason(setup, desk):
    appointment = booked(setup, 10)
    url = f"/calendar/appointments/{appointment.pk}/status/"
    assert desk.post(url, {"status": "cancelled"}).status_code == 422
    appointment.refresh_from_db()
    assert appointment.status == "scheduled"
    assert desk.post(url, {"status": "cancelled", "reason": "Patient is unwell"}).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


# Booking dialog --------------------------------------------------------------------------


def form(setup, hour: int, **extra) -> dict:
    return {
        "patient": str(setup.patient.pk),
        "service": str(setup.menu["facial"].pk),
        "provider": str(setup.provider_user.pk),
        "start": at(next_weekday(), hour).strftime("%Y-%m-%dT%H:%M"),
        "location": str(setup.location.pk),
        **extra,
    }


def test_dialog_prefills_from_the_clicked_slot(setup, desk):
    start = at(next_weekday(), 11).strftime("%Y-%m-%dT%H:%M")
    response = desk.get(
        f"/calendar/book/?start={start}&provider={setup.provider_user.pk}", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{start}"' in html
    assert f'<option value="{setup.provider_user.pk}" selected>' in html


def test_booking_from_the_dialog(setup, desk):
    response = desk.post("/calendar/book/", form(setup, 11), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert "calendar-saved" in json.loads(response["HX-Trigger"])
    appointment = Appointment.objects.get()
    assert appointment.start_at == at(next_weekday(), 11)  # the wall-clock time of New York
    assert appointment.source == "admin"


def test_booking_a_new_patient_inline(setup, desk):
    data = form(setup, 11, patient="", first_name="Nora", last_name="Newcomer", phone="")
    response = desk.post("/calendar/book/", data, headers={"HX-Request": "true"})
    assert response.status_code == 204
    patient = Patient.objects.get(last_name="Newcomer")
    assert Appointment.objects.get().patient_id == patient.pk


def test_a_patient_or_a_new_name_is_required(setup, desk):
    response = desk.post("/calendar/book/", form(setup, 11, patient=""), headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert not Appointment.objects.exists()


def test_conflict_shows_what_is_in_the_way(setup, desk):
    booked(setup, 11)
    other = PatientFactory(clinic=setup.clinic)
    response = desk.post("/calendar/book/", form(setup, 11, patient=str(other.pk)), headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert b"booking-conflict" in response.content
    assert b"Double-book this time" not in response.content  # the clinic does not allow it
    assert Appointment.objects.count() == 1


def test_double_booking_asks_to_confirm_first(setup, desk):
    services.policy_update(setup.owner, allow_staff_double_booking=True)
    booked(setup, 11)
    other = PatientFactory(clinic=setup.clinic)
    data = form(setup, 11, patient=str(other.pk))
    first = desk.post("/calendar/book/", data, headers={"HX-Request": "true"})
    assert first.status_code == 409 and b"Double-book this time" in first.content
    assert Appointment.objects.count() == 1
    second = desk.post("/calendar/book/", {**data, "double_book": "on"}, headers={"HX-Request": "true"})
    assert second.status_code == 204
    assert Appointment.objects.filter(double_booked=True, patient=other).count() == 1


def test_suggestion_names_the_room_and_later_times(setup, desk):
    booked(setup, 11)
    free = desk.post("/calendar/book/suggest/", form(setup, 13))
    assert b"Free at this time" in free.content
    busy = desk.post("/calendar/book/suggest/", form(setup, 11))
    assert b"Not free at this time" in busy.content and b"data-start=" in busy.content
    assert desk.get("/calendar/book/suggest/").status_code == 405


def test_patient_search_is_posted(setup, desk):
    PatientFactory(clinic=setup.clinic, first_name="Zelda", last_name="Quill")
    assert desk.get("/calendar/book/patients/?q=Quill").status_code == 405
    response = desk.post("/calendar/book/patients/", {"q": "Quill"})
    assert b"Zelda Quill" in response.content and b'name="patient"' in response.content


# Shading and query counts -----------------------------------------------------------------


def test_shading_shows_hours_breaks_and_time_off(setup, desk):
    day = next_weekday()
    services.hours_replace(
        setup.owner,
        provider_id=setup.provider_user.pk,
        location_id=setup.location.pk,
        blocks=[Block(w, 9 * 60, 17 * 60) for w in range(7)] + [Block(day.weekday(), 12 * 60, 13 * 60, "break")],
    )
    services.exception_add(
        setup.owner, provider_id=setup.provider_user.pk, day=day + timedelta(days=1), kind=ExceptionKind.TIME_OFF
    )
    response = desk.get(f"/calendar/hours/?start={day}&end={day + timedelta(days=2)}")
    items = response.json()["items"]
    mine = [i for i in items if i["resourceIds"] == [str(setup.provider_user.pk)]]
    assert {(i["start"], i["end"], i["classNames"][0]) for i in mine} == {
        (f"{day}T09:00:00", f"{day}T17:00:00", "ec-shade-work"),
        (f"{day}T12:00:00", f"{day}T13:00:00", "ec-shade-break"),
        (f"{day + timedelta(days=1)}T00:00:00", f"{day + timedelta(days=2)}T00:00:00", "ec-shade-off"),
    }
    assert desk.get(f"/calendar/hours/?start={day}&end={day}").status_code == 422
    assert desk.get("/calendar/hours/?start=nonsense").status_code == 422


def _providers_with_appointments(setup, make_member, count: int) -> None:
    day = next_weekday()
    users = [make_member(setup.clinic, Role.PROVIDER, email=f"p{i}@test.example") for i in range(count)]
    catalog_services.service_update(
        actor=setup.owner,
        service_id=setup.menu["facial"].pk,
        data={"provider_ids": [setup.provider_user.pk, *[u.pk for u in users]]},
    )
    for index, user in enumerate(users):
        services.hours_replace(
            setup.owner,
            provider_id=user.pk,
            location_id=setup.location.pk,
            blocks=[Block(w, 9 * 60, 17 * 60) for w in range(7)]
            + [Block(w, 12 * 60, 13 * 60, "break") for w in range(7)],
        )
        patient = PatientFactory(clinic=setup.clinic)
        # One appointment an hour across the days, so the rooms never run out.
        request = setup.request(at(day + timedelta(days=index // 6), (9, 10, 11, 13, 14, 15)[index % 6]))
        request.patient_id, request.provider_id = patient.pk, user.pk
        services.book(setup.owner, request)


@pytest.mark.parametrize("count", [1, 20])
def test_feed_and_shading_queries_do_not_grow_with_providers(
    count, setup, desk, make_member, django_assert_num_queries
):
    _providers_with_appointments(setup, make_member, count)
    day = next_weekday()
    start, end = at(day, 0), at(day + timedelta(days=7), 0)
    feed = f"/api/appointments?start={start.isoformat()}&end={end.isoformat()}".replace("+", "%2B")
    desk.get(feed)  # warm the session
    with django_assert_num_queries(FEED_QUERIES):
        response = desk.get(feed)
    assert response.status_code == 200 and response.json()["items"]
    with django_assert_num_queries(SHADING_QUERIES):
        response = desk.get(f"/calendar/hours/?start={day}&end={day + timedelta(days=7)}")
    assert len(response.json()["items"]) >= 7 * 2 * count


# Measured once; the point is that the same figure holds for 1 and 20 providers.
FEED_QUERIES = 6  # with the registered appointment marks (consents: one query for the requirements)
SHADING_QUERIES = 7


# Today ------------------------------------------------------------------------------------


def test_today_groups_by_status_and_checks_in(setup, desk):
    services.hours_replace(
        setup.owner,
        provider_id=setup.provider_user.pk,
        location_id=setup.location.pk,
        blocks=[Block(w, 0, 24 * 60) for w in range(7)],
    )
    now = timezone.now().astimezone(NEW_YORK)
    start = (now + timedelta(minutes=20)).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % 15)
    if start.date() != now.date():
        pytest.skip("too close to midnight in New York")
    appointment = services.book(setup.owner, setup.request(start)).booked[0]
    page = desk.get("/today/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-group="upcoming"' in html and setup.patient.display_name in html
    assert "live:appointment.updated from:body" in html
    response = desk.post(
        f"/calendar/appointments/{appointment.pk}/status/",
        {"status": "arrived", "next": "today"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and b'id="today-list"' in response.content
    appointment.refresh_from_db()
    assert appointment.status == "arrived"


def test_today_is_empty_honestly(setup, desk):
    assert b"Nothing booked today" in desk.get("/today/").content


def test_other_clinics_appointments_stay_off_today(setup, other_clinic, other_clinic_owner, login):
    booked(setup, 10, day=next_weekday())
    other = login(other_clinic_owner).get("/today/")
    assert setup.patient.display_name.encode() not in other.content


def test_booking_without_javascript_returns_to_the_calendar_day(setup, desk):
    response = desk.post("/calendar/book/", form(setup, 11))
    assert response.status_code == 302
    assert response["Location"] == f"/calendar/?date={next_weekday().isoformat()}"
    assert Appointment.objects.count() == 1
    page = desk.get("/calendar/book/")
    assert page.status_code == 200 and b"<h1" in page.content  # the form as a page of its own
