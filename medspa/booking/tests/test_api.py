"""The public booking API end to end: its shapes, every bad input's status and code, and
tenant isolation (one clinic's slug never shows another clinic's menu, people or times)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from medspa.booking import services
from medspa.booking.choices import BookingState
from medspa.booking.models import OnlineBooking, PolicyAcceptance
from medspa.booking.tests.conftest import at, next_weekday
from medspa.booking.tests.public_api import DETAILS, PublicApi, starts
from medspa.catalog import services as catalog_services
from medspa.catalog.tests.factories import make_catalog
from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.patients.models import Patient
from medspa.scheduling import services as scheduling_services
from medspa.scheduling.models import Appointment, SlotHold, WaitlistEntry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api():
    return PublicApi()


def ids(world, *names) -> list[str]:
    return [str(world.menu[name].pk) for name in names]


def error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:400])
    body = response.json()
    assert body["detail"] and set(body) >= {"detail", "code", "fields"}
    if code:
        assert body["code"] == code, body
    return body


# The menu, practitioners and times --------------------------------------------------------


def test_services_and_filters(world, api):
    body = api.services().json()
    names = {s["name"] for s in body["services"]}
    assert {world.menu["facial"].name, world.menu["ipl"].name} <= names
    assert world.menu["addon"].name not in names  # add-ons come with their service
    ipl = next(s for s in body["services"] if s["id"] == str(world.menu["ipl"].pk))
    assert Decimal(ipl["deposit"]) == Decimal(ipl["price"]) * Decimal("0.2")
    assert ipl["requires_consultation"]["service_id"] == str(world.menu["consult"].pk)
    listed_addons = [a["id"] for a in ipl["addons"]]
    assert listed_addons == (ids(world, "addon") if world.menu["addon"].bookable_online else [])

    def names_for(**query):
        response = api.services(**query)
        assert response.status_code == 200, response.content
        return {s["name"] for s in response.json()["services"]}

    assert names_for(q="ipl") == {world.menu["ipl"].name}
    assert names_for(concern="pigmentation") == {world.menu["ipl"].name}
    assert world.menu["ipl"].name not in names_for(max_price="100")
    assert world.menu["facial"].name not in names_for(min_price="300")
    assert names_for(max_minutes=30) == {s["name"] for s in body["services"] if s["duration_minutes"] <= 30}
    assert names_for(category_id=str(world.menu["ipl"].category_id)) >= {world.menu["ipl"].name}
    assert names_for(treatment_type=world.menu["ipl"].treatment_type) >= {world.menu["ipl"].name}
    assert names_for(q="no such treatment") == set()


@pytest.mark.parametrize(
    "query",
    [{"min_price": "cheap"}, {"max_price": "-5"}, {"min_price": "NaN"}, {"max_minutes": "0"}, {"category_id": "x"}],
)
def test_bad_service_filters_are_422(world, api, query):
    body = error(api.services(**query), 422)
    assert body["fields"]


def test_practitioners(world, api):
    body = api.practitioners(service_ids=ids(world, "facial")).json()
    assert [p["id"] for p in body["practitioners"]] == [str(world.setup.provider_user.pk)]
    assert set(body["practitioners"][0]) == {"id", "display_name", "credentials", "bio", "has_photo"}
    assert "@" not in str(body)


def test_availability_is_seven_local_days(world, api):
    day = next_weekday()
    response = api.availability(ids(world, "facial"), start_date=day.isoformat())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["timezone"] == "America/New_York"
    assert [d["date"] for d in body["days"]] == [(day + timedelta(days=n)).isoformat() for n in range(7)]
    assert at(day, 9).isoformat() in starts(body) and at(day, 17).isoformat() not in starts(body)
    first = body["days"][0]["times"][0]
    assert first["label"] == "9:00 AM" and first["practitioner_ids"] == [str(world.setup.provider_user.pk)]


@pytest.mark.parametrize(
    "query",
    [{"days": "30"}, {"days": "0"}, {"start_date": "2026-02-30"}, {"practitioner_id": "nope"}],
)
def test_bad_availability_queries_are_4xx(world, api, query):
    error(api.availability(ids(world, "facial"), **query), 422)


def test_availability_needs_a_known_online_service(world, api):
    error(api.availability([world.setup.patient.pk]), 422, "service_unavailable")
    error(api.get(f"{api.slug}/availability"), 422)


# Holds -------------------------------------------------------------------------------------


def test_hold_returns_its_token_once(world, api):
    day = next_weekday()
    response = api.hold(world.menu["facial"].pk, at(day, 10))
    assert response.status_code == 201, response.content
    body = response.json()
    token = body["hold_token"]
    assert len(token) >= 40
    assert body["booking"]["state"] == "holding" and body["booking"]["start"] == at(day, 10).isoformat()
    assert "24 hours" in body["policy"]["text"] and body["policy"]["version"] >= 1
    booking = OnlineBooking.objects.get()
    assert token not in booking.token_hash and booking.hold.status == "held"
    assert at(day, 10).isoformat() not in starts(api.availability(ids(world, "facial"), start_date=day).json())
    assert token not in api.manage(token).content.decode()  # a hold token is no manage link


def test_taken_time_is_409_with_alternatives(world, api):
    day = next_weekday()
    assert api.hold(world.menu["facial"].pk, at(day, 10)).status_code == 201
    body = error(PublicApi(ip="198.51.100.21").hold(world.menu["facial"].pk, at(day, 10)), 409, "slot_unavailable")
    alternatives = body["fields"]["alternatives"]
    assert alternatives and at(day, 10).isoformat() not in [t["start"] for t in alternatives]
    assert SlotHold.objects.count() == 1 and OnlineBooking.objects.count() == 1


@pytest.mark.parametrize("when", ["past", "min_notice", "window", "after_hours"])
def test_times_outside_the_rules_are_422(world, api, when):
    from django.utils import timezone

    now = timezone.now().replace(second=0, microsecond=0)
    start = {
        "past": now - timedelta(days=1),
        "min_notice": now + timedelta(minutes=30),
        "window": now + timedelta(days=90),
        "after_hours": at(next_weekday(), 20),
    }[when]
    response = api.hold(world.menu["facial"].pk, start)
    assert response.status_code in (409, 422), response.content
    assert response.json()["detail"]
    assert not SlotHold.objects.exists() and not OnlineBooking.objects.exists()


def test_unknown_or_disabled_services_are_422(world, api):
    day = next_weekday()
    error(api.hold(world.setup.patient.pk, at(day, 10)), 422, "service_unavailable")
    catalog_services.service_update(
        actor=world.setup.owner, service_id=world.menu["facial"].pk, data={"bookable_online": False}
    )
    error(api.hold(world.menu["facial"].pk, at(day, 10)), 422, "service_unavailable")
    assert world.menu["facial"].name not in str(api.services().json())
    error(api.hold("not-a-uuid", at(day, 10)), 422)
    error(api.send("post", f"{api.slug}/holds", {"service_ids": [], "start": at(day, 10).isoformat()}), 422)
    assert not OnlineBooking.objects.exists()


@pytest.mark.parametrize("start", ["9999-12-31T23:00:00+00:00", "0001-01-01T00:00:00+00:00", "2026-12-01T10:00:00"])
def test_far_or_naive_times_are_422(world, api, start):
    error(api.hold(world.menu["facial"].pk, start), 422)
    if not start.startswith("2026"):
        error(api.availability(ids(world, "facial"), start_date=start[:10]), 422)
    assert not OnlineBooking.objects.exists()


def test_hold_body_is_strict(world, api):
    day = next_weekday()
    error(api.hold(world.menu["facial"].pk, at(day, 10), clinic_id=str(world.clinic.pk)), 422)
    error(api.hold(world.menu["facial"].pk, "tomorrow"), 422)
    bad_json = api.client.post(f"/api/public/{api.slug}/holds", "{nope", "application/json")
    error(bad_json, 400, "malformed_json")


def test_too_many_holds_is_429(world, api):
    day = next_weekday()
    for hour in (9, 11, 13):
        assert api.hold(world.menu["facial"].pk, at(day, hour)).status_code == 201
    error(api.hold(world.menu["facial"].pk, at(day, 15)), 429, "too_many_holds")
    assert OnlineBooking.objects.count() == 3


# Bookings ----------------------------------------------------------------------------------


def test_booking_without_deposit_is_201(world, api):
    day = next_weekday()
    token = api.hold(world.menu["facial"].pk, at(day, 10)).json()["hold_token"]
    response = api.book(token, notes="First visit")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["booking"]["state"] == "booked" and body["manage_token"]
    assert body["booking"]["services"][0]["status"] == "scheduled"
    appointment = Appointment.objects.get()
    assert appointment.start_at == at(day, 10) and appointment.source == "online"
    assert Patient.objects.get(pk=appointment.patient_id).source == "online_booking"
    assert PolicyAcceptance.objects.get().ip_address == "198.51.100.20"
    assert api.manage(body["manage_token"]).json()["booking"]["start"] == at(day, 10).isoformat()


def test_approval_makes_a_requested_booking(world, api):
    services.settings_update(world.setup.owner, values={"require_approval_new_patients": True})
    body = api.booked(world.menu["facial"].pk, at(next_weekday(), 10))
    assert body["booking"]["state"] == "requested" and Appointment.objects.get().status == "requested"


def test_deposit_declined_then_approved(world, api, make_consultation):
    make_consultation()
    token = api.hold(world.menu["ipl"].pk, at(next_weekday(), 13)).json()["hold_token"]
    response = api.book(token)
    assert response.status_code == 200, response.content
    payment = response.json()["payment"]
    assert Decimal(payment["amount"]) == world.menu["ipl"].price * Decimal("0.2") and payment["test_mode"] is True
    assert "manage_token" not in response.json() and not Appointment.objects.filter(source="online").exists()
    error(api.pay(token, "decline"), 402, "payment_declined")
    assert not Appointment.objects.filter(source="online").exists()
    paid = api.pay(token, "approve")
    assert paid.status_code == 201, paid.content
    assert paid.json()["booking"]["state"] == "booked" and paid.json()["manage_token"]
    assert Appointment.objects.filter(source="online").count() == 1
    again = api.pay(token, "approve")
    assert again.status_code == 201 and Appointment.objects.filter(source="online").count() == 1


def test_deposit_before_details_is_422(world, api, make_consultation):
    make_consultation()
    token = api.hold(world.menu["ipl"].pk, at(next_weekday(), 13)).json()["hold_token"]
    error(api.pay(token), 422, "details_required")
    error(api.send("post", f"{api.slug}/deposits", {"hold_token": token, "outcome": "maybe"}), 422)


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"phone": "12", "email": "not-an-email"}, {"phone", "email"}),
        ({"phone": "", "email": ""}, {"phone"}),
        ({"first_name": " "}, {"first_name"}),
        ({"email": "a@b"}, {"email"}),
    ],
)
def test_invalid_details_are_422_and_write_nothing(world, api, overrides, fields):
    token = api.hold(world.menu["facial"].pk, at(next_weekday(), 10)).json()["hold_token"]
    body = error(api.book(token, **overrides), 422)
    assert set(body["fields"]) >= fields
    assert OnlineBooking.objects.get().state == BookingState.HOLDING
    assert not Patient.objects.filter(source="online_booking").exists() and not PolicyAcceptance.objects.exists()


def test_consultation_gate_is_422_with_the_consultation(world, api):
    token = api.hold(world.menu["ipl"].pk, at(next_weekday(), 13)).json()["hold_token"]
    body = error(api.book(token), 422, "consultation_required")
    assert body["fields"]["consultation_service_id"] == [str(world.menu["consult"].pk)]
    assert world.menu["consult"].name in body["detail"]
    assert not Patient.objects.filter(source="online_booking").exists()


def test_too_many_future_bookings_is_422(world, api):
    services.settings_update(world.setup.owner, values={"max_future_bookings": 1})
    day = next_weekday()
    api.booked(world.menu["facial"].pk, at(day, 10))
    token = api.hold(world.menu["facial"].pk, at(day, 14)).json()["hold_token"]
    error(api.book(token), 422, "too_many_bookings")
    assert Appointment.objects.count() == 1


def test_policy_must_be_accepted(world, api):
    token = api.hold(world.menu["facial"].pk, at(next_weekday(), 10)).json()["hold_token"]
    error(api.book(token, accept_policy=False), 422, "policy_not_accepted")
    services.settings_update(world.setup.owner, values={"cancellation_notice_hours": 48})
    error(api.book(token, policy_version=1), 409, "policy_changed")
    assert not Appointment.objects.exists() and not PolicyAcceptance.objects.exists()


def test_expired_hold_is_410(world, api):
    token = api.hold(world.menu["facial"].pk, at(next_weekday(), 10)).json()["hold_token"]
    with time_machine.travel(SlotHold.objects.get().expires_at + timedelta(seconds=1)):
        error(api.book(token), 410, "hold_expired")
    assert not Appointment.objects.exists()


def test_forged_hold_token_is_404(world, api):
    error(api.book("x" * 43), 404, "booking_not_found")
    error(api.pay("x" * 43), 404, "booking_not_found")


def test_booking_emails_the_patient(world, api):
    api.booked(world.menu["facial"].pk, at(next_weekday(), 10))
    sent = [m for m in mail.outbox if m.to == [DETAILS["email"]]]
    assert len(sent) == 1 and sent[0].attachments[0][0] == "appointment.ics"


# Manage link -------------------------------------------------------------------------------


def test_cancel_outside_the_notice_window(world, api):
    body = api.booked(world.menu["facial"].pk, at(next_weekday(), 10))
    view = api.manage(body["manage_token"])
    assert view.status_code == 200 and view.json()["late_if_cancelled_now"] is False
    cancelled = api.cancel(body["manage_token"], reason="Can't make it")
    assert cancelled.status_code == 200, cancelled.content
    appointment = Appointment.objects.get()
    assert appointment.status == "cancelled" and appointment.late_cancellation is False
    error(api.cancel(body["manage_token"]), 409, "not_changeable")


def test_cancel_needs_no_body(world, api):
    body = api.booked(world.menu["facial"].pk, at(next_weekday(), 10))
    response = api.client.delete(f"/api/public/bookings/{body['manage_token']}")
    assert response.status_code == 200, response.content
    assert Appointment.objects.get().status == "cancelled"


def test_late_cancellation_needs_confirming(world, api):
    day = next_weekday()
    body = api.booked(world.menu["facial"].pk, at(day, 10))
    with time_machine.travel(at(day, 10) - timedelta(hours=3)):
        assert api.manage(body["manage_token"]).json()["late_if_cancelled_now"] is True
        refused = error(api.cancel(body["manage_token"]), 422, "late_cancellation")
        assert "24 hours" in refused["detail"]
        assert Appointment.objects.get().status == "scheduled"
        confirmed = api.cancel(body["manage_token"], confirm_late=True)
        assert confirmed.status_code == 200, confirmed.content
    appointment = Appointment.objects.get()
    assert appointment.status == "cancelled" and appointment.late_cancellation is True


def test_reschedule_free_then_taken(world, api):
    day = next_weekday()
    body = api.booked(world.menu["facial"].pk, at(day, 10))
    moved = api.reschedule(body["manage_token"], at(day, 14))
    assert moved.status_code == 200, moved.content
    assert moved.json()["booking"]["start"] == at(day, 14).isoformat()
    assert Appointment.objects.get().start_at == at(day, 14)
    other = PublicApi(ip="198.51.100.22").booked(world.menu["facial"].pk, at(day, 11), first_name="Mia")
    taken = error(api.reschedule(body["manage_token"], at(day, 11)), 409, "slot_unavailable")
    assert taken["fields"]["alternatives"]
    assert Appointment.objects.get(start_at=at(day, 14)) and other["booking"]["state"] == "booked"
    error(api.reschedule(body["manage_token"], at(day, 22)), 422, "outside_working_hours")


def test_manage_token_forged_is_404(world, api):
    error(api.manage("x" * 40), 404, "manage_link_invalid")
    error(api.cancel("x" * 40), 404, "manage_link_invalid")
    error(api.reschedule("x" * 40, at(next_weekday(), 10)), 404, "manage_link_invalid")


# Waitlist ----------------------------------------------------------------------------------


def test_waitlist_join(world, api):
    day = next_weekday()
    response = api.waitlist(world.menu["facial"].pk, day, day + timedelta(days=14), times_of_day=["morning"])
    assert response.status_code == 201, response.content
    assert response.json()["waitlist"]["date_to"] == (day + timedelta(days=14)).isoformat()
    entry = WaitlistEntry.objects.get()
    assert entry.times_of_day == ["morning"] and Patient.objects.get(pk=entry.patient_id).first_name == "Ava"


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "nope", "phone": ""},
        {"times_of_day": ["midnight"]},
        {"service_id": "00000000-0000-0000-0000-000000000000"},
        {"date_to": "2020-01-01"},
        {"date_to": "2099-01-01"},
    ],
)
def test_waitlist_bad_input_is_422(world, api, overrides):
    day = next_weekday()
    body = {
        "service_id": str(world.menu["facial"].pk),
        **DETAILS,
        "date_from": day.isoformat(),
        "date_to": (day + timedelta(days=7)).isoformat(),
        **overrides,
    }
    response = api.send("post", f"{api.slug}/waitlist", body)
    error(response, 422)
    assert not WaitlistEntry.objects.exists() and not Patient.objects.filter(source="online_booking").exists()


# Portal availability --------------------------------------------------------------------------


def test_disabled_portal_is_404_everywhere(world, api):
    day = next_weekday()
    token = api.hold(world.menu["facial"].pk, at(day, 10)).json()["hold_token"]
    services.settings_update(world.setup.owner, values={"enabled": False})
    facial = world.menu["facial"].pk
    for response in (
        api.services(),
        api.practitioners(),
        api.availability([facial]),
        api.hold(facial, at(day, 12)),
        api.book(token),
        api.pay(token),
        api.waitlist(facial, day, day + timedelta(days=3)),
    ):
        error(response, 404, "portal_unavailable")
    assert not Appointment.objects.exists() and OnlineBooking.objects.count() == 1


def test_unknown_slug_is_404(world):
    api = PublicApi(slug="no-such-clinic")
    for response in (api.services(), api.practitioners(), api.availability([world.menu["facial"].pk])):
        error(response, 404, "portal_unavailable")
    error(api.hold(world.menu["facial"].pk, at(next_weekday(), 10)), 404, "portal_unavailable")


# Tenant isolation ------------------------------------------------------------------------------


@pytest.fixture
def other_portal(world, other_clinic, make_member):
    """A second clinic with its own portal, menu and practitioner (working the same hours)."""
    owner = make_member(other_clinic, Role.OWNER, email="owner@other-portal.example")
    actor = Actor.staff(user=owner, clinic=other_clinic, role=Role.OWNER)
    provider = make_member(other_clinic, Role.PROVIDER, email="injector@other-portal.example")
    menu = make_catalog(actor, provider=provider, suffix=" Elsewhere")
    catalog_services.service_update(actor=actor, service_id=menu["facial"].pk, data={"provider_ids": [provider.pk]})
    scheduling_services.hours_replace(
        actor,
        provider_id=provider.pk,
        location_id=menu["location"].pk,
        blocks=[scheduling_services.Block(weekday, 9 * 60, 17 * 60) for weekday in range(7)],
    )
    services.settings_update(actor, values={"enabled": True})
    return {"clinic": other_clinic, "menu": menu, "provider": provider, "api": PublicApi("198.51.100.30", "other-test")}


def test_one_slug_never_shows_another_clinics_data(world, api, other_portal):
    theirs = other_portal["api"]
    mine_names = {s["name"] for s in api.services().json()["services"]}
    their_names = {s["name"] for s in theirs.services().json()["services"]}
    assert mine_names and their_names and not mine_names & their_names
    assert all(name.endswith("Elsewhere") for name in their_names)
    mine_people = {p["id"] for p in api.practitioners().json()["practitioners"]}
    their_people = {p["id"] for p in theirs.practitioners().json()["practitioners"]}
    assert str(world.setup.provider_user.pk) in mine_people and str(other_portal["provider"].pk) in their_people
    assert not mine_people & their_people
    # Their service, practitioner or location through our slug: unknown here.
    day = next_weekday()
    their_facial = other_portal["menu"]["facial"].pk
    error(api.availability([their_facial]), 422, "service_unavailable")
    error(api.hold(their_facial, at(day, 10)), 422, "service_unavailable")
    assert api.practitioners(service_ids=[str(their_facial)]).json()["practitioners"] == []
    error(api.availability([world.menu["facial"].pk], practitioner_id=str(other_portal["provider"].pk)), 404)
    error(api.hold(world.menu["facial"].pk, at(day, 10), practitioner_id=str(other_portal["provider"].pk)), 404)
    error(api.services(location_id=str(other_portal["menu"]["location"].pk)), 404)


def test_tokens_do_not_cross_clinics(world, api, other_portal):
    day = next_weekday()
    token = api.hold(world.menu["facial"].pk, at(day, 10)).json()["hold_token"]
    theirs = other_portal["api"]
    error(theirs.book(token), 404, "booking_not_found")
    error(theirs.pay(token), 404, "booking_not_found")
    assert api.book(token).status_code == 201


def test_availability_of_one_clinic_ignores_the_others_bookings(world, api, other_portal):
    day = next_weekday()
    facial = [world.menu["facial"].pk]
    before = starts(api.availability(facial, start_date=day, days=1).json())
    other_portal["api"].booked(other_portal["menu"]["facial"].pk, at(day, 10))
    other_portal["api"].hold(other_portal["menu"]["facial"].pk, at(day, 13))
    assert starts(api.availability(facial, start_date=day, days=1).json()) == before
    assert at(day, 10).isoformat() in before


def test_request_schemas_are_their_own_in_the_openapi_document():
    """The public bodies are documented under their own names: no staff operation's schema
    shares a component with them (a shared name would make one document the other's fields)."""
    from medspa.api import api as ninja_api

    used: dict[str, set[bool]] = {}
    for path, methods in ninja_api.get_openapi_schema()["paths"].items():
        for operation in methods.values():
            body = operation.get("requestBody")
            if body and "application/json" in body["content"]:  # uploads are multipart forms
                ref = re.search(r'"\$ref": "[^"]*/([^"/]+)"', json.dumps(body)).group(1)
                used.setdefault(ref, set()).add(path.startswith("/api/public/"))
    public = {name for name, where in used.items() if True in where}
    assert {"PublicHoldIn", "PublicBookingIn", "PublicWaitlistIn"} <= public
    assert all(used[name] == {True} for name in public)
