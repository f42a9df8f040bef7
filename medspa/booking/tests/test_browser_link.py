"""Online booking on the calendar in Chromium against the real ASGI server: the front desk
sends a booking link from the calendar (the held time appears as a striped block in the
practitioner's column, the link can be copied), a hold placed on the portal appears live,
withdrawing the link removes its block, and a requested booking is approved from its card.
No CSP violations; the dialog works on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from medspa.booking import services
from medspa.booking.models import OnlineBooking
from medspa.booking.tests.conftest import at, next_weekday
from medspa.core.permissions import Role
from medspa.core.tests.test_live_events import server  # noqa: F401 - the uvicorn fixture
from medspa.scheduling import services as scheduling_services
from medspa.scheduling.choices import HoldStatus
from medspa.scheduling.models import Appointment, SlotHold
from medspa.scheduling.tests.test_browser_calendar import browser, open_page, settled  # noqa: F401 - fixtures
from medspa.tests.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]


@pytest.fixture
def site(server):  # noqa: F811 - the live-events test's uvicorn fixture gives the port
    return f"http://127.0.0.1:{server}"


@pytest.fixture
def desk(world, make_member, login):
    user = make_member(world.clinic, Role.FRONT_DESK, email="desk@test.example")
    return login(user).cookies["medspa_session"].value


def test_send_a_link_see_the_hold_and_withdraw_it(site, browser, world, desk):  # noqa: F811 - the imported fixture
    day = next_weekday()
    page = open_page(browser, site, desk)
    page.goto(f"/calendar/?date={day.isoformat()}")
    expect(page.get_by_text("Live", exact=True)).to_be_visible()
    settled(page)

    page.get_by_test_id("send-link").click()
    dialog = page.get_by_role("dialog", name="Send a booking link")
    expect(dialog.get_by_label("First name")).to_be_visible()
    dialog.get_by_label("First name").fill("Nora")
    dialog.get_by_label("Mobile phone").fill("(212) 555-0199")
    dialog.get_by_label("Service").select_option(str(world.menu["facial"].pk))
    dialog.get_by_label("Practitioner").select_option(str(world.setup.provider_user.pk))
    dialog.get_by_label("Date").fill(day.isoformat())
    dialog.get_by_label("Time").fill("10:00")
    dialog.get_by_role("button", name="Hold time and create link").click()

    created = dialog.get_by_test_id("link-created")
    expect(created).to_contain_text("is held for Nora until")
    link = dialog.get_by_label("Booking link")
    expect(link).to_have_value(re.compile(r"/book/finish/[^/]+/$"))
    expect(dialog.get_by_role("button", name="Copy")).to_be_visible()
    booking = OnlineBooking.objects.get()
    assert SlotHold.objects.get(pk=booking.hold_id).status == HoldStatus.HELD

    # The held time is a block in the practitioner's column, with no phone number on it.
    block = page.locator(".ec-event.hold")
    expect(block).to_have_count(1)
    expect(block).to_contain_text("Finish link sent · Nora")
    expect(block).to_contain_text("Held until")
    assert "555-0199" not in block.inner_text() and "5550199" not in block.inner_text()

    # A patient holding a time on the portal shows up live.
    world.hold(at(day, 13))
    expect(page.locator(".ec-event.hold")).to_have_count(2)
    expect(page.locator(".ec-event.hold", has_text="online booking in progress")).to_have_count(1)
    page.screenshot(path="/tmp/cal-holds.png")

    dialog.get_by_role("button", name="Withdraw the link for Nora").click()
    expect(dialog.get_by_text("Held — online booking in progress")).to_be_visible()
    expect(page.locator(".ec-event.hold")).to_have_count(1)
    booking.refresh_from_db()
    assert booking.state == "released"
    assert page.csp_violations == []


def test_a_taken_time_is_refused_in_the_dialog_on_a_phone(site, browser, world, desk):  # noqa: F811 - the imported fixture
    day = next_weekday()
    scheduling_services.book(world.setup.owner, world.setup.request(at(day, 10)))
    page = open_page(browser, site, desk, viewport={"width": 375, "height": 812}, has_touch=True, is_mobile=True)
    page.goto(f"/calendar/?date={day.isoformat()}")
    settled(page)
    page.get_by_test_id("send-link").click()
    dialog = page.get_by_role("dialog", name="Send a booking link")
    dialog.get_by_label("First name").fill("Nora")
    dialog.get_by_label("Mobile phone").fill("(212) 555-0199")
    dialog.get_by_label("Service").select_option(str(world.menu["facial"].pk))
    dialog.get_by_label("Practitioner").select_option(str(world.setup.provider_user.pk))
    dialog.get_by_label("Date").fill(day.isoformat())
    dialog.get_by_label("Time").fill("10:00")
    dialog.get_by_role("button", name="Hold time and create link").click()
    expect(dialog.locator("#id_time_error")).to_be_visible()
    assert not OnlineBooking.objects.exists()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    assert page.csp_violations == []


def test_approve_a_requested_online_booking_from_the_calendar(site, browser, world, desk):  # noqa: F811 - the imported fixture
    services.settings_update(world.setup.owner, values={"require_approval_new_patients": True})
    day = next_weekday()
    booking = world.submit(world.hold(at(day, 10)).token)
    appointment = Appointment.objects.get(visit=booking.visit)
    page = open_page(browser, site, desk)
    page.goto(f"/calendar/?date={day.isoformat()}")
    card = page.locator(".ec-event.appt-requested")
    expect(card).to_contain_text("Awaiting approval")
    settled(page)
    card.click()
    dialog = page.get_by_role("dialog", name="Appointment")
    expect(dialog.get_by_test_id("approval")).to_be_visible()
    page.screenshot(path="/tmp/cal-approval.png")
    dialog.get_by_role("button", name="Approve").click()
    expect(dialog.get_by_test_id("status")).to_contain_text("Scheduled")
    appointment.refresh_from_db()
    assert appointment.status == "scheduled"
    expect(page.locator(".ec-event.appt-scheduled")).to_have_count(1)
    assert page.csp_violations == []
