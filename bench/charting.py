"""Charting: a 12-megapixel clinical photo through the upload pipeline, a chart with 20
photos and 40 injection rows read through the API (and the chart page when it exists),
and `charts-verify` over many signed charts.

Baselines in the same run: Pillow decoding and re-encoding the same JPEG in-process (the
floor any pipeline pays), a raw fetch of the chart row, and hashing the same documents with
no database. Correctness first: the uploaded photo has no EXIF, the chart read returns every
row, and the verify run reports zero mismatches (then one after a planted edit).
Runs on a throwaway database: SQLite in a temp dir, or DATABASE_URL's server.
"""

from __future__ import annotations

import base64
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import emit, emit_machine

UPLOADS = int(os.environ.get("BENCH_PHOTO_UPLOADS", "12"))
READS = int(os.environ.get("BENCH_CHART_READS", "60"))
SIGNED = int(os.environ.get("BENCH_SIGNED_CHARTS", "100000"))


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def ms(value: float) -> float:
    return round(value * 1000, 1)


def twelve_megapixels() -> bytes:
    """A 4000×3000 JPEG with photo-like content (gradients and noise), EXIF GPS included."""
    from PIL import Image

    base = Image.linear_gradient("L").resize((4000, 3000))
    noise = Image.effect_noise((4000, 3000), 40)
    image = Image.merge("RGB", (base, Image.blend(base, noise, 0.5), noise))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (40.0, 44.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def small_jpeg(seed: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (seed * 9 % 255, 120, 160)).save(out, "JPEG", quality=85)
    return out.getvalue()


def main() -> None:
    data_dir = tempfile.mkdtemp(prefix="medspa-bench-charting-")
    os.environ["MEDSPA_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medspa.settings")
    # Production mode (no query log, no template debugging) with throwaway secrets.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-" + "s" * 60)
    os.environ.setdefault("MEDSPA_FILE_KEY", base64.b64encode(os.urandom(32)).decode())
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases

    settings.ALLOWED_HOSTS = ["*"]
    emit_machine("charting", uploads=UPLOADS, reads=READS, signed_charts=SIGNED)
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("migrate", verbosity=0)
        world = seed_world()
        bench_upload(world, twelve_megapixels(), SimpleUploadedFile)
        chart = seed_chart(world, SimpleUploadedFile)
        bench_chart_read(world, chart, Client, CaptureQueriesContext, connection)
        bench_verify(world, connection)
    finally:
        teardown_databases(old_config, verbosity=0)


def seed_world() -> dict:
    from medspa.accounts.models import Membership, User
    from medspa.charting import services as charting_services
    from medspa.core.actors import Actor
    from medspa.core.models import Clinic, Location
    from medspa.core.permissions import Role
    from medspa.patients import services as patient_services

    clinic = Clinic.objects.create(name="Bench charting", slug="bench-charting", require_mfa=False)
    Location.objects.create(clinic=clinic, name="Main", timezone="America/New_York")
    user = User.objects.create_user("provider@bench.example", "bench-password-123", first_name="Pat", last_name="Vider")
    Membership.objects.create(clinic=clinic, user=user, role=Role.PROVIDER)
    owner = Actor.system(clinic=clinic, label="bench")
    patient = patient_services.patient_create(
        actor=owner, data={"first_name": "Bench", "last_name": "Patient", "clinical_photo_consent": True}
    )
    charting_services.template_library_install(clinic=clinic)
    return {
        "clinic": clinic,
        "user": user,
        "actor": Actor.staff(user=user, clinic=clinic, role=Role.PROVIDER),
        "patient": patient,
    }


def bench_upload(world: dict, data: bytes, uploaded) -> None:
    from PIL import Image

    from medspa.core.files import read_bytes
    from medspa.photos import services as photo_services

    # Baseline: decode, orient and re-encode in-process (no worker, no encryption, no rows).
    floor = []
    for _ in range(max(3, UPLOADS // 3)):
        t0 = time.perf_counter()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=90)
        floor.append(time.perf_counter() - t0)
    latencies = []
    photo = None
    for n in range(UPLOADS):
        t0 = time.perf_counter()
        photo = photo_services.photo_upload(
            actor=world["actor"], patient_id=world["patient"].pk, upload=uploaded(f"face-{n}.jpg", data, "image/jpeg")
        )
        latencies.append(time.perf_counter() - t0)
    stored = read_bytes(photo.file)
    with Image.open(io.BytesIO(stored)) as clean:
        assert not clean.getexif(), "uploaded photo kept EXIF"
        assert clean.size == (4000, 3000)
    emit("photo_upload_12mp.input_bytes", len(data), "B")
    emit("photo_upload_12mp.p50", ms(statistics.median(latencies)), "ms")
    emit("photo_upload_12mp.p95", ms(p95(latencies)), "ms", target_ms=1500, met=p95(latencies) <= 1.5)
    emit(
        "photo_upload_12mp.baseline_reencode_p50", ms(statistics.median(floor)), "ms", note="Pillow decode+encode only"
    )
    emit("photo_upload_12mp.ratio_to_baseline", round(statistics.median(latencies) / statistics.median(floor), 2), "x")


def seed_chart(world: dict, uploaded):
    from medspa.charting import services as charting_services
    from medspa.charting.choices import FACE_ZONES
    from medspa.charting.models import ChartTemplate
    from medspa.photos import services as photo_services

    actor = world["actor"]
    template = ChartTemplate.objects.get(clinic=world["clinic"], key="neurotoxin")
    chart = charting_services.chart_create(actor=actor, patient_id=world["patient"].pk, template_id=template.pk)
    product = str(uuid.uuid4())
    zones = list(FACE_ZONES)
    content = {
        "fields": {"concerns": "Lines", "contraindications_reviewed": True, "tolerance": "Well"},
        "products": [
            {"id": product, "name": "Botox", "lot_number": "C1", "expiry_date": "2099-01-01", "quantity": "120"}
        ],
        "injections": [
            {"zone": zones[i % len(zones)], "units": "3", "product_id": product, "depth": "intramuscular"}
            for i in range(40)
        ],
    }
    chart = charting_services.chart_save(actor=actor, chart_id=chart.pk, content=content, version=chart.version)
    for n in range(20):
        photo_services.photo_upload(
            actor=actor,
            patient_id=world["patient"].pk,
            chart_id=chart.pk,
            upload=uploaded(f"p{n}.jpg", small_jpeg(n), "image/jpeg"),
            phase="before" if n % 2 else "after",
        )
    return chart


def _timed_reads(client, url: str, capture, connection) -> tuple[list[float], int, bytes]:
    latencies = []
    queries = 0
    body = b""
    for _ in range(READS):
        with capture(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            latencies.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
        body = response.content
    return latencies, queries, body


def bench_chart_read(world: dict, chart, client_class, capture, connection) -> None:
    from django.urls import NoReverseMatch, reverse

    from medspa.charting.models import Chart

    client = client_class()
    client.force_login(world["user"])
    api_url = f"/api/charts/{chart.pk}"
    api_latencies, api_queries, body = _timed_reads(client, api_url, capture, connection)
    assert body.count(b'"zone"') == 40, "chart API did not return the 40 injection rows"
    raw = []
    for _ in range(READS):
        t0 = time.perf_counter()
        Chart.objects.filter(pk=chart.pk).values("content").first()
        raw.append(time.perf_counter() - t0)
    emit("chart_api_read.p50", ms(statistics.median(api_latencies)), "ms", photos=20, injections=40)
    emit("chart_api_read.p95", ms(p95(api_latencies)), "ms", target_ms=150, met=p95(api_latencies) <= 0.15)
    emit("chart_api_read.queries", api_queries, "queries")
    emit("chart_row_fetch.baseline_p50", ms(statistics.median(raw)), "ms")
    try:
        page_url = reverse("chart_detail", kwargs={"chart_id": chart.pk})
    except NoReverseMatch:
        emit("chart_page.skipped", None, None, note="no chart_detail page route in this build")
        return
    page_latencies, page_queries, _ = _timed_reads(client, page_url, capture, connection)
    emit("chart_page.p50", ms(statistics.median(page_latencies)), "ms", photos=20, injections=40)
    emit("chart_page.p95", ms(p95(page_latencies)), "ms", target_ms=150, met=p95(page_latencies) <= 0.15)
    emit("chart_page.queries_20_photos_40_rows", page_queries, "queries")
    # The chart's photo block (loaded into the page by htmx): 20 thumbnails with signed URLs.
    block_url = reverse("photos:chart_photos", kwargs={"chart_id": chart.pk})
    block_latencies, block_queries, block = _timed_reads(client, block_url, capture, connection)
    assert block.count(b"/files/") >= 20, "the photo block did not link the 20 thumbnails"
    emit("chart_photo_block.p50", ms(statistics.median(block_latencies)), "ms", photos=20)
    emit("chart_photo_block.p95", ms(p95(block_latencies)), "ms", target_ms=150, met=p95(block_latencies) <= 0.15)
    emit("chart_photo_block.queries_20_photos", block_queries, "queries")
    # Query counts must not grow with photos or rows: the same reads for a chart with 1 photo, 2 rows.
    small = _small_chart(world)
    small_page = reverse("chart_detail", kwargs={"chart_id": small.pk})
    _, small_queries, _ = _timed_reads(client, small_page, capture, connection)
    small_block_url = reverse("photos:chart_photos", kwargs={"chart_id": small.pk})
    _, small_block, _ = _timed_reads(client, small_block_url, capture, connection)
    emit("chart_page.queries_1_photo_2_rows", small_queries, "queries", grows_with_rows=page_queries > small_queries)
    emit("chart_photo_block.queries_1_photo", small_block, "queries", grows_with_photos=block_queries > small_block)


def _small_chart(world: dict):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from medspa.charting import services as charting_services
    from medspa.charting.models import ChartTemplate
    from medspa.photos import services as photo_services

    actor = world["actor"]
    template = ChartTemplate.objects.get(clinic=world["clinic"], key="neurotoxin")
    chart = charting_services.chart_create(actor=actor, patient_id=world["patient"].pk, template_id=template.pk)
    product = str(uuid.uuid4())
    content = {
        "products": [
            {"id": product, "name": "Botox", "lot_number": "C1", "expiry_date": "2099-01-01", "quantity": "8"}
        ],
        "injections": [{"zone": "glabella", "units": "4", "product_id": product}, {"zone": "chin", "units": "4"}],
    }
    chart = charting_services.chart_save(actor=actor, chart_id=chart.pk, content=content, version=chart.version)
    photo_services.photo_upload(
        actor=actor,
        patient_id=world["patient"].pk,
        chart_id=chart.pk,
        upload=SimpleUploadedFile("s.jpg", small_jpeg(1)),
    )
    return chart


def bench_verify(world: dict, connection) -> None:
    """Seed SIGNED signed charts in bulk with real hashes, then time `verify_charts`."""
    from django.db import transaction
    from django.utils import timezone

    from medspa.charting.choices import SIGNATURE_MEANINGS, ChartStatus, SignatureKind
    from medspa.charting.models import Chart, ChartSignature, ChartTemplateVersion
    from medspa.charting.signing import chart_document, chart_row, sha256, signature_document, verify_charts
    from medspa.core.audit import append_only_suspended

    clinic, user, patient = world["clinic"], world["user"], world["patient"]
    version = ChartTemplateVersion.objects.get(clinic=clinic, template__key="soap-note")
    now = timezone.now()
    t0 = time.perf_counter()
    batch = 5000
    hashing = 0.0
    for start in range(0, SIGNED, batch):
        charts, signatures = [], []
        for n in range(start, min(start + batch, SIGNED)):
            chart = Chart(
                clinic=clinic,
                patient=patient,
                provider=user,
                template_version=version,
                status=ChartStatus.LOCKED,
                treated_at=now,
                content={
                    "fields": {"subjective": f"Visit {n}", "objective": "Well", "assessment": "Fine", "plan": "Return"},
                    "products": [],
                    "injections": [],
                    "aftercare": "",
                    "notes": "",
                    "photos": [],
                },
            )
            h0 = time.perf_counter()
            content_hash = sha256(chart_document(chart_row(chart)))
            values = {
                "chart_id": chart.pk,
                "amendment_id": None,
                "kind": SignatureKind.PROVIDER,
                "signer_id": user.pk,
                "signer_name": "Pat Vider",
                "signer_role": "provider",
                "meaning": SIGNATURE_MEANINGS[SignatureKind.PROVIDER],
                "signed_at": now,
                "content_hash": content_hash,
                "override_reason": "",
            }
            signature = ChartSignature(clinic=clinic, signature_hash=sha256(signature_document(values)), **values)
            hashing += time.perf_counter() - h0
            chart.provider_signature_id = signature.pk
            charts.append(chart)
            signatures.append(signature)
        with transaction.atomic():
            # Rows arrive already signed; the FK between chart and signature is circular, so the
            # chart rows go in first without it and are pointed at their signatures after.
            for chart in charts:
                chart.provider_signature_id = None
            Chart.objects.bulk_create(charts, batch_size=1000)
            ChartSignature.objects.bulk_create(signatures, batch_size=1000)
            for chart, signature in zip(charts, signatures, strict=True):
                chart.provider_signature_id = signature.pk
            Chart.objects.bulk_update(charts, ["provider_signature"], batch_size=1000)
    seed = time.perf_counter() - t0
    emit("charts_verify.seed", round(seed, 1), "s", charts=SIGNED)
    t0 = time.perf_counter()
    checked, problems = verify_charts(clinic_id=clinic.pk)
    elapsed = time.perf_counter() - t0
    assert problems == [], problems[:3]
    assert checked >= SIGNED
    emit("charts_verify.rate", round(checked / elapsed), "charts/s", charts=checked, seconds=round(elapsed, 2))
    emit(
        "charts_verify.baseline_hash_only_rate",
        round(SIGNED / hashing),
        "charts/s",
        note="hashing the same documents in memory",
    )
    # Correctness: a planted edit is found.
    victim = Chart.objects.filter(clinic=clinic, status=ChartStatus.LOCKED).first()
    with append_only_suspended():
        Chart.objects.filter(pk=victim.pk).update(content={**victim.content, "notes": "edited"})
    _, problems = verify_charts(clinic_id=clinic.pk)
    emit("charts_verify.planted_edits_found", len(problems), "mismatches", expected=1, backend=connection.vendor)


if __name__ == "__main__":
    main()
