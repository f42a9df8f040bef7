"""The booking portal on a phone-sized Chromium (375×812): a new patient books a service with
no deposit; a deposit is paid on the test-mode page; two phones race for one time and the
second is told it was just taken, with other times to pick. No CSP violations anywhere."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from medspa.booking.choices import BookingState
from medspa.booking.models import OnlineBooking
from medspa.booking.tests.conftest import at, next_weekday
from medspa.scheduling.models import Appointment
from medspa.tests.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def phones(live_server):
    """A factory of phone-sized pages, each in its own browser context (its own session),
    collecting CSP violations and script errors."""
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
        )
        contexts = []

        def open_phone():
            context = browser.new_context(
                base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, timezone_id="Europe/Berlin"
            )
            contexts.append(context)
            page = context.new_page()
            page.csp_violations = []
            page.on(
                "console",
                lambda msg: page.csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None,
            )
            page.on("pageerror", lambda error: page.csp_violations.append(f"page error: {error}"))
            return page

        yield open_phone
        for context in contexts:
            context.close()
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def choose_time(page, service_name: str, start) -> None:
    """Services → anyone → the week of `start` → the time (as a patient taps through)."""
    page.goto("/book/glow-test/")
    page.get_by_role("link", name=f"Add {service_name}").click()
    page.locator("#continue").click()
    page.locator("#anyone").click()
    expect(page.get_by_role("heading", name="Pick a day and time")).to_be_visible()
    # Move week by week (htmx fragment) until the day shows up.
    slot = page.locator(f'button.slot[data-start="{start.isoformat()}"]')
    for _ in range(4):
        if slot.count():
            break
        page.locator("#next-week").click()
        page.wait_for_load_state("networkidle")
    slot.first.click()


def fill_details(page, first="Ava", last="Reyes", phone="(212) 555-0142", email="ava.reyes@example.com") -> None:
    expect(page.get_by_role("heading", name="Almost done")).to_be_visible()
    expect(page.locator(".countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Mobile number").fill(phone)
    page.get_by_label("Email").fill(email)
    page.get_by_label("I agree to the cancellation policy.").check()
    page.locator("#submit-booking").click()


def test_new_patient_books_a_service_without_deposit(world, phones):
    page = phones()
    start = at(next_weekday(), 10)
    choose_time(page, "Facial", start)
    fill_details(page, first="Noor", last="Haddad", phone="(646) 555-0199", email="noor@example.com")
    expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
    expect(page.locator("#manage-url")).to_contain_text("/book/manage/")
    expect(page.get_by_role("link", name="Add to calendar")).to_be_visible()
    booking = OnlineBooking.objects.get()
    assert booking.state == BookingState.BOOKED and booking.new_patient
    assert Appointment.objects.get(visit=booking.visit).start_at == start
    # Refresh and back do not make a second booking.
    page.reload()
    page.go_back()
    page.wait_for_load_state("networkidle")
    assert Appointment.objects.filter(source="online").count() == 1
    assert "Noor" not in page.url and "5550199" not in page.url and "555-0199" not in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.csp_violations == []


def test_deposit_is_paid_on_the_test_mode_page(world, make_consultation, phones):
    make_consultation()
    page = phones()
    start = at(next_weekday(), 11)
    choose_time(page, "IPL photofacial", start)
    fill_details(page)
    expect(page.get_by_text("TEST MODE — no real payment is taken")).to_be_visible()
    expect(page.locator("#amount")).to_contain_text("80.00")
    page.get_by_role("button", name="Decline test payment").click()
    expect(page.locator("#pay-error")).to_be_visible()
    assert OnlineBooking.objects.get().state == BookingState.AWAITING_PAYMENT
    page.get_by_role("button", name="Approve test payment").click()
    expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
    expect(page.locator("#manage-link")).to_be_visible()
    booking = OnlineBooking.objects.get()
    assert booking.state == BookingState.BOOKED and booking.patient_id == world.setup.patient.pk
    assert page.csp_violations == []


def test_second_phone_racing_for_the_same_time_is_told_it_was_just_taken(world, phones):
    first, second = phones(), phones()
    start = at(next_weekday(), 14)
    # Both see the time as free…
    for page in (first, second):
        page.goto("/book/glow-test/")
        page.get_by_role("link", name="Add Facial").click()
        page.locator("#continue").click()
        page.locator("#anyone").click()
        for _ in range(4):
            if page.locator(f'button.slot[data-start="{start.isoformat()}"]').count():
                break
            page.locator("#next-week").click()
            page.wait_for_load_state("networkidle")
    # …the first takes it, then the second taps it.
    first.locator(f'button.slot[data-start="{start.isoformat()}"]').first.click()
    expect(first.get_by_role("heading", name="Almost done")).to_be_visible()
    second.locator(f'button.slot[data-start="{start.isoformat()}"]').first.click()
    expect(second.locator("#hold-error")).to_contain_text("Sorry — that time was just taken")
    alternatives = second.locator("#alternatives button.slot")
    expect(alternatives.first).to_be_visible()
    assert start.isoformat() not in alternatives.evaluate_all("els => els.map(e => e.dataset.start)")
    alternatives.first.click()
    expect(second.get_by_role("heading", name="Almost done")).to_be_visible()
    assert OnlineBooking.objects.filter(state=BookingState.HOLDING).count() == 2
    assert first.csp_violations == [] and second.csp_violations == []
