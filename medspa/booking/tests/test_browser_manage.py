"""The manage link on a phone-sized Chromium (375×812): cancel outside the notice window in
two taps; inside it the patient reads the late-cancellation warning before confirming. No
CSP violations on any page."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from medspa.booking import services
from medspa.booking.tests.conftest import at, next_weekday
from medspa.booking.tests.test_browser_portal import PHONE, phones  # noqa: F401 - the phones fixture
from medspa.booking.tokens import manage_token
from medspa.scheduling.choices import AppointmentStatus
from medspa.scheduling.models import Appointment
from medspa.scheduling.tests.conftest import NEW_YORK
from medspa.tests.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]


@pytest.fixture
def phone(phones):  # noqa: F811 - the imported fixture
    """One phone-sized page (the portal tests' factory), collecting CSP violations."""
    return phones()


def book(world, start):
    held = world.hold(start)
    booking = world.submit(held.token)
    return Appointment.objects.get(visit_id=booking.visit_id), manage_token(booking.pk)


def fits_the_screen(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_cancel_outside_the_notice_window(phone, world):
    appointment, token = book(world, at(next_weekday(), 10))
    phone.goto(f"/book/manage/{token}/")
    expect(phone.get_by_role("heading", name="Your appointment")).to_be_visible()
    expect(phone.get_by_test_id("when")).to_contain_text("10:00 AM")  # New York time, browser in Berlin
    fits_the_screen(phone)
    phone.screenshot(path="/tmp/manage-page.png", full_page=True)
    phone.get_by_role("link", name="Cancel appointment").click()
    expect(phone.get_by_role("heading", name="Cancel your appointment?")).to_be_visible()
    expect(phone.get_by_test_id("late-warning")).to_have_count(0)
    phone.get_by_label("Reason (optional)").fill("Travelling that week")
    phone.get_by_role("button", name="Yes, cancel my appointment").click()
    expect(phone.get_by_role("heading", name="Your appointment is cancelled")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.late_cancellation is False
    assert phone.csp_violations == []


def test_cancel_inside_the_notice_window_warns_before_confirming(phone, world):
    # Two weeks' notice: a visit in two days is inside the window, whatever the hour now.
    services.settings_update(world.setup.owner, values={"cancellation_notice_hours": 24 * 14})
    soon = datetime.now(tz=NEW_YORK).date() + timedelta(days=2)
    appointment, token = book(world, at(soon, 10))
    phone.goto(f"/book/manage/{token}/")
    expect(phone.get_by_text("cancelling now counts as a late cancellation")).to_be_visible()
    phone.get_by_role("link", name="Cancel appointment").click()
    warning = phone.get_by_test_id("late-warning")
    expect(warning).to_contain_text("late cancellation")
    expect(warning).to_contain_text("fee policy applies")
    fits_the_screen(phone)
    phone.screenshot(path="/tmp/manage-late.png", full_page=True)

    # Changing their mind keeps the appointment.
    phone.get_by_role("link", name="Keep my appointment").click()
    expect(phone.get_by_role("heading", name="Your appointment")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED

    phone.get_by_role("link", name="Cancel appointment").click()
    phone.get_by_role("button", name="Cancel anyway").click()
    expect(phone.get_by_role("heading", name="Your appointment is cancelled")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.late_cancellation is True
    assert phone.csp_violations == []


def test_reschedule_and_join_the_waitlist(phone, world):
    day = next_weekday()
    appointment, token = book(world, at(day, 10))
    phone.goto(f"/book/manage/{token}/")
    phone.get_by_role("link", name="Reschedule").click()
    expect(phone.get_by_role("heading", name="Choose a new time")).to_be_visible()
    phone.goto(f"/book/manage/{token}/reschedule/?date={day.isoformat()}")
    fits_the_screen(phone)
    phone.screenshot(path="/tmp/manage-reschedule.png")
    phone.get_by_role("button", name=f"{day.strftime('%A, %B %-d')} at 2:00 PM").click()
    expect(phone.get_by_role("status")).to_contain_text("Your appointment has moved")
    appointment.refresh_from_db()
    assert appointment.start_at == at(day, 14)

    phone.goto(f"/book/{world.clinic.slug}/waitlist/?services={world.menu['facial'].pk}")
    # The honeypot is out of sight and out of the accessibility tree.
    box = phone.locator(".hp", has=phone.locator("#id_website")).bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1
    expect(phone.get_by_role("textbox", name="Website")).to_have_count(0)
    phone.get_by_label("First name").fill("Cleo")
    phone.get_by_label("Last name").fill("Marsh")
    phone.get_by_label("Email").fill("cleo@@example")
    phone.get_by_label("Morning").check()
    phone.get_by_role("button", name="Join the waitlist").click()
    expect(phone.get_by_text("Enter a valid email address.")).to_be_visible()
    fits_the_screen(phone)
    phone.screenshot(path="/tmp/manage-waitlist.png", full_page=True)
    phone.get_by_label("Email").fill("cleo.marsh@example.com")
    phone.get_by_role("button", name="Join the waitlist").click()
    expect(phone.get_by_role("heading", name="You're on the waitlist")).to_be_visible()
    fits_the_screen(phone)
    assert phone.csp_violations == []
