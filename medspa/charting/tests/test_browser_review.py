"""Browser: the medical director works through the sign-off queue with "Sign & next"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from medspa.charting import services
from medspa.charting.choices import ChartStatus
from medspa.charting.models import Chart
from medspa.charting.tests.fixtures import botox_content, build_world
from medspa.tests.factories import PASSWORD
from medspa.tests.test_browser import CHROMIUM, page, sign_in  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]


def _submitted(world, days_ago):
    actor = world.as_provider
    chart = services.chart_create(
        actor=actor,
        patient_id=world.patient.pk,
        service_id=world.service_id,
        treated_at=timezone.now() - timedelta(days=days_ago),
    )
    chart = services.chart_save(actor=actor, chart_id=chart.pk, content=botox_content(), version=1)
    return services.chart_sign(actor=actor, chart_id=chart.pk, password=PASSWORD)


def test_md_signs_two_charts_with_sign_and_next(page, clinic, owner, make_member):  # noqa: F811
    world = build_world(clinic, owner, make_member)
    first = _submitted(world, 2)
    second = _submitted(world, 1)

    sign_in(page, world.md.email)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Sign-off").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/charts/review/")
    rows = page.get_by_role("table", name="Charts waiting for sign-off").locator("tbody tr")
    assert rows.count() == 2

    rows.first.get_by_role("link", name="Review").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/charts/review/{first.pk}/")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign & next").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/charts/review/{second.pk}/")

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/charts/review/{second.pk}/")

    page.get_by_role("link", name="Sign-off queue").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Nothing waiting for sign-off").is_visible()
    assert set(Chart.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
        ChartStatus.MD_SIGNED
    }
    assert page.csp_violations == []
