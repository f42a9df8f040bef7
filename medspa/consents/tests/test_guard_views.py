"""The treatment guard on the chart page: a blocking warning before the provider works on a
draft whose appointment lacks its required consents; going on is audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from medspa.charting.models import Chart
from medspa.consents import services
from medspa.consents.tests.fixtures import CONSENT_ANSWERS, TYPED
from medspa.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _open(world, client):
    response = client.post(reverse("chart_open_for_appointment", args=[world.appointment_id]))
    assert response.status_code == 302
    return Chart.objects.get(appointment_id=world.appointment_id)


def test_opening_the_chart_shows_the_blocking_warning_until_acknowledged(forms_world, login):
    client = login(forms_world.provider)
    chart = _open(forms_world, client)
    page = client.get(reverse("chart_detail", args=[chart.pk]))
    html = page.content.decode()
    assert 'data-testid="chart-guard"' in html and "Neurotoxin consent" in html
    assert "data-editor-loading" not in html
    acknowledged = client.post(reverse("chart_guard_acknowledge", args=[chart.pk]))
    assert acknowledged.status_code == 302
    event = AuditEvent.objects.get(action="chart.guard_acknowledged", object_id=str(chart.pk))
    assert "Neurotoxin consent" in str(event.changes)
    page = client.get(reverse("chart_detail", args=[chart.pk]))
    assert 'data-testid="chart-guard"' not in page.content.decode()


def test_no_warning_once_the_consent_is_on_file(forms_world, login):
    w = forms_world
    sent = services.form_send(actor=w.as_owner, form_id=w.consent.pk, patient_id=w.patient.pk)
    services.form_submit_link(token=sent.token, answers=CONSENT_ANSWERS, signatures=TYPED)
    client = login(w.provider)
    chart = _open(w, client)
    page = client.get(reverse("chart_detail", args=[chart.pk]))
    assert 'data-testid="chart-guard"' not in page.content.decode()


def test_only_the_charts_provider_acknowledges(forms_world, login):
    w = forms_world
    chart = _open(w, login(w.provider))
    md = login(w.md)
    assert md.post(reverse("chart_guard_acknowledge", args=[chart.pk])).status_code == 403
    front = login(w.front_desk)
    assert front.post(reverse("chart_guard_acknowledge", args=[chart.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="chart.guard_acknowledged").exists()


def test_the_md_review_shows_the_consents_the_treatment_required(forms_world, login):
    from medspa.charting import services as charting
    from medspa.charting.tests.fixtures import botox_content
    from medspa.tests.factories import PASSWORD

    w = forms_world
    chart = charting.chart_open_for_appointment(actor=w.as_provider, appointment_id=w.appointment_id).chart
    charting.chart_save(actor=w.as_provider, chart_id=chart.pk, content=botox_content(), version=chart.version)
    charting.chart_sign(actor=w.as_provider, chart_id=chart.pk, password=PASSWORD, override_reason="Paper consent")
    body = login(w.md).get(f"/charts/review/{chart.pk}/").content.decode()
    assert "Outstanding" in body and "Missing: Neurotoxin consent" in body
    assert "Paper consent" in body  # the provider's override reason, in the manifest
