"""AUD-1 for charts and photos: every route that shows a chart or a photo (page, API, PDF,
PNG export, the chart's photo block) writes an audit event naming the actor, role, clinic,
patient, object, outcome, time, IP, user agent and request id."""

from __future__ import annotations

import pytest
from django.urls import reverse

from medspa.charting import services
from medspa.charting.tests.fixtures import botox_content
from medspa.core.models import AuditEvent
from medspa.photos.tests.factories import make_photo
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

READ_ACTIONS = {"chart.viewed", "chart.exported", "photo.viewed", "photo.listed", "photo.exported"}
FILE_ACTIONS = {"file.url_issued", "file.urls_issued"}
REQUIRED = ("actor_id", "actor_role", "clinic_id", "patient_id", "object_type", "object_id", "ip", "user_agent")


@pytest.fixture
def signed(world):
    """A chart with a photo, signed by the provider (so the PDF exists), and the photo."""
    chart = services.chart_open_for_appointment(actor=world.as_provider, appointment_id=world.appointment_id).chart
    photo = make_photo(world.as_provider, world.patient, chart_id=chart.pk)
    chart = services.chart_save(
        actor=world.as_provider, chart_id=chart.pk, content=botox_content(), version=chart.version
    )
    chart = services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD)
    return chart, photo


def _routes(world, chart, photo):
    return [
        ("provider", reverse("chart_detail", args=[chart.pk]), "chart.viewed"),
        ("md", reverse("chart_review", args=[chart.pk]), "chart.viewed"),
        ("provider", reverse("chart_pdf", args=[chart.pk]), "chart.exported"),
        ("provider", f"/api/charts/{chart.pk}", "chart.viewed"),
        ("provider", f"/api/charts/{chart.pk}/pdf", "chart.exported"),
        ("provider", reverse("photos:photo_detail", args=[photo.pk]), "photo.viewed"),
        ("md", reverse("photos:photo_detail", args=[photo.pk]), "photo.viewed"),
        ("provider", f"/api/photos/{photo.pk}", "photo.viewed"),
        ("provider", reverse("photos:photo_export", args=[photo.pk]), "photo.exported"),
        ("provider", f"/api/photos/{photo.pk}/export", "photo.exported"),
        ("provider", f"/api/patients/{world.patient.pk}/photos", "photo.listed"),
        ("provider", reverse("photos:chart_photos", args=[chart.pk]), None),
    ]


def test_every_chart_and_photo_read_is_audited_with_complete_fields(world, signed, login):
    chart, photo = signed
    users = {"provider": world.provider, "md": world.md}
    missing, incomplete = [], []
    for who, url, action in _routes(world, chart, photo):
        client = login(users[who])
        last = AuditEvent.objects.order_by("-created_at", "-seq").values_list("seq", flat=True).first() or 0
        response = client.get(url, HTTP_USER_AGENT="AuditCoverage/1.0", REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 200, (url, response.status_code)
        events = list(AuditEvent.objects.filter(clinic=world.clinic, seq__gt=last))
        wanted = [e for e in events if (e.action == action if action else e.action in FILE_ACTIONS)]
        if not wanted:
            missing.append(url)
            continue
        for event in wanted:
            empty = [name for name in REQUIRED if not getattr(event, name)]
            if empty or event.outcome != "success" or not event.request_id:
                incomplete.append((url, event.action, empty))
    assert missing == []  # PHI routes without audit
    assert incomplete == []  # events missing required fields
