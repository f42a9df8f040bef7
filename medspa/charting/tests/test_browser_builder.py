"""The chart template builder in a browser: it draws the template's sections from its JSON
and adds a field (the shared page helpers load before it)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from medspa.charting import services
from medspa.charting.models import ChartTemplate
from medspa.tests.test_browser import CHROMIUM, page, sign_in  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)"),
]


def test_the_builder_draws_the_template_and_adds_a_field(page, clinic, owner):  # noqa: F811
    services.template_library_install(clinic=clinic)
    template = ChartTemplate.objects.get(clinic=clinic, key="soap-note")
    sign_in(page, owner.email)
    page.goto(f"/settings/chart-templates/{template.pk}/")
    add = page.locator('[data-builder-action="add-field"]').first
    expect(add).to_be_visible()
    before = page.locator('[data-builder-action="field-remove"]').count()
    add.click()
    expect(page.locator('[data-builder-action="field-remove"]')).to_have_count(before + 1)
    assert page.csp_violations == []
