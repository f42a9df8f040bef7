"""`medspa rotate-file-key`: rewrap every file key with the first MEDSPA_FILE_KEY.

Rotation: put the new key first in MEDSPA_FILE_KEY and keep the old one after it
(`MEDSPA_FILE_KEY=new,old`), restart, run this command, then drop the old key. Only the
small wrapped keys in the database change; the stored files are not rewritten.
"""

from django.core.management.base import BaseCommand

from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.files import master_keys, rewrap_all


class Command(BaseCommand):
    help = "Rewrap stored files' keys with the first MEDSPA_FILE_KEY (run after adding a new key first)."

    def handle(self, *args, **options):
        primary = master_keys()[0][0]
        count = rewrap_all()
        audit_record(
            action="files.key_rotated",
            actor=Actor.system(clinic=None, label="rotate-file-key"),
            summary=f"{count} file keys rewrapped with key {primary}",
            changes={"key_id": primary, "rewrapped": count},
        )
        self.stdout.write(self.style.SUCCESS(f"{count} file keys rewrapped with key {primary}."))
