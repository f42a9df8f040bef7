"""portal.*: the public online booking portal on the availability benchmark's busy clinic.

The clinic of `_clinic.py` (20 providers, 5 rooms, 2 lasers, the 30-service menu, every service
bookable online, 08:00–20:00 with a lunch break in America/New_York), about 30 appointments per
provider per day for the next 57 days and two years of history, written in bulk (no provider,
room unit or laser unit double-booked). Its portal is turned on through the real settings
service. Correctness first, then timing (p50/p95 after a warm-up, one cold run recorded):

1. Time picker, 7 days from tomorrow, "anyone" practitioner, for two services: the
   availability benchmark's searched one (IPL photofacial: a laser room and a laser; few free
   times, tag "laser") and the most booked one (Neurotoxin: 15 minutes, no room; many free
   times, so the largest page fragment, tag "common"):
   - baseline: the raw engine call `scheduling.selectors.online_slots` for the same search;
   - `booking.selectors.public_availability` in process;
   - `GET /api/public/<slug>/availability?service_ids=..&start_date=..&days=7` and the page
     fragment `GET /book/<slug>/times/?services=..&start=..&days=7` through Django's test client
     (the whole middleware stack; each request from its own client address, as patients are);
   - for the laser search, the same two through a running server (`medspa serve`, one
     keep-alive connection) unless BENCH_SERVER=0.
   Checked first: the selector's times are exactly the engine's slots, the API returns the
   selector's days, and the fragment offers every one of those times.
   Target: p95 < 60 ms; the ratio to the engine call is reported. In-process figures carry this
   process's CPU time next to the wall time, since other work on the machine inflates the latter.
2. Booking: `POST /api/public/<slug>/holds` then `POST /api/public/<slug>/bookings` (with an
   Idempotency-Key), each request timed, for BENCH_BOOKINGS new patients booking Neurotoxin
   at free times picked at random from the portal's own 14-day availability (a practitioner
   named half of the time, "anyone" otherwise; each patient from its own client address).
   Baseline: the same two steps through the services in process (`portal_hold`,
   `portal_submit`). Checked after: every booking answered "booked" and made exactly one visit
   with one appointment, its hold is booked, no hold reservation is left active, no provider,
   room or equipment unit has overlapping active reservations, and no provider has two live
   appointments at one start.
   Target: the booking POST p95 < 100 ms (the hold and the sum are reported alongside).
3. First page weight: `GET /book/<slug>/` plus every stylesheet, script, image, icon and
   preload it references, bytes as served (no compression asked for). When the page is not
   there (no route, no template, an error) the figure is null with the reason.
   Target: < 150 KB (150,000 bytes).

Django runs in production mode (DEBUG=false) in this process and in the server.

Database: SQLite in a temp dir under MEDSPA_DATA_DIR (or the system temp dir), or DATABASE_URL's
server (PostgreSQL: a fresh test database next to it, created and dropped by setup_databases).

Environment knobs: BENCH_REPS (50), BENCH_BOOKINGS (40), BENCH_HISTORY_DAYS (730),
BENCH_HISTORY_PER_DAY (17), BENCH_PER_DAY (30), BENCH_SERVER (auto|0), BENCH_SEED (11),
BENCH_STRICT=1 (exit 1 when a target is missed).
"""

from __future__ import annotations

import base64
import logging
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import database_backend, emit, emit_machine
from availability import ms, percentile

BENCH = "portal"
logging.getLogger("httpx").setLevel(logging.WARNING)
REPS = max(30, int(os.environ.get("BENCH_REPS", "50")))
BOOKINGS = max(10, int(os.environ.get("BENCH_BOOKINGS", "40")))
HISTORY_DAYS = int(os.environ.get("BENCH_HISTORY_DAYS", "730"))
HISTORY_PER_DAY = int(os.environ.get("BENCH_HISTORY_PER_DAY", "17"))
PER_DAY = int(os.environ.get("BENCH_PER_DAY", "30"))
SEED = int(os.environ.get("BENCH_SEED", "11"))
FUTURE_DAYS = 57
WINDOW_DAYS = 7
BOOKING_DAYS = 14  # bookings are spread over the portal's longest window
COMMON = "Neurotoxin"  # the most booked service: 15 minutes, no room, no equipment
WARM = 3
SERVICE_BASELINE_BOOKINGS = 15
AREA_CODES = (212, 646, 718, 917, 347, 332)  # (xxx) 555-01nn: fictional, valid numbers
TARGETS = {"time_picker_p95_ms": 60.0, "booking_post_p95_ms": 100.0, "first_page_bytes": 150_000}


def stats(values: list[float], cpu: list[float] | None = None) -> dict:
    out = {
        "p50_ms": ms(percentile(values, 0.5)),
        "p95_ms": ms(percentile(values, 0.95)),
        "p99_ms": ms(percentile(values, 0.99)),
        "n": len(values),
    }
    if cpu:
        # This process's CPU time for the same calls: less swayed by other work on the machine
        # (the database server's own time is not in it on PostgreSQL).
        out["cpu_p50_ms"], out["cpu_p95_ms"] = ms(percentile(cpu, 0.5)), ms(percentile(cpu, 0.95))
    return out


class Timings(list):
    """Wall-clock seconds per call, with this process's CPU seconds per call in `.cpu`."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: list[float] = []


def timed(fn, reps: int = REPS, warm: int = WARM) -> tuple[Timings, float]:
    """(timings after the warm-up, the first, cold, run)."""
    started = time.perf_counter()
    fn()
    cold = time.perf_counter() - started
    for _ in range(max(0, warm - 1)):
        fn()
    out = Timings()
    for _ in range(reps):
        cpu = time.process_time()
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
        out.cpu.append(time.process_time() - cpu)
    return out, cold


class Visitors:
    """A distinct client address per patient (the portal limits requests per address)."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return f"10.{(self.n >> 16) & 255}.{(self.n >> 8) & 255}.{self.n & 255}"


def details(n: int) -> dict:
    area = AREA_CODES[(n // 100) % len(AREA_CODES)]
    return {
        "first_name": f"Online{n}",
        "last_name": "Bench",
        "phone": f"({area}) 555-{100 + n % 100:04d}",
        "email": f"online{n}@portal.bench.test",
    }


class Assets(HTMLParser):
    """What a page makes the browser fetch: stylesheets, scripts, images, icons, preloads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = dict(attrs)
        rel = set((attrs.get("rel") or "").lower().split())
        if tag == "link" and attrs.get("href") and rel & {"stylesheet", "icon", "preload", "modulepreload"}:
            self.urls.append(("link:" + "/".join(sorted(rel)), attrs["href"]))
        elif tag == "script" and attrs.get("src"):
            self.urls.append(("script", attrs["src"]))
        elif tag == "img" and attrs.get("src"):
            self.urls.append(("img", attrs["src"]))


def body_bytes(response) -> bytes:
    """The body as the client receives it (static files stream, sometimes asynchronously)."""
    if not getattr(response, "streaming", False):
        return response.content
    content = response.streaming_content
    if hasattr(content, "__aiter__"):
        import asyncio

        async def collect() -> bytes:
            return b"".join([chunk async for chunk in content])

        return asyncio.run(collect())
    return b"".join(content)


def page_weight(fetch, path: str) -> dict:
    """Bytes of the page and of everything it references, fetched one by one (`fetch(url)` ->
    (status, bytes)). Null with the reason when the page itself does not answer 200."""
    status, html = fetch(path)
    if status != 200:
        return {"bytes": None, "reason": f"GET {path} answered {status}", "status": status}
    parser = Assets()
    parser.feed(html.decode("utf-8", errors="replace"))
    assets, missing, external = [], [], []
    for kind, url in dict.fromkeys(parser.urls):
        target = urljoin(path, url)
        if urlsplit(target).netloc:
            external.append(url)
            continue
        got, content = fetch(target)
        if got != 200:
            missing.append({"url": target, "status": got})
            continue
        assets.append({"kind": kind, "url": target, "bytes": len(content)})
    total = len(html) + sum(a["bytes"] for a in assets)
    return {
        "bytes": total,
        "html_bytes": len(html),
        "assets": assets,
        "missing": missing,
        "external_not_counted": external,
        "complete": not missing and not external,
    }


def template_state() -> dict:
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    out = {}
    for name in ("booking/portal/services.html", "booking/portal/partials/times.html"):
        try:
            get_template(name)
            out[name] = "present"
        except TemplateDoesNotExist:
            out[name] = "missing"
    return out


def main() -> int:
    parent = os.environ.get("MEDSPA_DATA_DIR") or None
    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="medspa-bench-portal-", dir=parent))
    os.environ["MEDSPA_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medspa.settings")
    # Production mode, as patients meet it: no query log, no template debugging, real keys.
    os.environ["DEBUG"] = "false"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-" + "s" * 60)
    os.environ.setdefault("MEDSPA_FILE_KEY", base64.b64encode(os.urandom(32)).decode())
    import django

    django.setup()
    from _clinic import SEARCHED, make_clinic, seed_appointments
    from availability import overlapping_reservations, refresh_statistics
    from django.db import connection, transaction
    from django.test.utils import setup_databases, teardown_databases

    from medspa.booking import selectors
    from medspa.booking import services as booking_services

    backend = database_backend()
    emit_machine(
        BENCH,
        reps=REPS,
        bookings=BOOKINGS,
        history_days=HISTORY_DAYS,
        history_per_day=HISTORY_PER_DAY,
        per_day=PER_DAY,
        service=SEARCHED,
        window_days=WINDOW_DAYS,
    )
    old_config = setup_databases(verbosity=0, interactive=False)
    summary: dict = {"targets": TARGETS, "figures": {}, "met": {}, "notes": []}
    try:
        rng = random.Random(SEED)
        started = time.perf_counter()
        bench = make_clinic("portal", 20)
        zone = ZoneInfo(bench.location.timezone)
        today = datetime.now(tz=zone).date()
        with transaction.atomic():
            seed_appointments(connection, bench, today, FUTURE_DAYS, PER_DAY, rng, past=False)
            if HISTORY_DAYS:
                seed_appointments(
                    connection,
                    bench,
                    today - timedelta(days=HISTORY_DAYS),
                    HISTORY_DAYS,
                    HISTORY_PER_DAY,
                    rng,
                    past=True,
                )
        refresh_statistics(connection)
        booking_services.settings_update(bench.actor, values={"enabled": True})
        portal = selectors.portal_for(bench.clinic.slug)
        menu = {s["name"]: s for s in selectors.public_services(portal)}
        emit(
            f"{BENCH}.seed",
            round(time.perf_counter() - started, 1),
            "s",
            appointments=bench.appointments,
            reservations=bench.reservations,
            online_services=len(menu),
            backend=backend,
        )
        overlaps = overlapping_reservations(connection)
        emit(f"{BENCH}.seed.overlapping_reservations", overlaps, "pairs", met=overlaps == 0)
        if overlaps or SEARCHED not in menu:
            raise RuntimeError(f"seed not usable: {overlaps} overlaps, {SEARCHED!r} online: {SEARCHED in menu}")
        templates = template_state()
        emit(f"{BENCH}.templates", templates, None)

        start_day = today + timedelta(days=1)
        visitors = Visitors()
        picker = time_picker(bench, portal, "laser", menu[SEARCHED]["id"], start_day, summary, visitors)
        time_picker(bench, portal, "common", menu[COMMON]["id"], start_day, summary, visitors)
        if os.environ.get("BENCH_SERVER", "auto") == "0":
            emit(f"{BENCH}.server", None, None, measured=False, reason="BENCH_SERVER=0")
            summary["notes"].append("server timings skipped (BENCH_SERVER=0)")
        else:
            server_figures(data_dir, bench, picker, summary)
        first_page_client(bench, summary)
        bookings(bench, portal, menu[COMMON]["id"], start_day, rng, summary, visitors)
    finally:
        teardown_databases(old_config, verbosity=0)
    summary["load_average_1m_at_end"] = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    missed = sorted(name for name, ok in summary["met"].items() if ok is False)
    summary["missed"] = missed
    emit(f"{BENCH}.summary", None, None, **summary)
    return 1 if missed and os.environ.get("BENCH_STRICT") == "1" else 0


def _gate(summary: dict, name: str, value, target, *, lower_is_better: bool = True):
    summary["figures"][name] = value
    if value is None:
        summary["met"][name] = None
        return None
    met = value < target if lower_is_better else value > target
    summary["met"][name] = met
    return met


def time_picker(bench, portal, tag: str, service_id: str, start_day, summary: dict, visitors: Visitors) -> dict:
    """Correctness, then timings of the engine, the selector, the API and the page fragment."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from medspa.booking import selectors
    from medspa.scheduling.availability.loader import Search, from_minute
    from medspa.scheduling.selectors import online_slots

    zone = portal.zone
    begin = datetime(start_day.year, start_day.month, start_day.day, tzinfo=zone)

    def engine():
        search = Search(
            service_ids=(service_id,),
            location_id=portal.location.pk,
            start=begin,
            end=begin + timedelta(days=WINDOW_DAYS),
            provider_ids=None,
            online=True,
            addon_ids=(),
            now=timezone.now(),
        )
        return online_slots(portal.actor, search)[0]

    def selector():
        return selectors.public_availability(portal, [service_id], start=start_day, days=WINDOW_DAYS)

    slots = engine()
    days = selector()
    expected = sorted({(from_minute(start).astimezone(zone).isoformat(), who) for start, _end, who in slots})
    listed = sorted((t["start"], who) for day in days for t in day["times"] for who in t["practitioner_ids"])
    starts = [t["start"] for day in days for t in day["times"]]
    same_selector = listed == expected
    emit(
        f"{BENCH}.time_picker.{tag}.selector_matches_engine",
        same_selector,
        None,
        times=len(starts),
        engine_slots=len(slots),
        met=same_selector,
    )
    summary["met"][f"time_picker.{tag}.selector_matches_engine"] = same_selector
    if not starts:
        raise RuntimeError("no free times in the window: the benchmark would time an empty answer")

    client = Client(raise_request_exception=False)
    api_path = f"/api/public/{bench.clinic.slug}/availability"
    api_query = {"service_ids": service_id, "start_date": start_day.isoformat(), "days": WINDOW_DAYS}
    page_path = f"/book/{bench.clinic.slug}/times/"
    page_query = {"services": service_id, "start": start_day.isoformat(), "days": WINDOW_DAYS}

    def api():
        response = client.get(api_path, api_query, REMOTE_ADDR=visitors.next())
        if response.status_code != 200:
            raise RuntimeError(f"GET {api_path} answered {response.status_code}: {response.content[:300]!r}")
        return response

    def fragment():
        return client.get(page_path, page_query, headers={"HX-Request": "true"}, REMOTE_ADDR=visitors.next())

    same_api = api().json()["days"] == days
    emit(f"{BENCH}.time_picker.{tag}.api_matches_selector", same_api, None, met=same_api)
    summary["met"][f"time_picker.{tag}.api_matches_selector"] = same_api

    first = fragment()
    fragment_ok = first.status_code == 200
    fragment_reason = None
    if fragment_ok:
        html = first.content.decode()
        offered = [s for s in starts if f'value="{s}"' in html or f'data-start="{s}"' in html]
        complete = len(offered) == len(starts)
        emit(
            f"{BENCH}.time_picker.{tag}.fragment_offers_every_time",
            complete,
            None,
            offered=len(offered),
            times=len(starts),
            html_bytes=len(first.content),
            met=complete,
        )
        summary["met"][f"time_picker.{tag}.fragment_offers_every_time"] = complete
    else:
        fragment_reason = f"GET {page_path} answered {first.status_code} ({template_state()})"
        emit(f"{BENCH}.time_picker.{tag}.fragment", None, None, measured=False, reason=fragment_reason)
        summary["notes"].append("page fragment not measured: " + fragment_reason)

    counts = {}
    for label, call in (("api", api), ("fragment", fragment)) if fragment_ok else (("api", api),):
        with CaptureQueriesContext(connection) as ctx:
            call()
        counts[label] = len(ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        engine()
    counts["engine"] = len(ctx.captured_queries)
    emit(f"{BENCH}.time_picker.{tag}.statements", counts, "statements/request")

    engine_t, engine_cold = timed(engine)
    selector_t, selector_cold = timed(selector)
    api_t, api_cold = timed(api)
    engine50 = percentile(engine_t, 0.5)
    emit(
        f"{BENCH}.time_picker.{tag}.engine",
        ms(engine50),
        "ms p50",
        **stats(engine_t, engine_t.cpu),
        cold_ms=ms(engine_cold),
        note="baseline: scheduling.selectors.online_slots for the same search",
    )
    emit(
        f"{BENCH}.time_picker.{tag}.selector",
        ms(percentile(selector_t, 0.5)),
        "ms p50",
        **stats(selector_t, selector_t.cpu),
        cold_ms=ms(selector_cold),
        over_engine_p50=round(percentile(selector_t, 0.5) / engine50, 2),
    )
    figures = {"engine": engine_t, "api": api_t}
    results = [("api", api_t, api_cold)]
    if fragment_ok:
        fragment_t, fragment_cold = timed(fragment)
        figures["fragment"] = fragment_t
        results.append(("fragment", fragment_t, fragment_cold))
    for label, values, cold in results:
        p95 = percentile(values, 0.95)
        met = _gate(summary, f"time_picker.{tag}.{label}_client_p95_ms", ms(p95), TARGETS["time_picker_p95_ms"])
        emit(
            f"{BENCH}.time_picker.{tag}.{label}_client_p95",
            ms(p95),
            "ms",
            **stats(values, values.cpu),
            cold_ms=ms(cold),
            over_engine_p50=round(percentile(values, 0.5) / engine50, 2),
            over_engine_p95=round(p95 / percentile(engine_t, 0.95), 2),
            cpu_over_engine_p50=round(percentile(values.cpu, 0.5) / percentile(engine_t.cpu, 0.5), 2),
            target_ms=TARGETS["time_picker_p95_ms"],
            met=met,
            client="django test client (full middleware stack), in process",
        )
        summary["figures"][f"time_picker.{tag}.{label}_client_p50_ms"] = ms(percentile(values, 0.5))
        summary["figures"][f"time_picker.{tag}.{label}_over_engine_p50"] = round(percentile(values, 0.5) / engine50, 2)
    summary["figures"][f"time_picker.{tag}.engine_p50_ms"] = ms(engine50)
    summary["figures"][f"time_picker.{tag}.engine_p95_ms"] = ms(percentile(engine_t, 0.95))
    summary["figures"][f"time_picker.{tag}.selector_p95_ms"] = ms(percentile(selector_t, 0.95))
    summary["figures"][f"time_picker.{tag}.times_offered"] = len(starts)
    if not fragment_ok:
        _gate(summary, f"time_picker.{tag}.fragment_client_p95_ms", None, TARGETS["time_picker_p95_ms"])
        summary["figures"][f"time_picker.{tag}.fragment_reason"] = fragment_reason
    return {
        "tag": tag,
        "api": (api_path, api_query),
        "fragment": (page_path, page_query) if fragment_ok else None,
        "days": days,
        "engine_t": engine_t,
    }


def server_figures(data_dir: Path, bench, picker: dict, summary: dict) -> None:
    """The time picker and the first page through `medspa serve` (uvicorn), one keep-alive
    connection. All requests come from 127.0.0.1, so they stay under the per-address read limit."""
    import httpx
    from api_overhead import running_server, server_env
    from availability import database_url_of_test_db

    env = {
        **server_env(data_dir),
        "DATABASE_URL": database_url_of_test_db(),
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "s" * 60,
        "MEDSPA_FILE_KEY": base64.b64encode(os.urandom(32)).decode(),
        "SECURE_SSL_REDIRECT": "false",
    }
    reps = min(REPS, 60)  # 2 x (warm-up + reps) + the page stay under 160 reads a minute
    headers = {"Accept-Encoding": "identity"}
    tag = picker["tag"]
    with running_server(env, data_dir) as base_url, httpx.Client(base_url=base_url, timeout=60) as http:
        path, query = picker["api"]
        got = http.get(path, params=query, headers=headers)
        same = got.status_code == 200 and got.json()["days"] == picker["days"]
        emit(f"{BENCH}.server.api_matches_selector", same, None, status=got.status_code, met=same)
        summary["met"]["server.api_matches_selector"] = same
        engine50 = percentile(picker["engine_t"], 0.5)
        for label in ("api", "fragment"):
            if picker[label] is None:
                _gate(summary, f"time_picker.{tag}.{label}_server_p95_ms", None, TARGETS["time_picker_p95_ms"])
                continue
            path, query = picker[label]

            def get(path=path, query=query):
                response = http.get(path, params=query, headers={**headers, "HX-Request": "true"})
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")

            values, cold = timed(get, reps=reps)
            p95 = percentile(values, 0.95)
            met = _gate(summary, f"time_picker.{tag}.{label}_server_p95_ms", ms(p95), TARGETS["time_picker_p95_ms"])
            summary["figures"][f"time_picker.{tag}.{label}_server_p50_ms"] = ms(percentile(values, 0.5))
            emit(
                f"{BENCH}.server.time_picker.{tag}.{label}_p95",
                ms(p95),
                "ms",
                **stats(values),
                cold_ms=ms(cold),
                over_engine_p50=round(percentile(values, 0.5) / engine50, 2),
                target_ms=TARGETS["time_picker_p95_ms"],
                met=met,
                client="httpx, 1 keep-alive connection, sequential",
            )

        def fetch(url: str) -> tuple[int, bytes]:
            response = http.get(url, headers=headers)
            return response.status_code, response.content

        weight = page_weight(fetch, f"/book/{bench.clinic.slug}/")
        report_weight(weight, "server", summary)


def first_page_client(bench, summary: dict) -> None:
    from django.test import Client

    client = Client(raise_request_exception=False)

    def fetch(url: str) -> tuple[int, bytes]:
        response = client.get(url, REMOTE_ADDR="10.255.0.1")
        return response.status_code, body_bytes(response)

    weight = page_weight(fetch, f"/book/{bench.clinic.slug}/")
    report_weight(weight, "client", summary)


def report_weight(weight: dict, via: str, summary: dict) -> None:
    if weight["bytes"] is None:
        weight["reason"] += f"; templates: {template_state()}"
        summary["notes"].append(f"first page ({via}) not measured: {weight['reason']}")
    met = _gate(summary, f"first_page.bytes_{via}", weight["bytes"], TARGETS["first_page_bytes"])
    if weight["bytes"] is not None and not weight["complete"]:
        met = None  # a missing or external asset: the total is a lower bound, not a pass
        summary["met"][f"first_page.bytes_{via}"] = None
        summary["notes"].append(f"first page ({via}): missing/external assets, total is a lower bound")
    emit(
        f"{BENCH}.first_page.bytes_{via}",
        weight.pop("bytes"),
        "bytes",
        **weight,
        target_bytes=TARGETS["first_page_bytes"],
        met=met,
        note="HTML + referenced CSS/JS/images as served, uncompressed",
    )


def slots_booked_twice(connection, clinic_id, since) -> int:
    """(provider, start) pairs holding more than one live appointment from `since` on."""
    from medspa.scheduling.models import Appointment

    table = Appointment._meta.db_table
    clinic = Appointment._meta.get_field("clinic").target_field.get_db_prep_value(clinic_id, connection)
    first = datetime(since.year, since.month, since.day, tzinfo=ZoneInfo("UTC")) - timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT provider_id, start_at FROM {table} WHERE clinic_id = %s "  # noqa: S608
            "AND start_at >= %s AND deleted_at IS NULL AND status NOT IN ('cancelled', 'no_show') "
            "GROUP BY provider_id, start_at HAVING COUNT(*) > 1) t",
            [clinic, Appointment._meta.get_field("start_at").get_db_prep_value(first, connection)],
        )
        return cursor.fetchone()[0]


def bookings(bench, portal, service_id: str, start_day, rng, summary: dict, visitors: Visitors) -> None:
    """Hold + booking POSTs for new patients; the same through the services as the baseline;
    then the correctness of everything booked."""
    from availability import overlapping_reservations
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from medspa.booking import selectors
    from medspa.booking import services as booking_services
    from medspa.booking.models import OnlineBooking
    from medspa.core.errors import Conflict
    from medspa.scheduling.models import Appointment, Reservation, SlotHold

    client = Client(raise_request_exception=False)
    slug = bench.clinic.slug
    before = Appointment.objects.filter(clinic=bench.clinic).count()
    version = portal.settings.policy_version
    hold_t, post_t, sum_t, conflicts, made, statements = Timings(), Timings(), Timings(), 0, [], {}

    def pick() -> tuple[str, str | None]:
        days = selectors.public_availability(portal, [service_id], start=start_day, days=BOOKING_DAYS)
        times = [t for day in days for t in day["times"]]
        if not times:
            raise RuntimeError("the window ran out of free times")
        chosen = rng.choice(times)
        return chosen["start"], rng.choice(chosen["practitioner_ids"]) if rng.random() < 0.5 else None

    n = 0
    while len(made) < BOOKINGS:
        n += 1
        ip = visitors.next()
        start, practitioner = pick()
        hold_body = {"service_ids": [service_id], "start": start}
        if practitioner:
            hold_body["practitioner_id"] = practitioner
        capture = len(made) == BOOKINGS - 1
        with CaptureQueriesContext(connection) as hold_q:
            c0 = time.process_time()
            t0 = time.perf_counter()
            held = client.post(f"/api/public/{slug}/holds", hold_body, content_type="application/json", REMOTE_ADDR=ip)
            t1 = time.perf_counter()
            c1 = time.process_time()
        if held.status_code == 409:
            conflicts += 1
            continue
        if held.status_code != 201:
            raise RuntimeError(f"POST holds answered {held.status_code}: {held.content[:300]!r}")
        booking_body = {
            "hold_token": held.json()["hold_token"],
            **details(n),
            "accept_policy": True,
            "policy_version": version,
        }
        with CaptureQueriesContext(connection) as post_q:
            c2 = time.process_time()
            t2 = time.perf_counter()
            booked = client.post(
                f"/api/public/{slug}/bookings",
                booking_body,
                content_type="application/json",
                headers={"Idempotency-Key": str(uuid.uuid4()), "User-Agent": "portal-bench"},
                REMOTE_ADDR=ip,
            )
            t3 = time.perf_counter()
            c3 = time.process_time()
        if booked.status_code != 201 or booked.json()["booking"]["state"] != "booked":
            raise RuntimeError(f"POST bookings answered {booked.status_code}: {booked.content[:300]!r}")
        made.append(booked.json())
        if capture:
            statements = {"hold": len(hold_q.captured_queries), "booking": len(post_q.captured_queries)}
        if len(made) > WARM:
            hold_t.append(t1 - t0)
            post_t.append(t3 - t2)
            sum_t.append(t3 - t0 - (t2 - t1))
            hold_t.cpu.append(c1 - c0)
            post_t.cpu.append(c3 - c2)
            sum_t.cpu.append(c3 - c0 - (c2 - c1))

    # Baseline: the same two steps through the services, in process.
    service_hold, service_submit = [], []
    for k in range(SERVICE_BASELINE_BOOKINGS + WARM):
        n += 1
        start, practitioner = pick()
        ip = visitors.next()
        try:
            t0 = time.perf_counter()
            held = booking_services.portal_hold(
                portal,
                service_ids=[service_id],
                start=datetime.fromisoformat(start),
                practitioner_id=practitioner,
                ip=ip,
            )
            t1 = time.perf_counter()
        except Conflict:
            conflicts += 1
            continue
        booking = booking_services.portal_submit(
            portal, held.token, details=details(n), accept_policy=True, policy_version=version, ip=ip, user_agent="b"
        )
        t2 = time.perf_counter()
        if booking.state != "booked":
            raise RuntimeError(f"the service booked nothing: {booking.state}")
        if k >= WARM:
            service_hold.append(t1 - t0)
            service_submit.append(t2 - t1)

    # Correctness: one visit with one appointment per booking, holds booked, nothing doubled.
    total = len(made) + len(service_hold) + WARM
    done = OnlineBooking.objects.filter(clinic=bench.clinic, state="booked").select_related("hold")
    per_visit = {}
    for row in Appointment.objects.filter(clinic=bench.clinic, visit__in=[b.visit_id for b in done]).values_list(
        "visit_id", flat=True
    ):
        per_visit[row] = per_visit.get(row, 0) + 1
    after = Appointment.objects.filter(clinic=bench.clinic).count()
    checks = {
        "bookings_booked": done.count(),
        "expected": total,
        "new_appointments": after - before,
        "visits_with_one_appointment": sum(1 for v in per_visit.values() if v == 1),
        "holds_booked": SlotHold.objects.filter(clinic=bench.clinic, status="booked").count(),
        "hold_reservations_still_active": Reservation.objects.filter(
            clinic=bench.clinic, hold__isnull=False, active=True
        ).count(),
        "overlapping_reservations": overlapping_reservations(connection),
        "slots_booked_twice": slots_booked_twice(connection, bench.clinic.pk, start_day),
        "conflicts_retried": conflicts,
    }
    correct = (
        checks["bookings_booked"] == total
        and checks["new_appointments"] == total
        and checks["visits_with_one_appointment"] == total
        and len(per_visit) == total
        and checks["holds_booked"] == total
        and checks["hold_reservations_still_active"] == 0
        and checks["overlapping_reservations"] == 0
        and checks["slots_booked_twice"] == 0
    )
    emit(f"{BENCH}.booking.correct", correct, None, **checks, met=correct)
    summary["met"]["booking.correct"] = correct

    hold95, post95, sum95 = (percentile(v, 0.95) for v in (hold_t, post_t, sum_t))
    base_post50 = percentile(service_submit, 0.5)
    base_hold50 = percentile(service_hold, 0.5)
    emit(
        f"{BENCH}.booking.hold_post_p95",
        ms(hold95),
        "ms",
        **stats(hold_t, hold_t.cpu),
        statements=statements.get("hold"),
        service_p50_ms=ms(base_hold50),
        over_service_p50=round(percentile(hold_t, 0.5) / base_hold50, 2),
    )
    met = _gate(summary, "booking.booking_post_p95_ms", ms(post95), TARGETS["booking_post_p95_ms"])
    emit(
        f"{BENCH}.booking.booking_post_p95",
        ms(post95),
        "ms",
        **stats(post_t, post_t.cpu),
        statements=statements.get("booking"),
        service_p50_ms=ms(base_post50),
        service_p95_ms=ms(percentile(service_submit, 0.95)),
        over_service_p50=round(percentile(post_t, 0.5) / base_post50, 2),
        target_ms=TARGETS["booking_post_p95_ms"],
        met=met,
        client="django test client (full middleware stack), in process; one client address per patient",
    )
    emit(
        f"{BENCH}.booking.hold_plus_booking_p95",
        ms(sum95),
        "ms",
        **stats(sum_t, sum_t.cpu),
        note="per booking: the hold request plus the booking request",
    )
    summary["figures"].update(
        {
            "booking.hold_post_p50_ms": ms(percentile(hold_t, 0.5)),
            "booking.hold_post_p95_ms": ms(hold95),
            "booking.booking_post_p50_ms": ms(percentile(post_t, 0.5)),
            "booking.hold_plus_booking_p95_ms": ms(sum95),
            "booking.service_submit_p50_ms": ms(base_post50),
            "booking.booking_post_over_service_p50": round(percentile(post_t, 0.5) / base_post50, 2),
            "booking.timed_bookings": len(post_t),
        }
    )


if __name__ == "__main__":
    sys.exit(main())
