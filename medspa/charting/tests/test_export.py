"""The printable PDF of a signed chart: what it prints (read back with pypdf), that every
export is audited, and who may not have it (a draft, the front desk, another clinic)."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from medspa.charting import export, services
from medspa.charting.choices import ChartStatus
from medspa.charting.tests.fixtures import botox_content, signed_chart
from medspa.core.errors import Conflict
from medspa.core.models import AuditEvent
from medspa.core.tests.images import jpeg
from medspa.patients import services as patient_services
from medspa.photos import services as photo_services
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> tuple[PdfReader, str]:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data), strict=True)
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _exports(chart) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="chart.exported", object_id=str(chart.pk)))


def _api(api_client, api_token, user, clinic):
    return api_client(api_token(user, clinic))


def _draft(world):
    chart = services.chart_open_for_appointment(actor=world.as_provider, appointment_id=world.appointment_id).chart
    return services.chart_save(
        actor=world.as_provider, chart_id=chart.pk, content=botox_content(), version=chart.version
    )


def _full_record(world):
    """A neurotoxin chart with a photo, signed by its provider, co-signed by the MD and amended."""
    chart = _draft(world)
    with override_settings(FILE_DECODE_IN_WORKER=False):
        photo = photo_services.photo_upload(
            actor=world.as_provider,
            patient_id=world.patient.pk,
            upload=SimpleUploadedFile("before.jpg", jpeg((96, 72))),
            chart_id=chart.pk,
            phase="before",
            confirm_without_consent=True,
        )
    services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD)
    services.chart_md_sign(actor=world.as_md, chart_id=chart.pk, password=PASSWORD)
    correction = dict(botox_content()["products"][0], lot_number="C9999Z")
    services.chart_amend(
        actor=world.as_provider,
        chart_id=chart.pk,
        reason="Lot number typo",
        text="The lot used was C9999Z.",
        password=PASSWORD,
        product_corrections=[correction],
    )
    return chart, photo


def test_a_signed_chart_exports_its_whole_record_by_api(world, api_client, api_token):
    chart, photo = _full_record(world)
    client = _api(api_client, api_token, world.provider, world.clinic)

    response = client.get(f"/api/charts/{chart.pk}/pdf")

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "chart-" in response["Content-Disposition"] and "-Lopez.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    reader, text = _text(response.content)
    signatures = list(chart.signatures.order_by("signed_at"))
    assert [s.kind for s in signatures] == ["provider", "medical_director", "amendment"]
    content_hash = signatures[0].content_hash
    for expected in (
        world.clinic.name,
        "Ava Lopez",
        world.provider.full_name,
        world.md.full_name,
        "Neurotoxin, version 1",
        "Fainting with needles",
        "Frown lines and crow's feet",
        "C1234A",
        "Allergan",
        "2.5 mL / 100 U",
        "Glabella",
        "Crow's feet (left)",
        "Intramuscular",
        "No lying down for 4 hours.",
        "Lot number typo",
        "The lot used was C9999Z.",
        "C9999Z",
        "Reviewed and approved as medical director",
        photo.file.sha256[:16],
        content_hash,
        *(s.signature_hash for s in signatures),
        signatures[2].content_hash,  # the amendment's own hash
    ):
        assert expected in text, expected
    pages = len(reader.pages)
    for number in range(1, pages + 1):
        footer = f"Chart {chart.pk} · page {number} of {pages} · content SHA-256 {content_hash}"
        assert footer in reader.pages[number - 1].extract_text()
    assert sum(len(page.images) for page in reader.pages) == 1  # the photo's thumbnail
    [event] = _exports(chart)
    assert event.changes["via"] == "pdf" and event.patient_id == str(world.patient.pk)


def test_the_page_route_downloads_the_pdf_and_audits_it(world, login):
    chart = signed_chart(world)
    client = login(world.md)

    response = client.get(reverse("chart_pdf", args=[chart.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    day = chart.treated_at.astimezone(ZoneInfo(world.clinic.timezone)).date()
    assert f'filename="chart-{day.isoformat()}-Lopez.pdf"' in response["Content-Disposition"]
    _, text = _text(response.content)
    assert "C1234A" in text and chart.provider_signature.signature_hash in text
    assert [e.changes["via"] for e in _exports(chart)] == ["pdf"]


def test_a_draft_is_not_exported(world, api_client, api_token, login):
    chart = _draft(world)

    api = _api(api_client, api_token, world.provider, world.clinic).get(f"/api/charts/{chart.pk}/pdf")
    page = login(world.provider).get(reverse("chart_pdf", args=[chart.pk]))

    assert api.status_code == 409 and api.json()["code"] == "chart_not_signed"
    assert api.json()["detail"] == "Only a signed chart is exported."
    assert page.status_code == 409
    assert _exports(chart) == []
    with pytest.raises(Conflict):
        export.chart_pdf(actor=world.as_owner, chart_id=chart.pk)


def test_the_front_desk_may_not_export(world, api_client, api_token, login):
    chart = signed_chart(world)

    api = _api(api_client, api_token, world.front_desk, world.clinic).get(f"/api/charts/{chart.pk}/pdf")
    page = login(world.front_desk).get(reverse("chart_pdf", args=[chart.pk]))

    assert api.status_code == 403 and api.json()["code"] == "permission_denied"
    assert page.status_code == 403
    assert _exports(chart) == []
    assert AuditEvent.objects.filter(action="permission.denied").count() == 2


def test_another_clinics_chart_looks_missing(world, other_world, api_client, api_token, login):
    theirs = signed_chart(other_world)

    api = _api(api_client, api_token, world.owner, world.clinic).get(f"/api/charts/{theirs.pk}/pdf")
    page = login(world.owner).get(reverse("chart_pdf", args=[theirs.pk]))
    post = login(world.owner).post(reverse("chart_pdf", args=[theirs.pk]))

    assert api.status_code == 404 and page.status_code == 404 and post.status_code == 404
    assert b"Ava" not in api.content and b"%PDF" not in page.content
    assert _exports(theirs) == []


def test_a_wrong_method_on_the_page_route_is_405_without_an_export(world, login):
    chart = signed_chart(world)

    response = login(world.provider).post(reverse("chart_pdf", args=[chart.pk]))

    assert response.status_code == 405
    assert _exports(chart) == []


def test_names_outside_latin_1_render_as_typed(world, api_client, api_token):
    patient = patient_services.patient_create(
        actor=world.as_owner,
        data={"first_name": "Łucja Zoë", "last_name": "Dvořák-Müller", "date_of_birth": "1988-02-29"},
    )
    chart = services.chart_create(
        actor=world.as_provider, patient_id=patient.pk, template_id=world.template_id("soap-note")
    )
    soap = {
        "subjective": "Ζωή reports mild tightness; Жанна accompanied her.",
        "objective": "No erythema.",
        "assessment": "Healing well.",
        "plan": "Review in 2 weeks (Nguyễn clinic).",
    }
    chart = services.chart_save(
        actor=world.as_provider, chart_id=chart.pk, content={"fields": soap}, version=chart.version
    )
    chart = services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD)
    assert chart.status == ChartStatus.LOCKED

    data, filename = export.chart_pdf(actor=world.as_provider, chart_id=chart.pk)

    _, text = _text(data)
    for expected in ("Łucja Zoë Dvořák-Müller", "1988-02-29", "Ζωή", "Жанна", "Nguyễn", "SOAP note, version 1"):
        assert expected in text, expected
    assert filename.endswith("-Dvorak-Muller.pdf") and filename.isascii()
    assert _exports(chart)[0].changes == {"via": "pdf", "photos": 0}


def test_a_drawn_signature_is_printed_with_its_manifest_entry(world, api_client, api_token):
    import base64

    from medspa.core.tests.images import png

    chart = services.chart_open_for_appointment(actor=world.as_provider, appointment_id=world.appointment_id).chart
    chart = services.chart_save(
        actor=world.as_provider, chart_id=chart.pk, content=botox_content(), version=chart.version
    )
    drawn = "data:image/png;base64," + base64.b64encode(png((300, 90))).decode()
    services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD, signature_image=drawn)
    response = _api(api_client, api_token, world.provider, world.clinic).get(f"/api/charts/{chart.pk}/pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content), strict=True)
    assert sum(len(page.images) for page in reader.pages) == 1  # the drawn signature (no photos on this chart)
