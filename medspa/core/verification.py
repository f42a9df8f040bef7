"""The shape of the `*-verify` commands: recompute what signed records bind, audit the run,
and exit non-zero naming each mismatch (charts, submitted forms, …)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.management.base import BaseCommand

from medspa.core.actors import Actor
from medspa.core.audit import audit_record


class VerifyCommand(BaseCommand):
    """Subclasses name what they check (`noun`, plural; `action`, the audit action) and give
    `verify(clinic_id) -> (checked, mismatches)`."""

    noun = "records"
    action = "records.verified"
    intact = "Records intact"
    verify: Callable

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help=f"Only this clinic's {self.noun} (its id).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        checked, problems = type(self).verify(clinic_id=options.get("clinic"))
        seconds = time.perf_counter() - started
        audit_record(
            action=self.action,
            actor=Actor.system(clinic=None, label=self.action.split(".")[0] + "-verify"),
            outcome="failure" if problems else "success",
            summary=f"{checked} {self.noun}, {len(problems)} mismatches",
        )
        if problems:
            for problem in problems:
                self.stderr.write(f"MISMATCH {problem}")
            self.stderr.write(f"{len(problems)} mismatches in {checked} {self.noun}.")
            raise SystemExit(1)
        rate = checked / seconds if seconds else 0
        self.stdout.write(self.style.SUCCESS(f"{self.intact}: {checked} verified in {seconds:.2f} s ({rate:,.0f}/s)."))
