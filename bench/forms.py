"""Forms and consents: a returning patient opening a 60-question medical history (with
conditions) from their link, submitting it through the API, and the standing of every required
form for a day of 400 appointments.

(a) The patient's page `/f/<token>/` (server time through the Django test client) for a fresh
    link each run: the first opening is recorded and audited, the answers are prefilled from
    the patient's previous submission. Baseline in the same run: the service path alone
    (`link_open` + `prefill` + the definition as JSON). When the page route is missing or
    refuses, only the service path is measured (see `page_or_service`).
(b) Submitting the same form with the link's token: `POST /api/forms/{id}/submit`, a drawn
    signature and a typed one. Baseline: `form_submit_link` called directly (no HTTP).
    Correctness first: 201, the same submission (200) when sent again, hidden answers dropped,
    and `consents_verify` finds no mismatch.
(c) `standings_for` over a day of 400 appointments of ~300 patients with ~6 required forms
    each, on 3 years of submissions (expired, outdated by a material change, revoked, missing)
    of 3,550 patients. Baseline: the naive loop, one `appointment_standing` per
    appointment; both must agree.
Runs on a throwaway database: SQLite in a temp dir, or DATABASE_URL's server.
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import emit, emit_machine

RUNS = int(os.environ.get("BENCH_FORM_RUNS", "60"))
STANDING_RUNS = int(os.environ.get("BENCH_STANDING_RUNS", "30"))
NAIVE_RUNS = int(os.environ.get("BENCH_STANDING_NAIVE_RUNS", "3"))
BACKGROUND_PATIENTS = int(os.environ.get("BENCH_FORM_PATIENTS", "3000"))
SEED = 20260214


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def ms(value: float) -> float:
    return round(value * 1000, 1)


class Timings:
    """Wall-clock and this process's CPU time of each run: other work on the machine stretches
    the first much more than the second (the database server's time is only in the first)."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    @contextmanager
    def run(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall.append(time.perf_counter() - wall)
        self.cpu.append(time.process_time() - cpu)

    @property
    def p50(self) -> float:
        return statistics.median(self.wall)


def report(name: str, timings: Timings, *, target_ms: float | None = None, **extra) -> None:
    wall = timings.wall
    cpu = {"cpu_p50_ms": ms(statistics.median(timings.cpu)), "cpu_p95_ms": ms(p95(timings.cpu))}
    emit(f"{name}.p50", ms(statistics.median(wall)), "ms", runs=len(wall), **extra)
    gate = {} if target_ms is None else {"target_ms": target_ms, "met": p95(wall) * 1000 <= target_ms}
    emit(f"{name}.p95", ms(p95(wall)), "ms", **gate, **cpu)


def main() -> None:
    data_dir = tempfile.mkdtemp(prefix="medspa-bench-forms-")
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
    from django.core.management import call_command
    from django.test.utils import setup_databases, teardown_databases

    settings.ALLOWED_HOSTS = ["*"]
    emit_machine("forms", runs=RUNS, standing_runs=STANDING_RUNS, background_patients=BACKGROUND_PATIENTS)
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("migrate", verbosity=0)
        world = seed_world()
        form = history_form(world)
        bench_page(world, form)
        bench_submit(world, form)
        bench_standings(world)
    finally:
        teardown_databases(old_config, verbosity=0)


# --- the clinic ------------------------------------------------------------------------------


def seed_world() -> dict:
    """The busy clinic of the scheduling benchmarks (28 providers, the 30-service menu, 550
    patients) with the form library, and one returning patient with an email address."""
    from _clinic import make_clinic

    from medspa.consents import services
    from medspa.patients.models import Patient

    bench = make_clinic("forms", providers=28, patients=550)
    services.form_library_install(clinic=bench.clinic)
    patient = Patient.objects.get(pk=bench.patients[0])
    Patient.objects.filter(pk=patient.pk).update(email="returning@forms.bench.test", medications=["Vitamin D"])
    return {"bench": bench, "clinic": bench.clinic, "actor": bench.actor, "patient_id": patient.pk}


def _field(key, label, kind="yes_no", *, required=True, show_if=None, options=()):
    return {
        "key": key,
        "label": label,
        "type": kind,
        "required": required,
        "options": list(options),
        "show_if": show_if,
    }


def _yes(key):
    return {"field": key, "op": "equals", "value": "yes"}


def _extra_sections() -> list[dict]:
    """35 more questions in the library's style: yes/no with a detail shown on yes, choices,
    a scale, and one section shown only to patients who answered a question before it."""
    topics = [
        ("skin", "Your skin", ["acne", "rosacea", "eczema", "melasma", "sun_damage"]),
        ("surgery", "Surgery and procedures", ["facial_surgery", "implants", "dental_work", "recent_surgery"]),
        ("family", "Family history", ["family_keloids", "family_bleeding", "family_skin_cancer"]),
        ("lifestyle", "Lifestyle", ["sun_exposure", "alcohol", "fitness"]),
    ]
    sections = []
    for key, title, questions in topics:
        fields = []
        for q in questions:
            label = q.replace("_", " ").capitalize()
            fields.append(_field(q, f"{label}?"))
            fields.append(_field(f"{q}_detail", f"Tell us more about {label.lower()}", "long_text", show_if=_yes(q)))
        sections.append({"key": key, "title": title, "show_if": None, "fields": fields})
    sections[0]["fields"].append(
        _field(
            "skin_goal",
            "Main skin goal",
            "single_choice",
            options=["Fewer lines", "Even tone", "Less redness", "Clearer skin", "Firmer skin"],
        )
    )
    sections[0]["fields"].append(_field("skin_sensitivity", "How sensitive is your skin?", "scale", required=False))
    sections[3]["fields"].append(
        _field(
            "sunscreen",
            "Sunscreen",
            "multi_choice",
            required=False,
            options=["Daily", "Outdoors only", "Rarely", "Never"],
        )
    )
    sections.append(
        {
            "key": "sun",
            "title": "Sun habits",
            "show_if": _yes("sun_exposure"),
            "fields": [
                _field("tanning_beds", "Do you use tanning beds?"),
                _field("recent_tan", "Have you tanned in the last 4 weeks?"),
            ],
        }
    )
    return sections


def history_definition() -> dict:
    """The library's medical history (25 questions) with 35 more: 60 fields, 25 conditional."""
    from medspa.consents.definition import all_fields
    from medspa.consents.library import LIBRARY

    base = LIBRARY["medical-history"]["definition"]
    sections = [s for s in base["sections"] if s["key"] not in ("confirm", "signature")]
    closing = [s for s in base["sections"] if s["key"] in ("confirm", "signature")]
    definition = {"sections": [*sections, *_extra_sections(), *closing], "scoring": []}
    fields = all_fields(definition)
    assert len(fields) == 60, len(fields)
    return definition


def history_answers() -> dict:
    """A returning patient's answers: two conditions shown (medications, allergies), a hidden
    question answered anyway (dropped), the sun section shown."""
    answers = {
        "date_of_birth": "1988-06-12",
        "occupation": "Teacher",
        "goals": "Softer frown lines",
        "conditions": ["None of these"],
        "pregnant": "no",
        "pregnant_detail": "hidden: must be dropped",
        "smoker": "no",
        "general_health": 8,
        "takes_medications": "yes",
        "takes_medications_detail": "Vitamin D\nLevothyroxine",
        "blood_thinners": "no",
        "isotretinoin": "no",
        "has_allergies": "yes",
        "has_allergies_detail": "Latex",
        "prior_treatments": ["None"],
        "prior_reaction": "no",
        "accurate": True,
        "printed_name": "Pat Bench",
        "skin_goal": "Even tone",
        "skin_sensitivity": 4,
        "sunscreen": ["Daily"],
        "tanning_beds": "no",
        "recent_tan": "no",
    }
    for question in (
        "acne",
        "rosacea",
        "eczema",
        "melasma",
        "sun_damage",
        "facial_surgery",
        "implants",
        "dental_work",
        "recent_surgery",
        "family_keloids",
        "family_bleeding",
        "family_skin_cancer",
        "alcohol",
        "fitness",
    ):
        answers[question] = "no"
    answers["sun_exposure"] = "yes"
    answers["sun_exposure_detail"] = "Weekend hiking"
    return answers


def history_form(world: dict):
    from medspa.consents import services

    form = services.form_create(
        actor=world["actor"],
        name="Medical history (full)",
        kind="intake",
        definition=history_definition(),
        valid_days=365,
        publish=True,
    )
    # A returning patient: last year's answers are there to prefill from.
    sent = send_link(world, form)
    services.form_submit_link(token=sent.token, answers=history_answers(), signatures=typed())
    return form


def send_link(world: dict, form):
    from medspa.consents import services

    return services.form_send(actor=world["actor"], form_id=form.pk, patient_id=world["patient_id"], channel="copy")


def typed() -> dict:
    return {"signature": {"method": "typed", "name": "Pat Bench"}}


def drawn() -> dict:
    """A signature pad's PNG (600×200, a few strokes) as its data URL."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    pen = ImageDraw.Draw(image)
    rng = random.Random(SEED)
    points = [(20 + i * 9, 100 + rng.randint(-40, 40)) for i in range(62)]
    pen.line(points, fill=(20, 20, 60, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return {
        "signature": {"method": "drawn", "image": "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()}
    }


# --- (a) the patient's page ------------------------------------------------------------------


def service_path(token: str) -> bytes:
    """What any rendering of the patient's page needs: the link opened (first opening audited),
    the answers to start from, and the definition serialised for the browser."""
    from medspa.consents import services

    link = services.link_open(token)
    answers = services.prefill(link)
    return json.dumps({"form": link.version.name, "definition": link.version.definition, "answers": answers}).encode()


def page_or_service(client, path: str, token: str, n: int) -> tuple[str, bytes]:
    """The patient's page through the Django test client when the route exists; otherwise
    the service path. (Switch point: the page is `/f/<token>/`, `consents.patient_views`.)"""
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return "service", service_path(token)
    # One address per run: the page's per-IP read limit is not what is measured.
    response = client.get(path, REMOTE_ADDR=f"10.{n // 65000 % 250}.{n // 250 % 250}.{n % 250 + 1}")
    if response.status_code != 200:
        return f"page-{response.status_code}", response.content
    return "page", response.content


def bench_page(world: dict, form) -> None:
    from django.test import Client

    from medspa.consents.models import FormLink

    links = [send_link(world, form) for _ in range(RUNS * 2 + 4)]
    client = Client()  # one client: a new one loads the middleware again
    # Warm-up (templates, first queries), then the baseline and the page on fresh links.
    for sent in links[:2]:
        service_path(sent.token)
    for sent in links[2:4]:
        page_or_service(client, sent.path, sent.token, 0)
    baseline, page = Timings(), Timings()
    for sent in links[4 : 4 + RUNS]:
        with baseline.run():
            body = service_path(sent.token)
    assert b"takes_medications_detail" in body and b"Levothyroxine" in body, "prefill did not carry the answers"
    via = ""
    for n, sent in enumerate(links[4 + RUNS :], start=1):
        with page.run():
            via, content = page_or_service(client, sent.path, sent.token, n)
    opened = FormLink.objects.filter(pk__in=[s.link.pk for s in links[4:]], opened_at__isnull=False).count()
    assert opened == RUNS * 2, "every link's first opening is recorded"
    if via == "page":
        assert b"Tell us more about" in content or b"Medical history" in content, "the page did not render the form"
    emit("patient_form_open.fields", 60, "fields", conditional=25, via=via)
    report("patient_form_open.service_path", baseline, note="link_open + prefill + definition JSON")
    if via.startswith("page"):
        report("patient_form_page", page, target_ms=80, status=via, bytes=len(content))
        emit("patient_form_page.ratio_to_service_path", round(page.p50 / baseline.p50, 2), "x")
    else:
        emit("patient_form_page.skipped", None, None, note="no /f/<token>/ route in this build; service path only")
        report("patient_form_open.service_path_gate", baseline, target_ms=80)


# --- (b) submitting --------------------------------------------------------------------------


def bench_submit(world: dict, form) -> None:
    from django.core.cache import cache
    from django.test import Client

    from medspa.consents import services
    from medspa.consents.models import FormSubmission

    answers = history_answers()
    url = f"/api/forms/{form.pk}/submit"

    client = Client()  # one client: a new one loads the middleware again

    def post(token: str, signatures: dict, n: int):
        body = json.dumps({"token": token, "answers": answers, "signatures": signatures})
        address = f"10.200.{n // 250 % 250}.{n % 250 + 1}"
        return client.post(url, data=body, content_type="application/json", REMOTE_ADDR=address)

    # Correctness first.
    sent = send_link(world, form)
    first = post(sent.token, drawn(), 0)
    assert first.status_code == 201, first.content[:300]
    again = post(sent.token, drawn(), 0)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"], "submitting twice is not idempotent"
    stored = FormSubmission.objects.get(pk=first.json()["id"])
    assert "pregnant_detail" not in stored.answers, "a hidden answer was stored"
    for _ in range(2):  # warm-up
        post(send_link(world, form).token, typed(), 1)
        services.form_submit_link(token=send_link(world, form).token, answers=answers, signatures=typed())
    results = {}
    for label, signatures in (("drawn", drawn()), ("typed", typed())):
        tokens = [send_link(world, form).token for _ in range(RUNS)]
        api = Timings()
        for n, token in enumerate(tokens, start=2):
            cache.clear()  # the per-IP limit on link submissions is not what is measured
            with api.run():
                response = post(token, signatures, n)
            assert response.status_code == 201, response.content[:300]
        direct = Timings()
        for token in [send_link(world, form).token for _ in range(RUNS)]:
            with direct.run():
                services.form_submit_link(token=token, answers=answers, signatures=signatures)
        results[label] = (api, direct)
    from django.conf import settings

    for label, (api, direct) in results.items():
        # A drawn signature is decoded and re-encoded like every upload (in a worker process
        # unless MEDSPA_FILE_DECODE_IN_WORKER is off), then stored encrypted.
        where = {"decode_in_worker": settings.FILE_DECODE_IN_WORKER} if label == "drawn" else {}
        report(f"form_submit_api.{label}_signature", api, target_ms=80, fields=60, **where)
        report(f"form_submit_service.{label}_signature_baseline", direct, note="form_submit_link, no HTTP")
        emit(
            f"form_submit_api.{label}_ratio_to_service",
            round(api.p50 / direct.p50, 2),
            "x",
        )
    checked, problems = services.consents_verify(clinic_id=world["clinic"].pk)
    assert problems == [], problems[:3]
    emit("form_submit.verified", checked, "submissions", mismatches=len(problems))


# --- (c) standings for a day -----------------------------------------------------------------

# Every visit needs these; each service adds its consent, a screening and the aftercare sheet.
EVERY_VISIT = ("medical-history", "financial-policy", "photo-release")


def _service_forms(name: str) -> tuple[str, str]:
    lowered = name.lower()
    if "neurotoxin" in lowered or "kybella" in lowered:
        return "neurotoxin-consent", "neurotoxin-screening"
    if "filler" in lowered or "thread" in lowered:
        return "filler-consent", "filler-screening"
    if "laser" in lowered or "ipl" in lowered or "tattoo" in lowered:
        return "laser-consent", "fitzpatrick"
    if "peel" in lowered or "microneedling" in lowered or "dermaplaning" in lowered:
        return "peel-consent", "fitzpatrick"
    return "treatment-consent", "fitzpatrick"


def seed_requirements(world: dict) -> dict:
    """Requirements as a clinic would set them (~6 forms per visit); a material change of two
    forms half a year ago (earlier signatures must be renewed). Returns the forms by key."""
    from medspa.consents import selectors, services
    from medspa.consents.models import Form, FormVersion

    actor, bench = world["actor"], world["bench"]
    generic = services.form_create(
        actor=actor,
        name="Treatment consent",
        kind="consent",
        definition=Form.objects.get(clinic=bench.clinic, key="peel-consent").versions.get().definition,
        valid_days=365,
        publish=True,
    )
    Form.objects.filter(pk=generic.pk).update(key="treatment-consent")
    forms = {f.key: f for f in Form.objects.filter(clinic=bench.clinic)}
    for key in EVERY_VISIT:
        services.requirements_set(actor=actor, form_id=forms[key].pk, rules=[{}])
    rules: dict[str, list] = {}
    for name, service in bench.services.items():
        for key in (*_service_forms(name), "post-care"):
            rules.setdefault(key, []).append({"service_id": str(service.pk)})
    for key, found in rules.items():
        services.requirements_set(actor=actor, form_id=forms[key].pk, rules=found)
    for key in ("neurotoxin-consent", "photo-release"):
        version = selectors.current_version(forms[key])
        services.form_update(actor=actor, form_id=forms[key].pk, definition=version.definition)
        services.form_publish(actor=actor, form_id=forms[key].pk, material=True, note="New risk paragraph")
    forms = {f.key: f for f in Form.objects.filter(clinic=bench.clinic)}
    versions = {(v.form_id, v.number): v for v in FormVersion.objects.filter(clinic=bench.clinic)}
    return {"forms": forms, "versions": versions, "required": sorted({*EVERY_VISIT, *rules})}


def seed_history(world: dict, required: dict, appointments: list, rng: random.Random) -> int:
    """Three years of submissions: for each patient (the clinic's 300 and 3,000 more) each form
    they would have needed, signed 0–3 times at random times; 2% revoked. Then what booking
    sends ahead of a visit: most of tomorrow's patients completed most of their forms in the
    last weeks. Written in bulk: the standing reads ids, versions, times and revocations,
    never the hashes."""
    from medspa.consents.models import FormRevocation, FormSubmission
    from medspa.patients.models import Patient

    clinic = world["clinic"]
    more = Patient.objects.bulk_create(
        Patient(clinic=clinic, first_name=f"Past{n}", last_name="Bench") for n in range(BACKGROUND_PATIENTS)
    )
    patients = [uuid.UUID(p) for p in world["bench"].patients] + [p.pk for p in more]
    now = datetime.now(tz=UTC)
    change = now - timedelta(days=180)  # the material changes, as far as history is concerned
    forms = required["forms"]
    rows, revoked = [], []

    def add(patient_id, form, at) -> None:
        number = form.current_version if (form.material_version == 1 or at >= change) else 1
        rows.append(
            FormSubmission(
                clinic=clinic,
                form=form,
                version=required["versions"][(form.pk, number)],
                patient_id=patient_id,
                answers={"printed_name": "Pat Bench"},
                signatures=[{"field": "signature", "method": "typed", "name": "Pat Bench"}],
                document={"form": form.name, "version": number, "sections": []},
                via=rng.choice(("link", "link", "kiosk", "staff")),
                signer_name="Pat Bench",
                submitted_at=at,
                expires_at=at + timedelta(days=form.valid_days) if form.valid_days else None,
                content_hash="0" * 64,
                signature_hash="0" * 64,
            )
        )
        if rng.random() < 0.02:
            revoked.append(rows[-1])

    for patient_id in patients:
        for key in required["required"]:
            if key in EVERY_VISIT or rng.random() < 0.35:
                for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
                    add(patient_id, forms[key], now - timedelta(days=rng.uniform(1, 3 * 365)))
    names = {service.pk: name for name, service in world["bench"].services.items()}
    for appointment in appointments:
        for key in (*EVERY_VISIT, *_service_forms(names[appointment.service_id]), "post-care"):
            if rng.random() < 0.9:
                add(appointment.patient_id, forms[key], now - timedelta(days=rng.uniform(1, 30)))
    FormSubmission.objects.bulk_create(rows, batch_size=2000)
    FormRevocation.objects.bulk_create(
        (
            FormRevocation(
                clinic=clinic,
                submission=s,
                patient_id=s.patient_id,
                reason="Changed mind",
                by_patient=True,
                revoked_at=s.submitted_at + timedelta(days=3),
            )
            for s in revoked
        ),
        batch_size=2000,
    )
    return len(rows)


def bench_standings(world: dict) -> None:
    from zoneinfo import ZoneInfo

    from _clinic import ZONE, seed_appointments
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from medspa.consents import selectors
    from medspa.consents.choices import FormStatus
    from medspa.scheduling.models import Appointment

    rng = random.Random(SEED)
    required = seed_requirements(world)
    day = datetime.now(tz=ZoneInfo(ZONE)).date() + timedelta(days=1)
    seed_appointments(connection, world["bench"], day, 1, 16, rng, past=False)
    clinic = world["clinic"]
    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(ZONE))
    day_rows = Appointment.objects.filter(clinic=clinic, start_at__gte=start, start_at__lt=start + timedelta(days=1))

    columns = ("id", "patient_id", "service_id", "provider_id", "start_at")

    def load():  # the calendar's day, as many as the benchmark's 400
        return list(day_rows.only(*columns).order_by("start_at")[:400])

    appointments = load()
    t0 = time.perf_counter()
    history = seed_history(world, required, appointments, rng)
    emit("standings.history_seed", round(time.perf_counter() - t0, 1), "s", submissions=history)
    patients = len({a.patient_id for a in appointments})
    # Correctness: the batched standings equal the naive loop's.
    batched = selectors.standings_for(clinic_id=clinic.pk, appointments=appointments)
    naive_result = {
        a.pk: selectors.appointment_standing(actor=world["actor"], appointment_id=a.pk) for a in appointments
    }
    assert batched == naive_result, "batched standings differ from the naive loop"
    per = [len(s.forms) for s in batched.values()]
    counts: dict = {}
    for standing in batched.values():
        for r in standing.forms:
            counts[r.status] = counts.get(r.status, 0) + 1
    emit(
        "standings.day",
        len(appointments),
        "appointments",
        patients=patients,
        required_forms_mean=round(statistics.mean(per), 2),
        statuses={s: counts.get(s, 0) for s in FormStatus.values},
        complete_visits=sum(1 for s in batched.values() if s.ok),
    )
    for _ in range(3):  # warm-up
        selectors.standings_for(clinic_id=clinic.pk, appointments=appointments)
    compute, end_to_end = Timings(), Timings()
    for _ in range(STANDING_RUNS):
        with compute.run():
            selectors.standings_for(clinic_id=clinic.pk, appointments=appointments)
        with end_to_end.run():
            selectors.standings_for(clinic_id=clinic.pk, appointments=load())
    with CaptureQueriesContext(connection) as ctx:
        selectors.standings_for(clinic_id=clinic.pk, appointments=appointments)
    naive = Timings()
    for _ in range(NAIVE_RUNS):
        with naive.run():
            for a in appointments:
                selectors.appointment_standing(actor=world["actor"], appointment_id=a.pk)
    report("standings.day_400", compute, target_ms=200, queries=len(ctx.captured_queries))
    report("standings.day_400_with_appointment_load", end_to_end, target_ms=200)
    report("standings.naive_per_appointment_baseline", naive)
    emit("standings.ratio_naive_to_batched", round(naive.p50 / compute.p50, 1), "x")


if __name__ == "__main__":
    main()
