"""`medspa charts-verify`: recompute every signed chart's hashes; non-zero exit names each mismatch."""

import time

from django.core.management.base import BaseCommand

from medspa.charting.signing import verify_charts
from medspa.core.actors import Actor
from medspa.core.audit import audit_record


class Command(BaseCommand):
    help = "Verify that every signed chart, amendment and signed photo still matches its signatures."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="Only this clinic's charts (its id).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        checked, problems = verify_charts(clinic_id=options.get("clinic"))
        seconds = time.perf_counter() - started
        audit_record(
            action="charts.verified",
            actor=Actor.system(clinic=None, label="charts-verify"),
            outcome="failure" if problems else "success",
            summary=f"{checked} charts, {len(problems)} mismatches",
        )
        if problems:
            for problem in problems:
                self.stderr.write(f"MISMATCH {problem}")
            self.stderr.write(f"{len(problems)} mismatches in {checked} signed charts.")
            raise SystemExit(1)
        rate = checked / seconds if seconds else 0
        self.stdout.write(
            self.style.SUCCESS(f"Signed charts intact: {checked} verified in {seconds:.2f} s ({rate:,.0f}/s).")
        )
