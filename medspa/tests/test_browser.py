"""Browser tests on the system Chromium (Playwright): sign-in and the role-aware sidebar."""

import os
import shutil
from pathlib import Path

import pytest

from medspa.core.permissions import Role
from medspa.tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
if CHROMIUM is None and os.environ.get("MEDSPA_REQUIRE_BROWSER"):
    raise RuntimeError("Chromium is required for the browser tests (MEDSPA_REQUIRE_BROWSER is set) but was not found.")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the test
    # makes around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.csp_violations = []
        page.on(
            "console",
            lambda msg: page.csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        yield page
        context.close()
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def sidebar_labels(page) -> set[str]:
    nav = page.get_by_role("navigation", name="Main")
    return {text.strip() for text in nav.get_by_role("link").all_inner_texts() if text.strip()}


def test_front_desk_sees_no_clinical_sections(page, clinic, make_member):
    make_member(clinic, Role.FRONT_DESK, email="frontdesk@test.example")
    sign_in(page, "frontdesk@test.example")
    labels = sidebar_labels(page)
    assert {"Calendar", "Patients", "Checkout", "Messages"} <= labels
    assert "Charts" not in labels
    # Settings shows the service menu read-only; the clinic's own settings stay closed.
    assert page.goto("/settings/").status == 403
    assert page.csp_violations == []


def test_owner_opens_settings(page, clinic, make_member):
    make_member(clinic, Role.OWNER, email="boss@test.example")
    sign_in(page, "boss@test.example")
    assert {"Charts", "Settings"} <= sidebar_labels(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/settings/")
    assert page.get_by_label("Name").input_value() == clinic.name
    page.get_by_role("link", name="Locations").first.click()
    page.wait_for_load_state("networkidle")
    assert "/settings/locations/" in page.url
    assert page.csp_violations == []
