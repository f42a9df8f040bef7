"""Browser check of charting a treatment on a tablet: open the appointment, start its chart,
tap three zones of the face chart and enter units, record the lot, answer the required
fields, upload a before photo and annotate a numbered point on it, sign with the password
and see the read-only chart with its signature manifest — with no CSP violations."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from medspa.charting.choices import ChartStatus
from medspa.charting.models import Chart, ChartSignature
from medspa.charting.tests.fixtures import build_world
from medspa.core.tests import images
from medspa.tests.factories import PASSWORD
from medspa.tests.test_browser import CHROMIUM, page, sign_in  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]


def test_provider_charts_signs_and_sees_the_manifest(page, clinic, owner, make_member, tmp_path):  # noqa: F811
    world = build_world(clinic, owner, make_member)
    photo = tmp_path / "before.jpg"
    photo.write_bytes(images.gps_jpeg((600, 400)))
    page.set_viewport_size({"width": 1024, "height": 1366})  # a tablet, portrait
    sign_in(page, world.provider.email)

    page.goto(f"/calendar/appointments/{world.appointment_id}/")
    page.get_by_role("button", name="Chart").click()
    page.wait_for_url("**/charts/*/")
    chart = Chart.objects.get(clinic=clinic, appointment_id=world.appointment_id)
    expect(page.get_by_test_id("chart-alerts")).to_contain_text("Fainting with needles")
    status = page.locator("[data-save-status]")

    # Products first, so the injections default to this lot.
    page.get_by_role("button", name="Add product").click()
    product = page.locator("[data-product-row]").first
    product.get_by_label("Product name").fill("Botox Cosmetic")
    product.get_by_label("Lot number").fill("C1234A")
    product.get_by_label("Expiry date").fill((timezone.localdate() - timedelta(days=3)).isoformat())
    product.get_by_label("Quantity").fill("40")
    # An expired lot is refused by the server: the error shows next to the field.
    expect(product.locator('[data-error-for$=".expiry_date"]')).to_contain_text("expired")
    product.get_by_label("Expiry date").fill((timezone.localdate() + timedelta(days=200)).isoformat())
    expect(status).to_have_text("Saved", timeout=10000)
    expect(product.locator('[data-error-for$=".expiry_date"]')).to_have_text("")

    # Three zones on the face chart, each with its units.
    for zone, units in (("glabella", "20"), ("crows_feet_left", "12"), ("crows_feet_right", "8")):
        page.locator(f'[data-face] [data-zone="{zone}"]').click()
        focused = page.locator('[data-injection-row] [data-row-field="units"]').last
        expect(focused).to_be_focused()
        focused.fill(units)
    expect(page.locator("[data-points] [data-point]")).to_have_count(3)
    expect(page.get_by_test_id("total-units")).to_have_text("40")

    # Required answers.
    page.get_by_label("Patient concerns").fill("Frown lines and crow's feet")
    page.get_by_label("Contraindications reviewed").check()
    page.get_by_label("Patient tolerated treatment").select_option("Well")
    expect(status).to_have_text("Saved", timeout=10000)

    # A before photo through the chart's photo block (the patient's photo consent is on file).
    photos = page.get_by_test_id("chart-photos")
    expect(photos).to_be_visible()
    photos.get_by_label("Choose photos").set_input_files(str(photo))
    photos.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_test_id("chart-photos")).to_contain_text("1 photo on this chart")

    # Annotate it: a numbered point, saved as the overlay's first version, then back to the chart.
    page.get_by_test_id("chart-photos").locator("a[href^='/photos/']").first.click()
    toolbar = page.get_by_role("toolbar", name="Annotation tools")
    expect(page.locator("[data-photo-image]")).to_have_js_property("complete", True)
    toolbar.get_by_role("button", name="Point").click()
    surface = page.locator("[data-editor-surface]")
    box = surface.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.3)
    expect(surface.locator('[data-kind="point"]')).to_have_count(1)
    toolbar.get_by_role("button", name="Save").click()
    expect(page.locator("[data-editor-status]")).to_have_text("Saved · version 1")
    page.get_by_test_id("photo-chart-link").click()
    page.wait_for_url(f"**/charts/{chart.pk}/")

    chart.refresh_from_db()
    assert len(chart.content["injections"]) == 3 and chart.content["products"][0]["lot_number"] == "C1234A"
    expect(page.get_by_test_id("checklist").locator('[data-ok="false"]')).to_have_count(0, timeout=10000)
    page.screenshot(path="/tmp/shot-chart-editor.png", full_page=True)

    # A wrong password first: the error shows inline and nothing is signed.
    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.locator("#sign")).to_contain_text("Enter your password to sign.")
    assert not ChartSignature.objects.filter(chart=chart).exists()

    # A drawn signature on the pad (optional), then the password; the page was reloaded by
    # the refusal, so wait for its script to wire the pad before drawing.
    expect(page.locator("[data-signature-pad][data-ready]")).to_be_attached()
    pad = page.locator("[data-signature-canvas]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + box["height"] * (0.7 - 0.4 * (step % 2)))
    page.mouse.up()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign", exact=True).click()
    manifest = page.get_by_test_id("signature-manifest")
    expect(manifest).to_be_visible()
    signature = ChartSignature.objects.get(chart=chart)
    expect(manifest.get_by_test_id("content-hash")).to_have_text(signature.content_hash)
    expect(manifest.get_by_test_id("signature-hash")).to_have_text(signature.signature_hash)
    expect(manifest.get_by_test_id("signature-image")).to_be_visible()
    assert signature.image is not None
    expect(page.get_by_test_id("chart-status")).to_have_text("Needs sign-off")
    expect(page.locator("#main input:not([type=hidden]), #main textarea, #main select")).to_have_count(0)
    expect(page.get_by_test_id("total-units")).to_have_text("40")
    chart.refresh_from_db()
    assert chart.status == ChartStatus.NEEDS_SIGNOFF
    # The signature binds the photo by its file hash and the annotation version in force.
    (signed_photo,) = chart.content["photos"]
    assert signed_photo["annotation_version"] == 1 and len(signed_photo["sha256"]) == 64
    page.screenshot(path="/tmp/shot-chart-signed.png", full_page=True)
    assert page.csp_violations == []
