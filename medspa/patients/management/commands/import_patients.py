"""`medspa import-patients FILE --clinic SLUG [--mapping MAP.json] [--commit]`."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from medspa.core.actors import Actor
from medspa.core.errors import InvalidInput
from medspa.core.models import Clinic
from medspa.patients.importing import import_patients, read_csv


class Command(BaseCommand):
    help = "Import patients from a CSV export. Dry run by default: add --commit to write."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--clinic", required=True, help="Clinic slug the patients belong to.")
        parser.add_argument("--mapping", type=Path, help='JSON file {"Their header": "our_field"}.')
        parser.add_argument("--commit", action="store_true", help="Write the new patients (after a clean dry run).")
        parser.add_argument("--show", type=int, default=20, help="How many problem rows to list.")

    def handle(self, *args, **options):
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"No clinic with slug {options['clinic']!r}.")
        try:
            content = options["file"].read_bytes()
            mapping = json.loads(options["mapping"].read_text()) if options["mapping"] else None
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        actor = Actor.system(clinic=clinic, label="import-patients")
        try:
            headers, rows, digest = read_csv(content)
            total = len(rows)

            def progress(done: int) -> None:
                width = 30
                filled = int(width * done / max(total, 1))
                sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
                sys.stderr.flush()

            report = import_patients(
                actor=actor,
                rows=rows,
                headers=headers,
                mapping=mapping,
                dry_run=not options["commit"],
                progress=progress,
                source_name=options["file"].name,
                digest=digest,
            )
        except InvalidInput as exc:
            raise CommandError("; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.detail) from exc
        sys.stderr.write("\n")
        problems = [r for r in report.rows if r.status != "new"]
        for row in problems[: options["show"]]:
            detail = "; ".join(f"{k}: {v}" for k, v in row.errors.items()) or f"already exists ({row.duplicate_of})"
            self.stdout.write(f"  line {row.line}: {row.name or '(no name)'} — {detail}")
        if len(problems) > options["show"]:
            self.stdout.write(f"  … and {len(problems) - options['show']} more")
        verb = "Imported" if options["commit"] else "Dry run: would import"
        new = report.created if options["commit"] else report.count("new")
        existing, errors = report.count("existing"), report.count("error")
        self.stdout.write(f"{verb} {new} new patients; {existing} already exist; {errors} rows with errors.")
