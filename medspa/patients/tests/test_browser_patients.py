"""Browser checks of the patient pages on the system Chromium: keyboard search, the
new-patient dialog, tabs and the quick edit, with no CSP violations."""

import pytest
from playwright.sync_api import expect

from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.patients import services
from medspa.tests.test_browser import CHROMIUM, page, sign_in  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]


def test_search_keyboard_modal_tabs_and_quick_edit(page, clinic, make_member):  # noqa: F811
    boss = make_member(clinic, Role.OWNER, email="boss@test.example")
    actor = Actor.staff(user=boss, clinic=clinic, role=Role.OWNER)
    for first, last in (("Ana", "Alvarez"), ("Ben", "Alder"), ("Cy", "Brown")):
        services.patient_create(
            actor=actor, data={"first_name": first, "last_name": last, "medical_alerts": ["Pacemaker"]}
        )
    sign_in(page, "boss@test.example")
    page.goto("/patients/")
    page.screenshot(path="/tmp/shot-list.png", full_page=True)
    search = page.get_by_label("Search patients")
    search.fill("al")
    expect(page.locator("[data-result]")).to_have_count(2)
    assert "q=" not in page.url and "al" not in page.url.rsplit("/patients/", 1)[-1]  # PRIV-5: searched by POST
    search.press("ArrowDown")
    search.press("ArrowDown")
    search.press("Enter")
    page.wait_for_load_state("networkidle")
    assert "/patients/" in page.url and "Ana Alvarez" in page.locator("h1").inner_text()  # second by name
    page.screenshot(path="/tmp/shot-profile.png", full_page=True)

    page.get_by_role("link", name="Edit contact details").click()
    page.get_by_label("Email").fill("ana@example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#patient-contact")).to_contain_text("ana@example.com")

    page.get_by_role("link", name="Timeline").click()
    expect(page.locator("#patient-tabs")).to_contain_text("Profile updated")
    assert page.url.endswith("/timeline/")
    page.screenshot(path="/tmp/shot-timeline.png", full_page=True)

    page.goto("/patients/")
    page.get_by_role("link", name="New patient").click()
    page.wait_for_selector("#patient-create-body form")
    page.screenshot(path="/tmp/shot-modal.png")
    page.locator("#patient-create-body").get_by_label("First name").fill("Dee")
    page.locator("#patient-create-body").get_by_role("button", name="Add patient").click()
    page.wait_for_selector("#patient-create-body .field-errors")
    page.wait_for_timeout(500)
    page.locator("#patient-create-body").get_by_label("Last name").fill("Alvarez")
    page.locator("#patient-create-body").get_by_role("button", name="Add patient").click()
    page.wait_for_url("**/patients/*/?created=1")
    assert "Dee Alvarez" in page.locator("h1").inner_text()
    assert page.csp_violations == []


def test_find_a_demo_patient_by_phone_fragment_and_log_a_communication(page, clinic, make_member):  # noqa: F811
    from medspa.patients import demo
    from medspa.patients.models import Communication, Patient

    make_member(clinic, Role.OWNER, email="boss@test.example")
    demo.seed({"clinics": [clinic]})
    zoe = Patient.objects.get(clinic=clinic, first_name="Zoë", last_name="Müller")
    fragment = zoe.phone[-4:]  # the last four digits, as a caller reads them out
    sharing = Patient.objects.filter(clinic=clinic, phone_last4=fragment).count()
    assert sharing >= 1 and Patient.objects.filter(clinic=clinic).count() == demo.PATIENTS_PER_CLINIC

    sign_in(page, "boss@test.example")
    page.goto("/patients/")
    search = page.get_by_label("Search patients")
    search.fill(fragment)
    results = page.locator("[data-result]")
    expect(results).to_have_count(sharing)
    expect(results.filter(has_text="Zoë Müller")).to_have_count(1)
    # Down the list with the keyboard until Zoë's row is the selected one, then Enter.
    for _ in range(sharing):
        search.press("ArrowDown")
        if "Zoë Müller" in page.locator('[data-result][aria-selected="true"]').inner_text():
            break
    search.press("Enter")
    page.wait_for_url(f"**/patients/{zoe.pk}/")
    expect(page.locator("h1")).to_contain_text("Zoë Müller")

    page.get_by_role("navigation", name="Patient profile").get_by_role("link", name="Communications").click()
    page.wait_for_url(f"**/patients/{zoe.pk}/communications/")
    body = "Texted to ask whether her filler touch-up can move to Tuesday <b>4pm</b>."
    page.get_by_label("Kind").select_option("sms")  # not the defaults (call, outbound)
    page.get_by_label("Direction").select_option("inbound")
    page.get_by_label("What happened").fill(body)
    page.get_by_role("button", name="Log it").click()
    entries = page.locator("#patient-tabs li")
    expect(entries.filter(has_text=body)).to_have_count(1)
    expect(entries.filter(has_text=body)).to_contain_text("SMS")
    expect(entries.filter(has_text=body)).to_contain_text("Inbound")
    page.screenshot(path="/tmp/shot-communications.png", full_page=True)

    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#patient-tabs li").filter(has_text=body)).to_have_count(1)
    entry = Communication.objects.get(patient=zoe, body=body)
    assert (entry.kind, entry.direction) == ("sms", "inbound")
    assert page.locator("#patient-tabs b").count() == 0  # the body is text, not markup
    assert page.csp_violations == []


def test_merge_swap_keeps_the_ticked_values(page, clinic, make_member):  # noqa: F811
    boss = make_member(clinic, Role.OWNER, email="boss@test.example")
    actor = Actor.staff(user=boss, clinic=clinic, role=Role.OWNER)
    first = services.patient_create(
        actor=actor, data={"first_name": "Jennifer", "last_name": "Okafor", "email": "jen@example.com"}
    )
    second = services.patient_create(
        actor=actor, data={"first_name": "Jen", "last_name": "Okafor", "email": "jennifer.okafor@example.com"}
    )
    sign_in(page, "boss@test.example")
    page.goto(f"/patients/{first.pk}/merge/{second.pk}/")
    page.get_by_label("jennifer.okafor@example.com").check()
    page.get_by_role("button", name="Keep the other profile instead").click()
    page.wait_for_url(f"**/patients/{second.pk}/merge/{first.pk}/")
    expect(page.locator("h1")).to_have_text("Merge Jennifer Okafor into Jen Okafor")
    expect(page.get_by_label("jennifer.okafor@example.com")).to_be_checked()
    expect(page.get_by_label("Jennifer", exact=True)).to_be_checked()
    page.screenshot(path="/tmp/shot-merge-swap.png", full_page=True)
    page.get_by_role("button", name="Review merge").click()
    page.get_by_role("button", name="Merge profiles").click()
    page.wait_for_url(f"**/patients/{second.pk}/")
    expect(page.locator("h1")).to_contain_text("Jennifer Okafor")
    assert page.csp_violations == []


def test_tag_rename_and_delete(page, clinic, make_member):  # noqa: F811
    boss = make_member(clinic, Role.OWNER, email="boss@test.example")
    actor = Actor.staff(user=boss, clinic=clinic, role=Role.OWNER)
    vip = services.tag_create(actor=actor, name="VIP", color="#ff0000")
    services.patient_create(actor=actor, data={"first_name": "Ana", "last_name": "Alvarez", "tags": [str(vip.pk)]})
    sign_in(page, "boss@test.example")
    page.goto("/settings/tags/")
    page.get_by_role("link", name="Edit VIP").click()
    page.get_by_label("Name").fill("Gold")
    page.get_by_role("button", name="Save tag").click()
    page.wait_for_url("**/settings/tags/")
    expect(page.locator("table")).to_contain_text("Gold")
    page.get_by_role("link", name="Delete Gold").click()
    expect(page.get_by_role("status")).to_contain_text("1 patient carries this tag")
    page.screenshot(path="/tmp/shot-tag-delete.png", full_page=True)
    page.get_by_role("button", name="Delete tag").click()
    page.wait_for_url("**/settings/tags/")
    expect(page.get_by_text("No tags yet")).to_be_visible()
    assert page.csp_violations == []
