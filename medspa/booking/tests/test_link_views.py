"""Staff pages of online booking on the calendar: sending a finish-your-booking link (held
time, link to copy, email), withdrawing it, who may, another clinic's links; approving and
declining requested online bookings from the appointment card; the patient profile's
notice about a likely duplicate created online."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from medspa.booking import services
from medspa.booking.choices import BookingKind, BookingState
from medspa.booking.models import BookingNotification, OnlineBooking
from medspa.booking.tests.conftest import at, next_weekday
from medspa.core.permissions import Role
from medspa.patients.models import Patient
from medspa.scheduling import services as scheduling_services
from medspa.scheduling.choices import AppointmentStatus, HoldStatus
from medspa.scheduling.models import Appointment, SlotHold

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(world, make_member, login):
    return login(make_member(world.clinic, Role.FRONT_DESK, email="desk@test.example"))


def link_form(world, day=None, hour: int = 10, **overrides) -> dict:
    day = day or next_weekday()
    return {
        "location": str(world.setup.location.pk),
        "first_name": "Nora",
        "phone": "(212) 555-0199",
        "email": "",
        "service": str(world.menu["facial"].pk),
        "practitioner": str(world.setup.provider_user.pk),
        "date": day.isoformat(),
        "time": f"{hour:02d}:00",
        **overrides,
    }


def nothing_written() -> bool:
    return not OnlineBooking.objects.exists() and not SlotHold.objects.exists()


# Sending a link ---------------------------------------------------------------------------


def test_the_form_is_prefilled_from_the_calendar(world, desk):
    day = next_weekday()
    provider = world.setup.provider_user.pk
    response = desk.get(f"/calendar/links/?start={day.isoformat()}T14:30&provider={provider}", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="link-dialog"' in html and "<html" not in html
    assert f'value="{day.isoformat()}"' in html and 'value="14:30"' in html
    assert f'<option value="{provider}" selected>' in html
    for name in ("first_name", "phone", "email", "service", "practitioner", "date", "time"):
        assert f'for="id_{name}"' in html  # every input has its label


def test_sending_a_link_holds_the_time_and_shows_the_link(world, desk):
    day = next_weekday()
    response = desk.post("/calendar/links/", link_form(world, day, email="nora@example.com"))
    assert response.status_code == 201
    booking = OnlineBooking.objects.get()
    assert booking.kind == BookingKind.LINK and booking.first_name == "Nora" and booking.phone == "+12125550199"
    hold = SlotHold.objects.get(pk=booking.hold_id)
    assert hold.status == HoldStatus.HELD and hold.start_at == at(day, 10)
    assert hold.provider_id == world.setup.provider_user.pk
    html = response.content.decode()
    assert f'value="{settings.SITE_URL}/book/finish/' in html
    assert "Also emailed to nora@example.com" in html
    assert hold.expires_at.astimezone(at(day, 0).tzinfo).strftime("%H:%M") in html
    kinds = set(BookingNotification.objects.filter(booking=booking).values_list("channel", flat=True))
    assert kinds == {"email", "sms"}
    assert "calendar-refetch" in response["HX-Trigger"]
    # The link on the page opens the booking it was made for.
    token = html.split(f"{settings.SITE_URL}/book/finish/")[1].split("/")[0]
    assert services.FinishLink(booking, token).path in html
    assert 'data-booking="' + str(booking.pk) + '"' in html  # listed as in progress


@pytest.mark.django_db(transaction=True)
def test_the_link_is_emailed_when_an_email_is_given(world, desk):
    desk.post("/calendar/links/", link_form(world, email="nora@example.com"))
    sent = [m for m in mail.outbox if m.to == ["nora@example.com"]]
    assert len(sent) == 1 and "/book/finish/" in sent[0].body


def test_without_email_only_the_text_message_record_is_made(world, desk):
    response = desk.post("/calendar/links/", link_form(world))
    assert response.status_code == 201
    assert list(BookingNotification.objects.values_list("channel", flat=True)) == ["sms"]
    assert "Send it to the patient by text message" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": "12"}, "phone", "valid mobile number"),
        ({"phone": ""}, "phone", "required"),
        ({"first_name": ""}, "first_name", "required"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"service": "0b0b0b0b-0000-4000-8000-000000000000"}, "service", "valid choice"),
        ({"time": "25:00"}, "time", "valid time"),
        ({"date": "someday"}, "date", "valid date"),
    ],
)
def test_bad_input_is_shown_inline_and_nothing_is_written(world, desk, overrides, field, message):
    response = desk.post("/calendar/links/", link_form(world, **overrides), HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html and message in html.lower()
    assert nothing_written()


def test_a_taken_time_is_refused_inline(world, desk):
    day = next_weekday()
    scheduling_services.book(world.setup.owner, world.setup.request(at(day, 10)))
    response = desk.post("/calendar/links/", link_form(world, day))
    assert response.status_code == 409
    assert 'id="id_time_error"' in response.content.decode()
    assert nothing_written()


def test_a_time_outside_working_hours_is_refused_inline(world, desk):
    response = desk.post("/calendar/links/", link_form(world, hour=20))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_time_error"' in html and "working hours" in html
    assert nothing_written()


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.BILLING])
def test_roles_that_cannot_book_are_refused(world, make_member, login, role):
    client = login(make_member(world.clinic, role, email=f"{role}@test.example"))
    assert client.get("/calendar/links/").status_code == 403
    assert client.post("/calendar/links/", link_form(world)).status_code == 403
    assert client.post("/calendar/links/withdraw/", {"booking": "x"}).status_code == 403
    assert nothing_written()


def test_a_provider_sends_links_only_for_themself(world, login, make_member):
    client = login(world.setup.provider_user)
    html = client.get("/calendar/links/").content.decode()
    assert f'<option value="{world.setup.provider_user.pk}" selected>' in html
    colleague = make_member(world.clinic, Role.PROVIDER, email="colleague@test.example")
    assert str(colleague.pk) not in html
    refused = client.post("/calendar/links/", link_form(world, practitioner=str(colleague.pk)))
    assert refused.status_code == 422 and nothing_written()
    assert client.post("/calendar/links/", link_form(world)).status_code == 201


# The list and withdrawing ------------------------------------------------------------------


def test_the_list_shows_links_and_portal_bookings_in_progress(world, desk):
    day = next_weekday()
    desk.post("/calendar/links/", link_form(world, day, hour=10))
    world.hold(at(day, 13))
    html = desk.get("/calendar/links/").content.decode()
    assert "Finish link sent · Nora" in html
    assert "Held — online booking in progress" in html
    assert html.count(">Withdraw<") == 1  # only the finish link is withdrawn from here


def test_withdrawing_a_link_releases_its_time(world, desk):
    desk.post("/calendar/links/", link_form(world))
    booking = OnlineBooking.objects.get()
    response = desk.post("/calendar/links/withdraw/", {"booking": str(booking.pk)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.state == BookingState.RELEASED
    assert SlotHold.objects.get(pk=booking.hold_id).status == HoldStatus.RELEASED
    assert "No online bookings in progress" in response.content.decode()


def test_another_clinic_cannot_see_or_withdraw_a_link(world, desk, other_clinic, make_member, login):
    desk.post("/calendar/links/", link_form(world))
    booking = OnlineBooking.objects.get()
    other = login(make_member(other_clinic, Role.FRONT_DESK, email="desk@other.example"))
    assert "Nora" not in other.get("/calendar/links/").content.decode()
    assert other.post("/calendar/links/withdraw/", {"booking": str(booking.pk)}).status_code == 404
    booking.refresh_from_db()
    assert booking.state == BookingState.HOLDING
    assert SlotHold.objects.get(pk=booking.hold_id).status == HoldStatus.HELD


def test_a_portal_booking_or_an_unknown_id_is_not_withdrawn_here(world, desk):
    held = world.hold(at(next_weekday(), 10))
    assert desk.post("/calendar/links/withdraw/", {"booking": str(held.booking.pk)}).status_code == 404
    assert desk.post("/calendar/links/withdraw/", {"booking": "not-a-uuid"}).status_code == 404
    assert desk.post("/calendar/links/withdraw/", {}).status_code == 404
    assert SlotHold.objects.get(pk=held.booking.hold_id).status == HoldStatus.HELD


def test_a_provider_cannot_withdraw_a_colleagues_link(world, desk, make_member, login):
    desk.post("/calendar/links/", link_form(world))
    booking = OnlineBooking.objects.get()
    colleague = login(make_member(world.clinic, Role.PROVIDER, email="colleague@test.example"))
    assert colleague.post("/calendar/links/withdraw/", {"booking": str(booking.pk)}).status_code == 404
    assert SlotHold.objects.get(pk=booking.hold_id).status == HoldStatus.HELD


# Approving and declining requested online bookings -------------------------------------------


@pytest.fixture
def requested(world):
    services.settings_update(world.setup.owner, values={"require_approval_new_patients": True})
    booking = world.submit(world.hold(at(next_weekday(), 10)).token)
    assert booking.state == BookingState.REQUESTED
    return booking


def test_the_card_of_a_requested_booking_offers_approve_and_decline(world, desk, requested):
    appointment = Appointment.objects.get(visit=requested.visit)
    html = desk.get(f"/calendar/appointments/{appointment.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="approval"' in html and "awaiting your approval" in html
    assert "Approve</button>" in html
    assert 'value="scheduled"' in html and "Decline request" in html
    assert "Cancel appointment" not in html  # declining replaces cancelling


def test_read_only_sees_no_approval_buttons(world, make_member, login, requested):
    appointment = Appointment.objects.get(visit=requested.visit)
    client = login(make_member(world.clinic, Role.READ_ONLY, email="ro@test.example"))
    html = client.get(f"/calendar/appointments/{appointment.pk}/").content.decode()
    assert 'data-testid="approval"' not in html
    response = client.post(f"/calendar/appointments/{appointment.pk}/status/", {"status": "scheduled"})
    assert response.status_code == 403
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.REQUESTED


@pytest.mark.django_db(transaction=True)
def test_approving_schedules_and_emails_the_patient(world, desk, requested):
    appointment = Appointment.objects.get(visit=requested.visit)
    mail.outbox.clear()
    response = desk.post(
        f"/calendar/appointments/{appointment.pk}/status/", {"status": "scheduled"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "approved" in response["HX-Trigger"]
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.SCHEDULED
    requested.refresh_from_db()
    assert requested.state == BookingState.BOOKED
    sent = [m for m in mail.outbox if m.to == ["ava.reyes@example.com"]]
    assert len(sent) == 1 and "confirmed" in sent[0].subject


@pytest.mark.django_db(transaction=True)
def test_declining_cancels_with_the_reason_and_emails_the_patient(world, desk, requested):
    appointment = Appointment.objects.get(visit=requested.visit)
    mail.outbox.clear()
    response = desk.post(
        f"/calendar/appointments/{appointment.pk}/status/",
        {"status": "cancelled", "reason": "Needs a consultation first"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "declined" in response["HX-Trigger"]
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancellation_reason == "Needs a consultation first"
    requested.refresh_from_db()
    assert requested.state == BookingState.CANCELLED
    sent = [m for m in mail.outbox if m.to == ["ava.reyes@example.com"]]
    assert len(sent) == 1 and "cancelled" in sent[0].subject


def test_declining_needs_a_reason(world, desk, requested):
    appointment = Appointment.objects.get(visit=requested.visit)
    response = desk.post(f"/calendar/appointments/{appointment.pk}/status/", {"status": "cancelled"})
    assert response.status_code == 422 and "Give a reason to decline." in response.content.decode()
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.REQUESTED


def test_approving_a_multi_service_request_approves_the_whole_visit(world, desk):
    services.settings_update(world.setup.owner, values={"require_approval_new_patients": True})
    held = services.portal_hold(
        world.portal(),
        service_ids=[world.menu["facial"].pk, world.menu["consult"].pk],
        start=at(next_weekday(), 10),
        ip="203.0.113.9",
    )
    booking = world.submit(held.token)
    appointments = list(Appointment.objects.filter(visit=booking.visit).order_by("start_at"))
    assert len(appointments) == 2 and {a.status for a in appointments} == {AppointmentStatus.REQUESTED}
    desk.post(f"/calendar/appointments/{appointments[0].pk}/status/", {"status": "scheduled"})
    assert set(Appointment.objects.filter(visit=booking.visit).values_list("status", flat=True)) == {
        AppointmentStatus.SCHEDULED
    }


# The patient profile -----------------------------------------------------------------------


def test_a_likely_duplicate_shows_the_notice_with_the_merge(world, desk, login):
    existing = world.setup.patient
    existing.first_name, existing.last_name, existing.phone = "Ava", "Reyes", "+12125550142"
    existing.first_key, existing.last_key, existing.phone_digits = "ava", "reyes", "2125550142"
    existing.save()
    booking = world.submit(world.hold(at(next_weekday(), 12)).token, first_name="Mia")
    created = Patient.objects.get(pk=booking.patient_id)
    assert created.possible_duplicate_of_id == existing.pk
    owner = login(world.setup.owner.user)
    html = owner.get(f"/patients/{created.pk}/").content.decode()
    assert 'data-testid="duplicate-notice"' in html
    assert "Created by online booking — details resemble" in html
    assert f'href="/patients/{existing.pk}/"' in html
    assert f'href="/patients/{existing.pk}/merge/{created.pk}/"' in html
    assert "Source: Online booking" in html
    # The merge it links to opens.
    assert owner.get(f"/patients/{existing.pk}/merge/{created.pk}/").status_code == 200
    # Front desk may not merge: the notice stays, the merge button does not.
    desk_html = desk.get(f"/patients/{created.pk}/").content.decode()
    assert (
        "details resemble" in desk_html and "/merge/" not in desk_html.split('data-testid="duplicate-notice"')[1][:800]
    )


def test_an_ordinary_profile_has_no_notice(world, login):
    html = login(world.setup.owner.user).get(f"/patients/{world.setup.patient.pk}/").content.decode()
    assert 'data-testid="duplicate-notice"' not in html and "Source:" not in html


def test_the_notice_goes_when_the_other_profile_is_gone(world, login):
    """A resembled profile that was merged away or deleted (soft) is no longer offered."""
    other = Patient.objects.create(clinic=world.clinic, first_name="Gone", last_name="Away")
    created = Patient.objects.create(
        clinic=world.clinic, first_name="Mia", last_name="Reyes", source="online_booking", possible_duplicate_of=other
    )
    Patient.all_objects.filter(pk=other.pk).update(deleted_at=timezone.now())
    html = login(world.setup.owner.user).get(f"/patients/{created.pk}/").content.decode()
    assert 'data-testid="duplicate-notice"' not in html
    assert "Source: Online booking" in html
