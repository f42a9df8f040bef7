"""AUTHZ-2: a view nobody marked public is closed to anonymous visitors and flagged as unclassified."""

import pytest
from django.test import Client, override_settings

from medspa.tests.routes import all_routes

pytestmark = pytest.mark.django_db


@override_settings(ROOT_URLCONF="medspa.tests.canary_urls")
def test_unmarked_view_redirects_anonymous_to_sign_in():
    response = Client().get("/canary/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@override_settings(ROOT_URLCONF="medspa.tests.canary_urls")
def test_unmarked_view_is_reported_unclassified():
    assert [r.name for r in all_routes() if r.access == "unclassified"] == ["canary"]
