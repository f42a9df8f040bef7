"""`medspa audit-verify`: recompute every audit chain; non-zero exit names the first break."""

from django.core.management.base import BaseCommand

from medspa.core.actors import Actor
from medspa.core.audit import audit_record, verify_chains


class Command(BaseCommand):
    help = "Verify the audit log hash chains against each other and the external checkpoints."

    def handle(self, *args, **options):
        checked, problems = verify_chains()
        outcome = "failure" if problems else "success"
        audit_record(
            action="audit.verified",
            actor=Actor.system(clinic=None, label="audit-verify"),
            outcome=outcome,
            summary=f"{checked} events, {len(problems)} problems",
        )
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"Audit log intact: {checked} events verified."))
