"""Browser check of the form builder: build a small form with a yes/no question and a follow-up
shown only on "yes", watch the phone preview show and hide the follow-up as the answer
changes, see a problem the server found next to its field, then save the draft and publish
version 1 — with no CSP violations."""

import pytest
from playwright.sync_api import expect

from medspa.consents.models import Form, FormVersion
from medspa.consents.tests.fixtures import build
from medspa.tests.test_browser import CHROMIUM, page, sign_in  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]


def test_build_a_conditional_form_preview_it_save_and_publish(page, clinic, owner, make_member):  # noqa: F811
    world = build(clinic, owner, make_member)
    page.set_viewport_size({"width": 1366, "height": 1024})
    sign_in(page, world.owner.email)

    page.goto("/settings/forms/")
    page.get_by_role("link", name="New form").click()
    page.wait_for_url("**/settings/forms/new/")
    page.get_by_label("Name", exact=True).fill("Pregnancy screen")
    page.get_by_label("Kind").select_option("intake")

    # The starter's first section gets a yes/no question and a follow-up.
    section = page.locator("#builder-editor [data-builder-section]").first
    section.get_by_role("button", name="+ Add field").click()
    question = section.locator("[data-builder-field]").nth(1)
    question.get_by_label("Question").fill("Are you pregnant?")
    question.get_by_label("Type").select_option("yes_no")
    section.get_by_role("button", name="+ Add field").click()
    follow = section.locator("[data-builder-field]").nth(2)
    follow.get_by_label("Question").fill("When is your baby due?")
    follow.get_by_label("Type").select_option("date")
    follow.get_by_role("button", name="+ Show only when…").click()
    condition = follow.locator("[data-condition-of]")
    expect(condition.get_by_label("Question")).to_have_value("are_you_pregnant")
    expect(condition.get_by_label("Compare")).to_have_value("equals")
    expect(condition.get_by_label("Answer")).to_have_value("yes")

    # The preview is the patient's view: the follow-up shows only after "Yes".
    preview = page.get_by_test_id("builder-preview")
    expect(preview.get_by_role("heading", name="Pregnancy screen")).to_be_visible()
    due = preview.get_by_label("When is your baby due?")
    expect(preview.get_by_text("Are you pregnant?")).to_be_visible()
    expect(due).to_be_hidden()
    preview.get_by_role("radio", name="Yes").check()
    expect(due).to_be_visible()
    preview.get_by_role("radio", name="No").check()
    expect(due).to_be_hidden()
    preview.get_by_role("radio", name="Yes").check()
    expect(due).to_be_visible()
    page.screenshot(path="/tmp/shot-form-builder.png", full_page=True)

    # A question left without a label: the server's refusal shows next to that field.
    section.get_by_role("button", name="+ Add field").click()
    expect(page.locator("[data-builder-status]")).to_contain_text("Unsaved changes")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("networkidle")
    assert not Form.objects.filter(clinic=clinic, name="Pregnancy screen").exists()
    expect(page.locator("[data-builder-errors]")).to_contain_text("field 4")
    section = page.locator("#builder-editor [data-builder-section]").first
    blank = section.locator("[data-builder-field]").nth(3)
    expect(blank.locator('[data-error-for$="-label"]')).to_have_text("This cannot be empty.")
    blank.get_by_role("button", name="Remove field 4").click()

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/settings/forms/*-*/")
    form = Form.objects.get(clinic=clinic, name="Pregnancy screen")
    fields = form.draft["sections"][0]["fields"]
    assert [f["key"] for f in fields] == ["full_name", "are_you_pregnant", "when_is_your_baby_due"]
    assert fields[2]["show_if"] == {"field": "are_you_pregnant", "op": "equals", "value": "yes"}
    assert form.current_version == 0 and form.kind == "intake"

    # The saved draft opens with its conditions live in the preview again.
    preview = page.get_by_test_id("builder-preview")
    due = preview.get_by_label("When is your baby due?")
    expect(due).to_be_hidden()
    preview.get_by_role("radio", name="Yes").check()
    expect(due).to_be_visible()

    page.get_by_role("button", name="Publish version 1…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Change note").fill("First version")
    dialog.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("form-version")).to_have_text("version 1")
    form.refresh_from_db()
    assert form.current_version == 1 and form.draft is None
    version = FormVersion.objects.get(form=form, number=1)
    assert version.change_note == "First version" and version.definition["sections"][0]["fields"][2]["show_if"]
    expect(page.locator("#versions")).to_contain_text("First version")
    assert page.csp_violations == []
