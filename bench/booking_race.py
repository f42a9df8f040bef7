"""booking.concurrency (B6): workers racing to book a hot set of 50 slots.

A clinic with 20 providers (the availability benchmark's clinic: menu, rooms and hours made
through the real services). For 4, 8 and 16 worker threads (each its own database connection):
- hot set: 50 (provider, start) slots, 5 providers x 10 starts; every worker tries every slot
  in its own random order, behind a barrier, through the real booking service
  (`services.book`, the code behind POST /api/booking/appointments). Exactly one booking per
  slot must win; the others must be a Conflict (409). Counted after each round: double bookings
  (overlapping active reservations of one provider, room or equipment unit, and slots with more
  than one live appointment), unhandled errors (anything but Conflict), latency p50/p95/p99;
- cold set: each worker books its own provider's free times (nothing conflicts): committed
  bookings per second through the service, against a raw insert loop (one thread, one
  transaction per booking inserting the appointment and its reservation rows) on the same
  database.
- naive baseline: check-then-insert into a scratch table without any constraint (PostgreSQL:
  READ COMMITTED transactions; SQLite: autocommit statements, i.e. without the serialised
  `BEGIN IMMEDIATE` transaction), 16 workers on the same 50 slots, with a pause between the
  check and the insert: it double-books, which shows the counting above can fail.

Database: SQLite in a temp MEDSPA_DATA_DIR (test database via setup_databases), or DATABASE_URL's
server (PostgreSQL: a fresh test database next to it).

Environment knobs: BENCH_WORKERS (4,8,16), BENCH_COLD (20 bookings per worker),
BENCH_RAW (1000 raw inserts), BENCH_NAIVE_PAUSE_MS (1), BENCH_SEED (5), BENCH_STRICT=1.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import database_backend, emit, emit_machine

BENCH = "booking_race"
WORKERS = [int(n) for n in os.environ.get("BENCH_WORKERS", "4,8,16").split(",")]
COLD = int(os.environ.get("BENCH_COLD", "20"))
RAW = int(os.environ.get("BENCH_RAW", "1000"))
NAIVE_PAUSE = float(os.environ.get("BENCH_NAIVE_PAUSE_MS", "1")) / 1000
SEED = int(os.environ.get("BENCH_SEED", "5"))
HOT_PROVIDERS, HOT_STARTS = 5, 10
SERVICE = "Neurotoxin touch-up"  # 15 minutes, no buffers, no room
TARGETS = {"p95_ms_16": 50.0, "throughput_share": 0.10}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def local(day, hour: int, minute: int = 0) -> datetime:
    from _clinic import ZONE

    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(ZONE))


def run_threads(count: int, target) -> float:
    """Start `count` threads on target(index, barrier); the wall time from the barrier's release."""
    from django.db import connections

    barrier = threading.Barrier(count + 1)

    def body(index: int) -> None:
        try:
            target(index, barrier)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def book_once(bench, provider: str, start: datetime, rng: random.Random) -> tuple[str, float]:
    from medspa.core.errors import Conflict
    from medspa.scheduling import services

    request = services.BookingRequest(
        patient_id=rng.choice(bench.patients),
        service_ids=[bench.services[SERVICE].pk],
        provider_id=provider,
        start=start,
    )
    started = time.perf_counter()
    try:
        services.book(bench.actor, request)
        outcome = "booked"
    except Conflict:
        outcome = "conflict"
    except Exception as error:  # noqa: BLE001 - every unexpected error is counted and shown
        outcome = f"{type(error).__name__}: {error}"[:200]
    return outcome, time.perf_counter() - started


def double_bookings(connection, clinic_id) -> dict:
    """Overlapping active reservations of one unit, and slots holding more than one live booking."""
    from medspa.scheduling.models import Appointment, Reservation

    r, a = Reservation._meta.db_table, Appointment._meta.db_table
    clinic = Reservation._meta.get_field("clinic").target_field.get_db_prep_value(clinic_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {r} x JOIN {r} y ON x.resource_id = y.resource_id AND x.unit = y.unit "  # noqa: S608
            "AND x.id < y.id AND x.start_minute < y.end_minute AND y.start_minute < x.end_minute "
            "WHERE x.clinic_id = %s AND y.clinic_id = %s AND x.active AND y.active",
            [clinic, clinic],
        )
        overlaps = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT provider_id, start_at FROM {a} WHERE clinic_id = %s "  # noqa: S608
            "AND deleted_at IS NULL AND status NOT IN ('cancelled', 'no_show') "
            "GROUP BY provider_id, start_at HAVING COUNT(*) > 1) t",
            [clinic],
        )
        slots = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT COUNT(*) FROM {r} WHERE clinic_id = %s AND active AND kind = 'provider' AND unit > 0",  # noqa: S608
            [clinic],
        )
        extra_units = cursor.fetchone()[0]
    return {"overlapping_reservations": overlaps, "slots_booked_twice": slots, "provider_units_above_0": extra_units}


def hot_round(bench, workers: int, day, rng: random.Random) -> dict:
    hot = [
        (bench.providers[p], local(day, 8, 0) + timedelta(minutes=30 * k))
        for p in range(HOT_PROVIDERS)
        for k in range(HOT_STARTS)
    ]
    results: list = []
    lock = threading.Lock()
    seeds = [rng.random() for _ in range(workers)]

    def worker(index: int, barrier) -> None:
        mine = random.Random(seeds[index])
        order = list(hot)
        mine.shuffle(order)
        barrier.wait()
        out = [book_once(bench, provider, start, mine) for provider, start in order]
        with lock:
            results.extend(out)

    wall = run_threads(workers, worker)
    booked = sum(1 for outcome, _ in results if outcome == "booked")
    conflicts = sum(1 for outcome, _ in results if outcome == "conflict")
    errors = [outcome for outcome, _ in results if outcome not in {"booked", "conflict"}]
    latencies = [elapsed for _, elapsed in results]
    return {
        "attempts": len(results),
        "booked": booked,
        "conflicts": conflicts,
        "errors": errors,
        "wall": wall,
        "latencies": latencies,
        "hot": hot,
    }


def cold_round(bench, workers: int, day) -> dict:
    """Each worker books its own provider's times: no conflicts, only contention on the database."""
    results: list = []
    lock = threading.Lock()
    starts = [local(day, 8, 0) + timedelta(minutes=15 * k) for k in range(20)]
    starts += [local(day, 14, 0) + timedelta(minutes=15 * k) for k in range(20)]

    def worker(index: int, barrier) -> None:
        mine = random.Random(index)
        provider = bench.providers[index % len(bench.providers)]
        offset = (index // len(bench.providers)) * 2  # more workers than providers: other days
        barrier.wait()
        out = []
        for k in range(COLD):
            start = starts[k % len(starts)] + timedelta(days=offset + k // len(starts))
            out.append(book_once(bench, provider, start, mine))
        with lock:
            results.extend(out)

    wall = run_threads(workers, worker)
    booked = sum(1 for outcome, _ in results if outcome == "booked")
    return {
        "booked": booked,
        "attempts": len(results),
        "wall": wall,
        "latencies": [elapsed for _, elapsed in results],
        "errors": [o for o, _ in results if o not in {"booked", "conflict"}],
    }


def raw_insert_loop(connection, bench, day, count: int) -> float:
    """One thread, one transaction per booking: the appointment row and its provider reservation."""
    from _clinic import Writer
    from django.db import transaction

    from medspa.scheduling.models import Appointment, Reservation

    now = datetime.now(tz=UTC)
    service = bench.services[SERVICE]
    patient = bench.patients[0]
    appointments = Writer(
        connection,
        Appointment,
        {
            "clinic_id": bench.clinic.pk,
            "location_id": bench.location.pk,
            "visit_id": uuid.UUID(bench.visits[patient]),
            "patient_id": uuid.UUID(patient),
            "service_id": service.pk,
            "created_at": now,
            "updated_at": now,
        },
    )
    reservations = Writer(
        connection,
        Reservation,
        {"clinic_id": bench.clinic.pk, "kind": "provider", "created_at": now, "updated_at": now},
    )
    start_field = Appointment._meta.get_field("start_at")
    first = int(local(day, 0).timestamp()) // 60
    started = time.perf_counter()
    for n in range(count):
        provider = bench.providers[n % len(bench.providers)]
        minute = first + (n // len(bench.providers)) * 15
        pk = uuid.uuid4()
        with transaction.atomic():
            appointments.add_raw(
                {
                    "id": appointments.prep("id", pk),
                    "provider_id": appointments.prep("provider_id", uuid.UUID(provider)),
                    "start_at": start_field.get_db_prep_save(datetime.fromtimestamp(minute * 60, tz=UTC), connection),
                    "end_at": start_field.get_db_prep_save(
                        datetime.fromtimestamp((minute + 15) * 60, tz=UTC), connection
                    ),
                }
            )
            appointments.flush(insert=True)
            reservations.add_raw(
                {
                    "id": reservations.prep("id", uuid.uuid4()),
                    "appointment_id": reservations.prep("appointment_id", pk),
                    "resource_id": reservations.prep("resource_id", uuid.UUID(provider)),
                    "start_minute": minute,
                    "end_minute": minute + 15,
                }
            )
            reservations.flush(insert=True)
    return time.perf_counter() - started


def naive_baseline(connection, hot: list, workers: int) -> dict:
    """Check-then-insert with no constraint: how many slots end up booked twice."""
    from django.conf import settings
    from django.db import connections, transaction

    table = "bench_naive_booking"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TABLE {table} (provider VARCHAR(36) NOT NULL, start_minute BIGINT NOT NULL, "
            "end_minute BIGINT NOT NULL)"
        )
    vendor = connection.vendor
    slots = [(provider, int(start.timestamp()) // 60) for provider, start in hot]
    errors: list = []
    lock = threading.Lock()

    def attempt_pg(provider: str, minute: int) -> None:
        conn = connections["default"]
        with transaction.atomic(), conn.cursor() as cursor:  # READ COMMITTED, the PostgreSQL default
            cursor.execute(
                f"SELECT COUNT(*) FROM {table} WHERE provider = %s AND start_minute < %s AND end_minute > %s",  # noqa: S608
                [provider, minute + 15, minute],
            )
            if cursor.fetchone()[0] == 0:
                time.sleep(NAIVE_PAUSE)
                cursor.execute(
                    f"INSERT INTO {table} (provider, start_minute, end_minute) VALUES (%s, %s, %s)",  # noqa: S608
                    [provider, minute, minute + 15],
                )

    def worker(index: int, barrier) -> None:
        order = list(slots)
        random.Random(index).shuffle(order)
        sqlite = None
        if vendor == "sqlite":
            import sqlite3

            # Autocommit statements: what a check-then-insert looks like without BEGIN IMMEDIATE.
            sqlite = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=20, isolation_level=None)
        barrier.wait()
        for provider, minute in order:
            try:
                if sqlite is None:
                    attempt_pg(provider, minute)
                else:
                    found = sqlite.execute(
                        f"SELECT COUNT(*) FROM {table} WHERE provider = ? AND start_minute < ? AND end_minute > ?",  # noqa: S608
                        (provider, minute + 15, minute),
                    ).fetchone()[0]
                    if found == 0:
                        time.sleep(NAIVE_PAUSE)
                        sqlite.execute(
                            f"INSERT INTO {table} (provider, start_minute, end_minute) VALUES (?, ?, ?)",  # noqa: S608
                            (provider, minute, minute + 15),
                        )
            except Exception as error:  # noqa: BLE001 - counted
                with lock:
                    errors.append(f"{type(error).__name__}: {error}"[:200])
        if sqlite is not None:
            sqlite.close()

    run_threads(workers, worker)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n FROM {table} "  # noqa: S608
            "GROUP BY provider, start_minute HAVING COUNT(*) > 1) t"
        )
        twice, rows_in_doubles = (int(value) for value in cursor.fetchone())  # SUM is a Decimal on PostgreSQL
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        total = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {table}")
    return {
        "slots_booked_twice": twice,
        "rows_in_double_booked_slots": rows_in_doubles,
        "rows": total,
        "errors": errors,
    }


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="medspa-bench-race-"))
    os.environ["MEDSPA_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medspa.settings")
    import django

    django.setup()
    from _clinic import ZONE, make_clinic
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    backend = database_backend()
    emit_machine(BENCH, workers=WORKERS, hot_slots=HOT_PROVIDERS * HOT_STARTS, cold_per_worker=COLD, raw=RAW)
    old_config = setup_databases(verbosity=0, interactive=False)
    missed: list[str] = []
    try:
        rng = random.Random(SEED)
        bench = make_clinic("race", 20)
        today = datetime.now(tz=ZoneInfo(ZONE)).date()
        hot = []
        for n, workers in enumerate(WORKERS):
            day = today + timedelta(days=7 + n)
            result = hot_round(bench, workers, day, rng)
            hot = result["hot"]
            counted = double_bookings(connection, bench.clinic.pk)
            doubled = counted["overlapping_reservations"] + counted["slots_booked_twice"]
            lat = result["latencies"]
            ok = doubled == 0 and not result["errors"] and result["booked"] == len(hot)
            emit(
                f"{BENCH}.hot.workers_{workers}",
                doubled,
                "double bookings",
                **counted,
                attempts=result["attempts"],
                booked=result["booked"],
                expected_booked=len(hot),
                conflicts_409=result["conflicts"],
                unhandled_errors=len(result["errors"]),
                error_examples=sorted(set(result["errors"]))[:3],
                p50_ms=ms(percentile(lat, 0.5)),
                p95_ms=ms(percentile(lat, 0.95)),
                p99_ms=ms(percentile(lat, 0.99)),
                attempts_per_s=round(result["attempts"] / result["wall"], 1),
                backend=backend,
                met=ok,
            )
            if not ok:
                missed.append(f"hot_{workers}")
            if workers == 16:
                p95 = percentile(lat, 0.95) * 1000
                emit(
                    f"{BENCH}.hot.p95_at_16_workers",
                    round(p95, 2),
                    "ms",
                    target_ms=TARGETS["p95_ms_16"],
                    met=p95 <= TARGETS["p95_ms_16"],
                )
                if p95 > TARGETS["p95_ms_16"]:
                    missed.append("p95_16")

        raw_day = today + timedelta(days=200)
        raw_wall = raw_insert_loop(connection, bench, raw_day, RAW)
        raw_rate = RAW / raw_wall
        emit(f"{BENCH}.raw_insert_loop", round(raw_rate, 1), "commits/s", inserts=RAW, note="1 thread, 1 txn each")
        for n, workers in enumerate(WORKERS):
            day = today + timedelta(days=30 + 10 * n)
            result = cold_round(bench, workers, day)
            rate = result["booked"] / result["wall"]
            share = rate / raw_rate
            lat = result["latencies"]
            gate = workers == max(WORKERS)
            emit(
                f"{BENCH}.cold.workers_{workers}",
                round(rate, 1),
                "bookings/s",
                booked=result["booked"],
                attempts=result["attempts"],
                unhandled_errors=len(result["errors"]),
                error_examples=sorted(set(result["errors"]))[:3],
                p50_ms=ms(percentile(lat, 0.5)),
                p95_ms=ms(percentile(lat, 0.95)),
                share_of_raw_insert_loop=round(share, 3),
                **({"target_share": TARGETS["throughput_share"], "met": share >= TARGETS["throughput_share"]}
                   if gate else {}),
            )  # fmt: skip
            if result["errors"] or result["booked"] != result["attempts"]:
                missed.append(f"cold_{workers}")
            if gate and share < TARGETS["throughput_share"]:
                missed.append("throughput_share")
        counted = double_bookings(connection, bench.clinic.pk)
        emit(f"{BENCH}.final.double_bookings", counted, None, met=not any(counted.values()))

        naive = naive_baseline(connection, hot, max(WORKERS))
        emit(
            f"{BENCH}.naive.check_then_insert",
            naive["slots_booked_twice"],
            "slots booked twice",
            rows=naive["rows"],
            rows_in_double_booked_slots=naive["rows_in_double_booked_slots"],
            slots=len(hot),
            workers=max(WORKERS),
            pause_ms=NAIVE_PAUSE * 1000,
            errors=len(naive["errors"]),
            error_examples=sorted(set(naive["errors"]))[:3],
            mode="READ COMMITTED transactions" if connection.vendor == "postgresql" else "autocommit statements",
            met=naive["slots_booked_twice"] > 0,
            note="the baseline must double-book: proof that the checks above can fail",
        )
        emit(f"{BENCH}.targets_missed", missed, None, met=not missed)
    finally:
        teardown_databases(old_config, verbosity=0)
    return 1 if missed and os.environ.get("BENCH_STRICT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
