"""`medspa consents-verify`: recompute every submitted form's hashes; non-zero exit names each mismatch."""

import time

from django.core.management.base import BaseCommand

from medspa.consents.services import consents_verify
from medspa.core.actors import Actor
from medspa.core.audit import audit_record


class Command(BaseCommand):
    help = "Verify that every submitted form and consent still matches what was signed."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="Only this clinic's submissions (its id).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        checked, problems = consents_verify(clinic_id=options.get("clinic"))
        seconds = time.perf_counter() - started
        audit_record(
            action="consents.verified",
            actor=Actor.system(clinic=None, label="consents-verify"),
            outcome="failure" if problems else "success",
            summary=f"{checked} submissions, {len(problems)} mismatches",
        )
        if problems:
            for problem in problems:
                self.stderr.write(f"MISMATCH {problem}")
            self.stderr.write(f"{len(problems)} mismatches in {checked} submissions.")
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"Submitted forms intact: {checked} verified in {seconds:.2f} s."))
