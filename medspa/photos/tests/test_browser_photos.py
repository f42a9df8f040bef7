"""Browser check of the annotation editor on the system Chromium: a provider opens a photo,
places a numbered point with the point tool (pointer events, as a finger or stylus would),
saves, reloads and sees the point — on a tablet-sized window, with no CSP violations."""

import pytest
from playwright.sync_api import expect

from medspa.core.permissions import Role
from medspa.photos.models import PhotoAnnotation
from medspa.photos.tests.factories import actor_for, make_patient, make_photo
from medspa.tests.test_browser import CHROMIUM, page, sign_in  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]


def test_place_a_numbered_point_save_and_see_it_after_reload(page, clinic, make_member):  # noqa: F811
    provider = make_member(clinic, Role.PROVIDER, email="provider@test.example")
    actor = actor_for(clinic, provider, Role.PROVIDER)
    photo = make_photo(actor, make_patient(actor), angle="front", phase="before")

    page.set_viewport_size({"width": 1024, "height": 1366})  # a tablet, portrait
    sign_in(page, "provider@test.example")
    page.goto(f"/photos/{photo.pk}/")
    expect(page.locator("[data-editor-ready]")).to_have_count(1)
    toolbar = page.get_by_role("toolbar", name="Annotation tools")
    expect(toolbar).to_be_visible()
    image = page.locator("[data-photo-image]")
    expect(image).to_have_js_property("complete", True)

    toolbar.get_by_role("button", name="Point").click()
    expect(toolbar.get_by_role("button", name="Point")).to_have_attribute("aria-pressed", "true")
    surface = page.locator("[data-editor-surface]")
    box = surface.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5)
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.5)
    points = surface.locator('[data-kind="point"]')
    expect(points).to_have_count(2)
    expect(points.nth(1)).to_contain_text("2")  # numbers count up by themselves
    toolbar.get_by_role("button", name="Undo").click()
    expect(points).to_have_count(1)

    toolbar.get_by_role("button", name="Save").click()
    expect(page.locator("[data-editor-status]")).to_have_text("Saved · version 1")
    saved = PhotoAnnotation.objects.get(photo=photo)
    assert saved.number == 1 and len(saved.shapes) == 1
    shape = saved.shapes[0]
    assert shape["kind"] == "point" and shape["number"] == 1
    assert abs(shape["points"][0][0] - 0.25) < 0.02 and abs(shape["points"][0][1] - 0.5) < 0.02

    page.reload()
    page.wait_for_load_state("networkidle")
    after = page.locator('[data-editor-surface] [data-kind="point"]')
    expect(after).to_have_count(1)
    expect(after).to_contain_text("1")
    expect(page.get_by_test_id("versions")).to_contain_text("Version 1")
    page.screenshot(path="/tmp/shot-photo-editor.png", full_page=True)
    assert page.csp_violations == []
