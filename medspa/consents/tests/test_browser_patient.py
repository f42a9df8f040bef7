"""The patient's forms in Chromium against the live server, with no CSP violations:
on a phone, the link from the booking email opens the neurotoxin consent section by
section, autosaves and resumes after a reload, takes a signature drawn with a finger,
shows the review and submits; questions appear and disappear live as answers change; and
on the clinic's tablet a front-desk member starts the forms, the patient completes them,
the tablet stays locked to staff pages until the staff password unlocks it."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from medspa.consents import services
from medspa.consents.choices import SubmissionVia
from medspa.consents.models import FormDraft, FormSubmission
from medspa.consents.tests.fixtures import book_visit
from medspa.core.models import AuditEvent
from medspa.scheduling.models import Appointment
from medspa.tests.factories import PASSWORD
from medspa.tests.test_browser import CHROMIUM, page, sign_in  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


@pytest.fixture
def phone(page, live_server):  # noqa: F811 - the imported fixture
    """A phone's browser (touch, small screen) beside the desktop page, watched for CSP reports."""
    context = page.context.browser.new_context(base_url=live_server.url, **PHONE)
    tab = context.new_page()
    tab.csp_violations = []
    tab.on(
        "console",
        lambda msg: tab.csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield tab
    context.close()


class Finger:
    """Touches through the DevTools protocol: a real touch sequence, as a finger makes it.
    (Once this session has touched, taps go through it too, so the browser sees one finger.)"""

    def __init__(self, tab):
        self.cdp = tab.context.new_cdp_session(tab)

    def _touch(self, kind: str, points: list[tuple[float, float]]) -> None:
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y} for x, y in points]})

    def scribble(self, canvas) -> None:
        """A zigzag in small steps, held still before lifting (a quick flick would end in a
        fling, and the browser swallows the tap that stops a fling)."""
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        corners = [
            (box["x"] + 20 + step * (box["width"] - 40) / 11, box["y"] + box["height"] * (0.7 - 0.4 * (step % 2)))
            for step in range(12)
        ]
        self._touch("touchStart", corners[:1])
        for (x0, y0), (x1, y1) in itertools.pairwise(corners):
            for part in range(1, 7):
                self._touch("touchMove", [(x0 + (x1 - x0) * part / 6, y0 + (y1 - y0) * part / 6)])
        canvas.page.wait_for_timeout(150)
        self._touch("touchMove", corners[-1:])
        self._touch("touchEnd", [])

    def tap(self, target) -> None:
        target.scroll_into_view_if_needed()
        box = target.bounding_box()
        self._touch("touchStart", [(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)])
        self._touch("touchEnd", [])


def test_phone_completes_the_consent_from_the_email_link(phone, forms_world, django_capture_on_commit_callbacks):
    world = forms_world
    with django_capture_on_commit_callbacks(execute=True):
        book_visit(world, days=3)
    email = next(m for m in mail.outbox if m.to == [world.patient.email])
    path = re.search(r"https?://[^/\s]+(/f/[A-Za-z0-9_-]+/)", email.body).group(1)

    phone.goto(path)
    expect(phone.get_by_test_id("clinic-name")).to_have_text(world.clinic.name)
    expect(phone.get_by_text("Hello Ava,")).to_be_visible()
    expect(phone.locator("[data-step-label]")).to_have_text("Section 1 of 2")
    expect(phone.get_by_role("heading", name="Signature")).to_be_hidden()

    # Next refuses until the required boxes are ticked, and says so beside them.
    phone.get_by_role("button", name="Next").tap()
    expect(phone.locator('[data-error-for="answers.risks"]')).to_have_text("This question needs an answer.")
    for group in ("Risks", "Alternatives", "Results", "My questions were answered"):
        phone.get_by_role("group", name=group).get_by_label("I have read and understand this").check()
    phone.get_by_label("Your initials").fill("AL")
    expect(phone.locator('[data-error-for="answers.risks"]')).to_be_hidden()
    phone.get_by_role("button", name="Next").tap()
    expect(phone.locator("[data-step-label]")).to_have_text("Section 2 of 2")
    expect(phone.locator("[data-save-status]")).to_have_text("Saved")
    assert FormDraft.objects.get().step == 1

    # Save and resume: the page reopens at the signature step with the answers kept.
    phone.reload()
    expect(phone.locator("[data-step-label]")).to_have_text("Section 2 of 2")
    phone.get_by_role("button", name="Back").tap()
    expect(phone.get_by_label("Your initials")).to_have_value("AL")
    phone.get_by_role("button", name="Next").tap()

    phone.get_by_label("Printed name").fill("Ava Lopez")
    canvas = phone.locator("[data-signature-canvas]")
    expect(canvas).to_be_visible()
    finger = Finger(phone)
    finger.scribble(canvas)
    expect(phone.locator("[data-signature-image]")).to_have_value(re.compile(r"^data:image/png;base64,"))
    finger.tap(phone.get_by_role("button", name="Review"))

    review = phone.get_by_test_id("review")
    expect(phone.locator("[data-step-label]")).to_have_text("Review and submit")
    expect(review.locator('[data-review-field="initials"]')).to_contain_text("AL")
    expect(review.locator('[data-review-field="risks"]')).to_contain_text("Read and understood")
    expect(review.locator('[data-review-field="signature"]')).to_contain_text("Drawn signature")
    phone.screenshot(path="/tmp/shot-consent-review.png", full_page=True)
    finger.tap(phone.get_by_role("button", name="Submit"))

    expect(phone.get_by_test_id("form-done")).to_contain_text("Thank you, Ava")
    expect(phone.get_by_test_id("form-done")).to_contain_text("Drawn signature")
    submission = FormSubmission.objects.get(form=world.consent)
    assert submission.signatures[0]["method"] == "drawn"
    assert submission.answers["initials"] == "AL" and submission.via == SubmissionVia.LINK
    assert not FormDraft.objects.exists()
    assert phone.csp_violations == []


def test_questions_follow_the_answers_live(phone, forms_world):
    sent = services.form_send(
        actor=forms_world.as_owner,
        form_id=forms_world.form("neurotoxin-screening").pk,
        patient_id=forms_world.patient.pk,
        channel="copy",
    )
    phone.goto(sent.path)
    detail = phone.get_by_label("Which condition?")
    expect(detail).to_be_hidden()
    expect(phone.get_by_text("Only if it applies to you.").first).to_be_hidden()
    neuromuscular = phone.get_by_role("group", name=re.compile("neuromuscular disorder"))
    neuromuscular.get_by_label("Yes").check()
    expect(detail).to_be_visible()
    detail.fill("Myasthenia gravis")
    neuromuscular.get_by_label("No").check()
    expect(detail).to_be_hidden()
    for question in ("pregnant", "active infection", "aminoglycoside", "reacted to botulinum"):
        phone.get_by_role("group", name=re.compile(question)).get_by_label("No").check()
    phone.get_by_role("button", name="Review").tap()
    review = phone.get_by_test_id("review")
    expect(review.locator('[data-review-field="neuromuscular"]')).to_contain_text("No")
    expect(review.locator('[data-review-field="neuromuscular_detail"]')).to_have_count(0)
    phone.get_by_role("button", name="Submit").tap()
    expect(phone.get_by_test_id("form-done")).to_be_visible()
    assert "neuromuscular_detail" not in FormSubmission.objects.get().answers
    assert phone.csp_violations == []


def test_tablet_kiosk_end_to_end(page, forms_world):  # noqa: F811 - the imported fixture
    world = forms_world
    now = timezone.now() - timedelta(minutes=1)
    Appointment.objects.filter(pk=world.appointment_id).update(start_at=now, end_at=now + timedelta(hours=1))
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, portrait
    sign_in(page, world.front_desk.email)

    page.goto("/kiosk/")
    page.get_by_role("searchbox", name="Patient").fill("Ava")
    page.get_by_test_id("kiosk-candidates").get_by_role("link", name=re.compile("Ava Lopez")).click()
    expect(page.get_by_label("Neurotoxin consent")).to_be_checked()
    page.get_by_role("button", name="Start and lock the tablet").click()
    page.wait_for_url("**/kiosk/form/")
    assert AuditEvent.objects.filter(action="form.kiosk_started").exists()

    # The patient's view: only the form (no staff navigation), signed with a typed name.
    expect(page.get_by_role("navigation")).to_have_count(0)
    for group in ("Risks", "Alternatives", "Results", "My questions were answered"):
        page.get_by_role("group", name=group).get_by_label("I have read and understand this").check()
    page.get_by_label("Your initials").fill("AL")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Printed name").fill("Ava Lopez")
    page.get_by_role("button", name="Type my name instead").click()
    page.get_by_label("Type your full name to sign").fill("Ava Lopez")
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_test_id("review").locator('[data-review-field="signature"]')).to_contain_text(
        "Typed name: Ava Lopez"
    )
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_test_id("kiosk-done")).to_contain_text("please hand the tablet back")
    submission = FormSubmission.objects.get(form=world.consent)
    assert submission.via == SubmissionVia.KIOSK and submission.signatures[0]["method"] == "typed"

    # Staff pages send the locked tablet back to its screen.
    page.goto("/patients/")
    expect(page.get_by_test_id("kiosk-done")).to_be_visible()
    assert page.url.endswith("/kiosk/form/")

    page.get_by_role("link", name="Staff: unlock").click()
    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_test_id("unlock-error")).to_contain_text("The tablet stays locked")
    page.goto("/patients/")
    assert page.url.endswith("/kiosk/form/")

    page.goto("/kiosk/unlock/")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Unlock").click()
    page.wait_for_url("**/kiosk/")
    expect(page.get_by_text("The tablet is unlocked.")).to_be_visible()
    page.goto("/patients/")
    assert page.url.endswith("/patients/")
    assert AuditEvent.objects.filter(action="kiosk.unlock_failed").count() == 1
    assert AuditEvent.objects.filter(action="kiosk.unlocked").count() == 1
    assert page.csp_violations == []
