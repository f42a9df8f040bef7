"""CSV import of 50,000 patients (target: under 60 s), against a plain bulk insert baseline.

Baseline in the same run: `bulk_create` of the same rows already built in memory (no
parsing, validation, duplicate checks or audit), so the ratio is the cost of a careful import.
"""

from __future__ import annotations

import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import emit, emit_machine

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))
FIRST = ["Olivia", "Emma", "Zoë", "José", "Ana", "Siobhán", "Liam", "Noah", "Mia", "Chloé", "Lucía", "Aarav"]
LAST = ["Smith", "García", "Müller", "O'Neill", "Nguyen", "Dubois", "Kowalski", "Rossi", "Johnson", "Cohen"]


def make_csv(rows: int) -> bytes:
    from medspa.patients.normalize import name_key

    rng = random.Random(7)
    out = io.StringIO()
    out.write("First Name,Last Name,Email,Mobile Phone,Date of Birth,City,State,Zip\n")
    for i in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        area = rng.choice(["212", "415", "310", "646"])
        out.write(
            f"{first},{last},{name_key(first)}.{i}@example.com,({area}) {rng.randint(201, 989)}-{i % 10000:04d},"
            f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},New York,NY,10001\n"
        )
    return out.getvalue().encode()


def main() -> None:
    os.environ["MEDSPA_DATA_DIR"] = tempfile.mkdtemp(prefix="medspa-bench-import-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medspa.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from medspa.core.actors import Actor
    from medspa.core.models import Clinic
    from medspa.patients.importing import import_patients, read_csv
    from medspa.patients.models import Patient

    emit_machine("patient_import", rows=ROWS)
    old = setup_databases(verbosity=0, interactive=False)
    try:
        content = make_csv(ROWS)
        clinic = Clinic.objects.create(name="Import", slug="import", require_mfa=False)
        actor = Actor.system(clinic=clinic)
        start = time.perf_counter()
        headers, rows, digest = read_csv(content)
        report = import_patients(actor=actor, rows=rows, headers=headers, dry_run=False, digest=digest)
        ours = time.perf_counter() - start
        assert report.count("error") == 0, [r.errors for r in report.rows if r.errors][:3]
        created = report.created
        start = time.perf_counter()
        again = import_patients(actor=actor, rows=rows, headers=headers, dry_run=False, digest=digest)
        rerun = time.perf_counter() - start
        assert again.created == 0 and Patient.objects.filter(clinic=clinic).count() == created

        other = Clinic.objects.create(name="Baseline", slug="baseline", require_mfa=False)
        built = [
            Patient(
                clinic=other,
                **{k: v for k, v in vars(p).items() if not k.startswith("_") and k not in ("id", "clinic_id")},
            )
            for p in Patient.objects.filter(clinic=clinic)
        ]
        start = time.perf_counter()
        Patient.objects.bulk_create(built, batch_size=2000)
        baseline = time.perf_counter() - start

        emit(
            "import.seconds",
            round(ours, 2),
            "s",
            rows=ROWS,
            created=created,
            found_existing=ROWS - created,
            backend=connection.vendor,
            target_s=60,
            met=ours < 60,
        )
        emit("import.rows_per_second", round(ROWS / ours), "rows/s")
        emit("import.rerun_seconds", round(rerun, 2), "s", note="same file again: every row found existing")
        emit("import.baseline_bulk_insert_seconds", round(baseline, 2), "s")
        emit("import.cost_ratio", round(ours / baseline, 1), "x", note="import time / plain bulk insert time")
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
