"""The patient's manage, finish-link and waitlist pages through the Django test client: what
they show (and never show), cancelling inside and outside the notice window, rescheduling,
finish links into checkout, joining the waitlist, and every bad link as a friendly 4xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from medspa.booking import selectors, services
from medspa.booking.choices import READS_PER_IP_PER_MINUTE, BookingState
from medspa.booking.models import OnlineBooking
from medspa.booking.tests.conftest import at, next_weekday
from medspa.booking.tokens import manage_token
from medspa.core import ratelimit
from medspa.core.errors import TooManyRequests
from medspa.patients.models import Patient
from medspa.scheduling.choices import AppointmentStatus
from medspa.scheduling.models import Appointment, WaitlistEntry

pytestmark = pytest.mark.django_db(transaction=True)

PATIENT_DETAILS = ("Reyes", "ava.reyes@example.com", "2125550142", "555-0142")


def book(world, hour: int = 10, **details):
    """A booked visit on the test day at `hour` (New York) and its manage token."""
    held = world.hold(at(next_weekday(), hour))
    booking = world.submit(held.token, **details)
    return booking, manage_token(booking.pk)


def appointment_of(booking) -> Appointment:
    return Appointment.objects.get(visit_id=booking.visit_id)


def page(client, url: str, status: int = 200, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


# --- the manage page -------------------------------------------------------------------


def test_manage_page_shows_the_visit_and_no_patient_details(client, world):
    booking, token = book(world)
    text = page(client, f"/book/manage/{token}/")
    summary = selectors.booking_summary(booking)
    assert world.menu["facial"].name in text
    assert next_weekday().strftime("%B %-d") in text and "10:00 AM" in text  # the clinic's time zone
    assert summary["practitioner"] in text
    assert world.setup.location.name in text
    assert "Confirmed" in text
    assert f"/book/manage/{token}/cancel/" in text and f"/book/manage/{token}/reschedule/" in text
    for detail in PATIENT_DETAILS:
        assert detail not in text


def test_add_to_calendar_downloads_the_visit(client, world):
    booking, token = book(world)
    response = client.get(f"/book/manage/{token}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"].startswith("attachment")
    body = response.content.decode()
    assert f"UID:{appointment_of(booking).pk}@medspa" in body and "STATUS:CONFIRMED" in body


@pytest.mark.parametrize("suffix", ["", "calendar.ics", "cancel/", "reschedule/"])
def test_forged_manage_link_is_a_friendly_404(client, world, suffix):
    booking, token = book(world)
    for forged in ("not-a-token", token[:-3] + "abc", manage_token("0b7c5a8e-2f7e-4b8e-9d43-3a1c2e4f5a6b")):
        text = page(client, f"/book/manage/{forged}/{suffix}", 404)
        assert "This link is not valid" in text
    assert appointment_of(booking).status == AppointmentStatus.SCHEDULED


def test_manage_link_expires_when_the_visit_is_over(client, world):
    booking, token = book(world)
    with time_machine.travel(appointment_of(booking).end_at + timedelta(minutes=1), tick=False):
        assert "This link has expired" in page(client, f"/book/manage/{token}/", 410)
        response = client.post(f"/book/manage/{token}/cancel/")
        assert response.status_code == 410
    assert appointment_of(booking).status == AppointmentStatus.SCHEDULED


def test_too_many_attempts_is_a_friendly_429(client, world):
    _booking, token = book(world)
    for _ in range(READS_PER_IP_PER_MINUTE):
        try:
            ratelimit.hit("booking.read.ip", "127.0.0.1", limit=READS_PER_IP_PER_MINUTE, seconds=60)
        except TooManyRequests:
            break
    assert "Too many attempts" in page(client, f"/book/manage/{token}/", 429)


# --- cancelling ------------------------------------------------------------------------


def test_cancel_outside_the_notice_window(client, world):
    booking, token = book(world)
    text = page(client, f"/book/manage/{token}/cancel/")
    assert "Cancel your appointment?" in text and "late cancellation" not in text
    response = client.post(f"/book/manage/{token}/cancel/", {"reason": "Travelling"})
    assert response.status_code == 302 and response["Location"] == f"/book/manage/{token}/"
    appointment = appointment_of(booking)
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.late_cancellation is False
    assert OnlineBooking.objects.get(pk=booking.pk).state == BookingState.CANCELLED
    text = page(client, f"/book/manage/{token}/")
    assert "Your appointment is cancelled" in text
    assert f"/book/manage/{token}/cancel/" not in text


def test_cancel_inside_the_notice_window_warns_first(client, world):
    booking, token = book(world)
    start = appointment_of(booking).start_at
    with time_machine.travel(start - timedelta(hours=2)):
        assert "late cancellation" in page(client, f"/book/manage/{token}/")
        text = page(client, f"/book/manage/{token}/cancel/")
        assert "This is a late cancellation" in text and "Cancel anyway" in text and "Keep my appointment" in text

        # Posting without the confirmation (an old form) is told again and changes nothing.
        response = client.post(f"/book/manage/{token}/cancel/")
        assert response.status_code == 200
        assert "fee policy applies" in response.content.decode()
        assert appointment_of(booking).status == AppointmentStatus.SCHEDULED
        assert OnlineBooking.objects.get(pk=booking.pk).state == BookingState.BOOKED

        response = client.post(f"/book/manage/{token}/cancel/", {"confirm_late": "1"})
        assert response.status_code == 302
    appointment = appointment_of(booking)
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.late_cancellation is True


# --- rescheduling ----------------------------------------------------------------------


def test_reschedule_to_a_free_time(client, world):
    booking, token = book(world)
    day = next_weekday()
    text = page(client, f"/book/manage/{token}/reschedule/?date={day.isoformat()}")
    new_start = at(day, 14)
    assert f'value="{new_start.isoformat()}"' in text
    response = client.post(f"/book/manage/{token}/reschedule/", {"start": new_start.isoformat()})
    assert response.status_code == 302 and response["Location"] == f"/book/manage/{token}/?done=moved"
    assert appointment_of(booking).start_at == new_start
    text = page(client, response["Location"])
    assert "Your appointment has moved" in text and "2:00 PM" in text


def test_reschedule_to_a_taken_time_offers_alternatives(client, world):
    booking, token = book(world)
    book(world, 14, first_name="Bo", last_name="Lee", phone="2125550199", email="bo.lee@example.com")
    taken = at(next_weekday(), 14)
    response = client.post(f"/book/manage/{token}/reschedule/", {"start": taken.isoformat()})
    assert response.status_code == 409
    text = response.content.decode()
    assert "just taken" in text
    assert text.count('name="start"') > text.count('class="day"')  # alternatives above the week's times
    assert 'data-testid="taken"' in text and "PM" in text.split('data-testid="taken"')[1].split("</div>")[0]
    assert appointment_of(booking).start_at == at(next_weekday(), 10)


def test_reschedule_refuses_garbage_without_a_500(client, world):
    booking, token = book(world)
    for value in ("", "tomorrow", "2026-02-30T10:00", "2030-01-01T10:00"):
        response = client.post(f"/book/manage/{token}/reschedule/", {"start": value})
        assert response.status_code == 422, value
    assert "Pick one of the times shown" in response.content.decode()
    assert page(client, f"/book/manage/{token}/reschedule/?date=\x00%27")
    assert appointment_of(booking).start_at == at(next_weekday(), 10)


def test_reschedule_explains_when_online_booking_is_off(client, world):
    _booking, token = book(world)
    services.settings_update(world.setup.owner, values={"enabled": False})
    text = page(client, f"/book/manage/{token}/reschedule/")
    assert "Online changes are off" in text and 'name="start"' not in text
    assert f"/book/manage/{token}/reschedule/" not in page(client, f"/book/manage/{token}/")


# --- the finish-your-booking link ------------------------------------------------------


def finish_link(world):
    return services.link_create(
        world.setup.owner,
        first_name="Ava",
        phone="2125550142",
        service_ids=[world.menu["facial"].pk],
        start=at(next_weekday(), 14),
    )


def test_finish_link_keeps_the_token_and_goes_to_checkout(client, world):
    link = finish_link(world)
    response = client.get(f"/book/finish/{link.token}/")
    assert response.status_code == 302
    assert response["Location"] == f"/book/{world.clinic.slug}/checkout/{link.booking.pk}/"
    assert client.session["booking_tokens"] == {str(link.booking.pk): link.token}


def test_forged_finish_link_is_a_friendly_404(client, world):
    finish_link(world)
    assert "This link is not valid" in page(client, "/book/finish/forged-token-value/", 404)
    assert "booking_tokens" not in client.session


def test_lapsed_finish_link_is_a_friendly_410(client, world):
    link = finish_link(world)
    with time_machine.travel(link.booking.hold.expires_at + timedelta(seconds=1), tick=False):
        assert "This link has expired" in page(client, f"/book/finish/{link.token}/", 410)
    assert "booking_tokens" not in client.session


# --- the waitlist ----------------------------------------------------------------------


def waitlist_form(world, **overrides) -> dict:
    today = next_weekday() - timedelta(days=7)
    return {
        "service": str(world.menu["facial"].pk),
        "practitioner": "",
        "first_name": "Cleo",
        "last_name": "Marsh",
        "phone": "(212) 555-0177",
        "email": "cleo.marsh@example.com",
        "date_from": today.isoformat(),
        "date_to": (today + timedelta(days=21)).isoformat(),
        "times_of_day": ["morning", "evening"],
        "notes": "",
        "website": "",
        **overrides,
    }


def test_waitlist_join_creates_an_entry(client, world):
    facial = world.menu["facial"]
    url = f"/book/{world.clinic.slug}/waitlist/?services={facial.pk}"
    text = page(client, url)
    assert "Join the waitlist" in text and f'<option value="{facial.pk}" selected>' in text
    response = client.post(url, waitlist_form(world))
    assert response.status_code == 302
    location = response["Location"]
    assert "Marsh" not in location and "55501" not in location and "555-01" not in location
    entry = WaitlistEntry.objects.get()
    assert entry.service_id == facial.pk and entry.times_of_day == ["morning", "evening"]
    assert Patient.objects.get(pk=entry.patient_id).last_name == "Marsh"
    assert "on the waitlist" in page(client, response["Location"])


def test_waitlist_bad_email_is_shown_inline_and_writes_nothing(client, world):
    patients = Patient.objects.count()
    url = f"/book/{world.clinic.slug}/waitlist/?services={world.menu['facial'].pk}"
    response = client.post(url, waitlist_form(world, email="cleo@@example"))
    assert response.status_code == 422
    text = response.content.decode()
    assert "Enter a valid email address." in text and 'id="id_email-error"' in text
    assert 'value="Cleo"' in text  # what was typed stays
    assert not WaitlistEntry.objects.exists() and Patient.objects.count() == patients


def test_waitlist_honeypot_writes_nothing(client, world):
    patients = Patient.objects.count()
    url = f"/book/{world.clinic.slug}/waitlist/"
    response = client.post(url, waitlist_form(world, website="http://spam.example"))
    assert response.status_code == 422
    assert not WaitlistEntry.objects.exists() and Patient.objects.count() == patients


def test_waitlist_of_an_unknown_or_closed_portal_is_a_friendly_404(client, world):
    assert page(client, "/book/no-such-clinic/waitlist/", 404)
    services.settings_update(world.setup.owner, values={"enabled": False})
    response = client.post(f"/book/{world.clinic.slug}/waitlist/", waitlist_form(world))
    assert response.status_code == 404
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize("query", ["services=%27%00,not-a-uuid", "services=0b7c5a8e-2f7e-4b8e-9d43-3a1c2e4f5a6b"])
def test_waitlist_ignores_a_service_the_portal_does_not_offer(client, world, query):
    text = page(client, f"/book/{world.clinic.slug}/waitlist/?{query}")
    assert '<option value="" selected>Choose a service</option>' in text


def test_waitlist_at_an_unknown_location_is_a_friendly_404(client, world):
    for location in ("%27x", "0b7c5a8e-2f7e-4b8e-9d43-3a1c2e4f5a6b"):
        text = page(client, f"/book/{world.clinic.slug}/waitlist/?location={location}", 404)
        assert "does not take online bookings" in text
