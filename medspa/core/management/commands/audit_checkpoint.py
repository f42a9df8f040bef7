"""`medspa audit-checkpoint`: write every chain head outside the database now."""

from django.core.management.base import BaseCommand

from medspa.core.audit import checkpoint_file, write_checkpoints


class Command(BaseCommand):
    help = "Append the head (chain, seq, hash) of every audit chain to the checkpoint file."

    def handle(self, *args, **options):
        count = write_checkpoints()
        self.stdout.write(f"Wrote {count} checkpoints to {checkpoint_file()}")
