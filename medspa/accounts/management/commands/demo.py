"""`medspa demo`: load the demo clinics and staff (and each module's demo data)."""

import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from medspa.core.models import Clinic


class Command(BaseCommand):
    help = "Load demo data: two clinics with one user per role. Refuses to run when DEBUG=false."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any clinic exists.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo data is for local use only: it refuses to run when DEBUG=false.")
        if options["if_empty"] and Clinic.objects.exists():
            self.stdout.write("Database already has data; demo data not loaded.")
            return
        context: dict = {}
        with transaction.atomic():
            for config in apps.get_app_configs():
                if not config.name.startswith("medspa."):
                    continue
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name == f"{config.name}.demo":
                        continue
                    raise
                module.seed(context)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for email, role, clinic in context.get("logins", []):
            self.stdout.write(f"  {email:<24} {role:<17} {clinic}")
