"""Audit log: append rate through `audit_record` and chain verification time (AUD-3, AUD-4).

Baseline in the same run: inserting the same rows with no chain (`bulk_create` of
pre-built events), so the figures read as the cost of the hash chain itself. Runs on a
throwaway database: SQLite in a temp dir, or DATABASE_URL's server (a fresh database).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import emit, emit_machine

EVENTS = int(os.environ.get("BENCH_AUDIT_EVENTS", "20000"))


def main() -> None:
    data_dir = tempfile.mkdtemp(prefix="medspa-bench-audit-")
    os.environ["MEDSPA_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medspa.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from medspa.core.actors import Actor
    from medspa.core.audit import audit_record, compute_hash, verify_chain
    from medspa.core.models import AuditEvent, Clinic

    emit_machine("audit_chain", events=EVENTS)
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("migrate", verbosity=0)
        clinic = Clinic.objects.create(name="Bench", slug="bench", require_mfa=False)
        actor = Actor.system(clinic=clinic, label="bench")

        # Ours: one audited event per transaction, as services write them.
        latencies = []
        start = time.perf_counter()
        for i in range(EVENTS):
            t0 = time.perf_counter()
            audit_record(action="bench.write", actor=actor, summary=f"event {i}", changes={"n": i})
            latencies.append(time.perf_counter() - t0)
        ours = time.perf_counter() - start

        # Baseline: the same number of rows inserted one per transaction without the chain.
        rows = list(AuditEvent.objects.filter(chain=str(clinic.pk)).values())
        other = Clinic.objects.create(name="Bench baseline", slug="bench-baseline", require_mfa=False)
        start = time.perf_counter()
        for row in rows:
            row.update(id=None, chain=str(other.pk), clinic_id=other.pk)
            row.pop("id")
            AuditEvent.objects.create(**row)
        baseline = time.perf_counter() - start

        t0 = time.perf_counter()
        problem = verify_chain(str(clinic.pk))
        verify = time.perf_counter() - t0
        assert problem is None, problem
        sample = AuditEvent.objects.filter(chain=str(clinic.pk)).values().first()
        assert compute_hash(sample) == sample["hash"]

        emit("audit.append_rate", round(EVENTS / ours, 1), "events/s", backend=connection.vendor)
        emit("audit.append_p50", round(statistics.median(latencies) * 1000, 3), "ms")
        emit(
            "audit.append_p95",
            round(statistics.quantiles(latencies, n=20)[18] * 1000, 3),
            "ms",
            target_ms=5,
            met=statistics.quantiles(latencies, n=20)[18] * 1000 <= 5,
        )
        emit("audit.baseline_insert_rate", round(EVENTS / baseline, 1), "rows/s")
        emit("audit.chain_cost_ratio", round(ours / baseline, 2), "x", note="chained append time / plain insert time")
        emit("audit.verify_per_1m_events", round(verify / EVENTS * 1_000_000, 1), "s", measured_events=EVENTS)
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
