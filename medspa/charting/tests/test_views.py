"""The provider's chart pages: open from an appointment, the editor, sign, read-only views,
the profile's Charts tab and timeline — for the provider, the MD, the front desk and
another clinic."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from medspa.charting import services
from medspa.charting.choices import ChartStatus
from medspa.charting.models import Chart, ChartSignature
from medspa.charting.tests.fixtures import botox_content, signed_chart
from medspa.core.models import AuditEvent
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

INPUTS = re.compile(r"<(input|textarea|select)\b(?![^>]*type=\"hidden\")", re.I)


def _open(world):
    return services.chart_open_for_appointment(actor=world.as_provider, appointment_id=world.appointment_id).chart


def _draft(world, content=None):
    chart = _open(world)
    return services.chart_save(
        actor=world.as_provider, chart_id=chart.pk, content=content or botox_content(), version=chart.version
    )


def test_open_for_appointment_creates_once_and_redirects(world, login):
    client = login(world.provider)
    url = reverse("chart_open_for_appointment", args=[world.appointment_id])
    first = client.post(url)
    second = client.post(url)
    chart = Chart.objects.get(clinic=world.clinic, appointment_id=world.appointment_id)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("chart_detail", args=[chart.pk])
    assert Chart.objects.filter(appointment_id=world.appointment_id).count() == 1
    assert client.get(url).status_code == 405


def test_appointment_card_offers_the_chart_to_its_provider_only(world, login):
    url = reverse("scheduling_appointment_detail", args=[world.appointment_id])
    page = login(world.provider).get(url).content.decode()
    assert reverse("chart_open_for_appointment", args=[world.appointment_id]) in page
    md_page = login(world.md).get(url)
    if md_page.status_code == 200:  # the MD sees the calendar: no chart yet, so no button
        assert 'data-testid="chart-button"' not in md_page.content.decode()
        chart = _open(world)
        assert reverse("chart_detail", args=[chart.pk]) in login(world.md).get(url).content.decode()


def test_provider_sees_the_editor_with_alerts_face_chart_and_sign_step(world, login):
    chart = _open(world)
    response = login(world.provider).get(reverse("chart_detail", args=[chart.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Fainting with needles" in page  # the patient's medical alert, at the top
    assert 'id="chart-editor-data"' in page and "dist/chart.js" in page
    assert 'data-zone="glabella"' in page and 'data-field="concerns"' in page
    assert 'data-testid="checklist"' in page and reverse("chart_sign", args=[chart.pk]) in page
    assert reverse("photos:chart_photos", args=[chart.pk]) in page
    assert AuditEvent.objects.filter(action="chart.viewed", object_id=str(chart.pk)).exists()


def test_front_desk_gets_403_and_another_clinic_404(world, other_world, login):
    chart = _open(world)
    url = reverse("chart_detail", args=[chart.pk])
    assert login(world.front_desk).get(url).status_code == 403
    assert (
        login(world.front_desk).post(reverse("chart_open_for_appointment", args=[world.appointment_id])).status_code
        == 403
    )
    assert login(other_world.provider).get(url).status_code == 404
    assert login(other_world.owner).get(url).status_code == 404
    assert (
        login(other_world.provider).post(reverse("chart_sign", args=[chart.pk]), {"password": PASSWORD}).status_code
        == 404
    )
    chart.refresh_from_db()
    assert chart.status == ChartStatus.DRAFT


def test_sign_with_wrong_password_shows_the_error_inline_and_writes_nothing(world, login):
    chart = _draft(world)
    response = login(world.provider).post(reverse("chart_sign", args=[chart.pk]), {"password": "not-it"})
    assert response.status_code == 422
    assert "Enter your password to sign." in response.content.decode()
    chart.refresh_from_db()
    assert chart.status == ChartStatus.DRAFT
    assert not ChartSignature.objects.filter(chart=chart).exists()
    assert not AuditEvent.objects.filter(action="chart.signed", object_id=str(chart.pk)).exists()


def test_sign_with_missing_items_asks_for_a_reason(world, login):
    chart = _open(world)  # nothing filled in
    response = login(world.provider).post(reverse("chart_sign", args=[chart.pk]), {"password": PASSWORD})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Required fields" in page and 'name="override_reason"' in page
    chart.refresh_from_db()
    assert chart.status == ChartStatus.DRAFT


def test_sign_then_the_page_is_read_only_with_the_manifest(world, login):
    chart = _draft(world)
    client = login(world.provider)
    response = client.post(reverse("chart_sign", args=[chart.pk]), {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("chart_detail", args=[chart.pk])
    chart.refresh_from_db()
    assert chart.status == ChartStatus.NEEDS_SIGNOFF
    page = client.get(reverse("chart_detail", args=[chart.pk])).content.decode()
    signature = ChartSignature.objects.get(chart=chart)
    assert signature.content_hash in page and signature.signature_hash in page
    assert "UTC" in page
    assert "C1234A" in page and "Glabella" in page  # products and injections, read-only
    assert 'id="chart-editor-data"' not in page and "dist/chart.js" not in page
    assert not INPUTS.search(page.split('id="main"')[1])


def test_md_sees_the_chart_read_only_without_edit_controls(world, login):
    chart = _draft(world)
    client = login(world.md)
    draft_page = client.get(reverse("chart_detail", args=[chart.pk])).content.decode()
    assert 'id="chart-editor-data"' not in draft_page and reverse("chart_sign", args=[chart.pk]) not in draft_page
    services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD)
    page = client.get(reverse("chart_detail", args=[chart.pk])).content.decode()
    main = page.split('id="main"')[1]
    assert not INPUTS.search(main)
    assert "Discard draft" not in main and reverse("chart_delete", args=[chart.pk]) not in main
    assert ChartSignature.objects.get(chart=chart).content_hash in page


def test_md_signed_chart_offers_lock_and_amend(world, login):
    chart = signed_chart(world)
    services.chart_md_sign(actor=world.as_md, chart_id=chart.pk, password=PASSWORD)
    client = login(world.provider)
    page = client.get(reverse("chart_detail", args=[chart.pk])).content.decode()
    assert reverse("chart_lock", args=[chart.pk]) in page
    bad = client.post(reverse("chart_amend", args=[chart.pk]), {"reason": "Typo", "text": "Fix", "password": "nope"})
    assert bad.status_code == 422 and "Enter your password to sign." in bad.content.decode()
    done = client.post(
        reverse("chart_amend", args=[chart.pk]), {"reason": "Lot typo", "text": "Lot is C1234B.", "password": PASSWORD}
    )
    assert done.status_code == 302
    page = client.get(reverse("chart_detail", args=[chart.pk])).content.decode()
    assert "Amendment 1 — Lot typo" in page and "Lot is C1234B." in page
    product = chart.content["products"][0]
    corrected = client.post(
        reverse("chart_amend", args=[chart.pk]),
        {"reason": "Wrong lot", "correct_product": product["id"], "lot_number": "C7777Q", "password": PASSWORD},
    )
    assert corrected.status_code == 302
    amendment = chart.amendments.get(number=2)
    assert amendment.text == "" and amendment.product_corrections[0]["lot_number"] == "C7777Q"
    assert amendment.product_corrections[0]["name"] == product["name"]
    chart.refresh_from_db()
    assert chart.content["products"][0]["lot_number"] == "C1234A"  # the signed original stays
    assert client.post(reverse("chart_lock", args=[chart.pk])).status_code == 302
    chart.refresh_from_db()
    assert chart.status == ChartStatus.LOCKED


def test_reply_to_the_md(world, login):
    chart = signed_chart(world)
    services.chart_request_info(actor=world.as_md, chart_id=chart.pk, comment="Which dilution?")
    client = login(world.provider)
    page = client.get(reverse("chart_detail", args=[chart.pk])).content.decode()
    assert "Which dilution?" in page and reverse("chart_reply", args=[chart.pk]) in page
    assert client.post(reverse("chart_reply", args=[chart.pk]), {"comment": ""}).status_code == 422
    assert client.post(reverse("chart_reply", args=[chart.pk]), {"comment": "2.5 mL"}).status_code == 302
    chart.refresh_from_db()
    assert chart.info_requested is False


def test_discard_draft(world, login):
    chart = _open(world)
    response = login(world.provider).post(reverse("chart_delete", args=[chart.pk]))
    assert response.status_code == 302
    assert not Chart.objects.filter(pk=chart.pk).exists()
    assert Chart.all_objects.filter(pk=chart.pk, deleted_at__isnull=False).exists()


def test_charts_tab_lists_and_starts_a_standalone_chart(world, login):
    chart = signed_chart(world)
    client = login(world.provider)
    tab = client.get(reverse("patient_charts", args=[world.patient.pk]))
    page = tab.content.decode()
    assert tab.status_code == 200
    assert reverse("chart_detail", args=[chart.pk]) in page and "Needs sign-off" in page
    assert reverse("chart_new", args=[world.patient.pk]) in page
    created = client.post(
        reverse("chart_new", args=[world.patient.pk]), {"template_id": world.template_id("soap-note")}
    )
    new = Chart.objects.exclude(pk=chart.pk).get(patient=world.patient)
    assert created.status_code == 302 and created["Location"] == reverse("chart_detail", args=[new.pk])
    assert new.appointment_id is None and new.provider == world.provider
    refused = client.post(reverse("chart_new", args=[world.patient.pk]), {"template_id": "not-a-template"})
    assert refused.status_code == 302 and Chart.objects.filter(patient=world.patient).count() == 2


def test_front_desk_has_no_charts_tab_nor_timeline_entries(world, login):
    signed_chart(world)
    # The tab is not in the front desk's tab bar; opened by its URL it says so and shows nothing.
    tab = login(world.front_desk).get(reverse("patient_charts", args=[world.patient.pk]))
    assert tab.status_code == 200 and "not available to your role" in tab.content.decode()
    assert "Neurotoxin" not in tab.content.decode() and "/charts/" not in tab.content.decode()
    timeline = login(world.front_desk).get(reverse("patient_timeline", args=[world.patient.pk])).content.decode()
    assert "Chart signed" not in timeline
    mine = login(world.provider).get(reverse("patient_timeline", args=[world.patient.pk])).content.decode()
    assert "Chart signed" in mine
