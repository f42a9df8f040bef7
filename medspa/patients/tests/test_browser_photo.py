"""Browser check of the profile photo: upload through htmx, see it, a bad file's inline
error, remove it — on a phone-sized and a desktop window, with no CSP violations."""

import pytest
from playwright.sync_api import expect

from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.core.tests import images
from medspa.patients import services
from medspa.tests.test_browser import CHROMIUM, page, sign_in  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}])
def test_upload_see_refuse_and_remove_the_photo(page, clinic, make_member, viewport, tmp_path):  # noqa: F811
    boss = make_member(clinic, Role.OWNER, email="boss@test.example")
    patient = services.patient_create(
        actor=Actor.staff(user=boss, clinic=clinic, role=Role.OWNER),
        data={"first_name": "Ada", "last_name": "Lovelace"},
    )
    good, bad = tmp_path / "me.jpg", tmp_path / "cat.jpg"
    good.write_bytes(images.gps_jpeg((600, 400)))
    bad.write_bytes(images.bomb_corpus()["svg_named_jpg"][1])
    page.set_viewport_size(viewport)
    sign_in(page, "boss@test.example")
    page.goto(f"/patients/{patient.pk}/")
    block = page.locator("#patient-photo")
    expect(block).to_contain_text("AL")

    block.get_by_text("Add photo").click()
    block.get_by_label("Upload a photo").set_input_files(str(bad))
    block.get_by_role("button", name="Save photo").click()
    expect(page.locator("#patient-photo-error")).to_contain_text("not a supported image")
    page.screenshot(path=f"/tmp/shot-photo-error-{viewport['width']}.png", full_page=True)

    page.locator("#patient-photo").get_by_label("Upload a photo").set_input_files(str(good))
    page.locator("#patient-photo").get_by_role("button", name="Save photo").click()
    photo = page.locator("#patient-photo img")
    expect(photo).to_be_visible()
    # Poll from the test (a string predicate would need 'unsafe-eval', which the CSP forbids).
    expect(photo).to_have_js_property("complete", True)
    for _ in range(50):
        if photo.evaluate("img => img.naturalWidth") > 0:
            break
        page.wait_for_timeout(100)
    assert photo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [400, 600]  # upright
    page.screenshot(path=f"/tmp/shot-photo-{viewport['width']}.png", full_page=True)

    page.locator("#patient-photo").get_by_text("Change photo").click()
    page.locator("#patient-photo").get_by_role("button", name="Remove photo").click()
    expect(page.locator("#patient-photo img")).to_have_count(0)
    expect(page.locator("#patient-photo")).to_contain_text("AL")
    assert page.csp_violations == []
