"""`medspa serve`: the web server (uvicorn) and the job worker, stopped together by Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the app (uvicorn, ASGI) and run its background worker until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--no-worker", action="store_true", help="Serve only; run the worker elsewhere.")
        parser.add_argument("--reload", action="store_true", help="Restart the server when code changes.")

    def handle(self, *args, **options):
        python = sys.executable
        server = [
            python,
            "-m",
            "uvicorn",
            "medspa.asgi:application",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--lifespan",
            "off",
            "--no-access-log",
            "--ws",
            "websockets-sansio",
        ]
        if options["reload"]:
            server += ["--reload", "--reload-dir", "medspa"]
        children = [subprocess.Popen(server)]
        if not options["no_worker"]:
            children.append(subprocess.Popen([python, "-m", "medspa", "run_huey", "--quiet"]))
        self.stdout.write(f"Medspa is running at http://{options['host']}:{options['port']}  (Ctrl-C stops it)")

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.time() + 10
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    child.kill()
            raise SystemExit(0)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while True:
            for child in children:
                if child.poll() is not None:
                    self.stderr.write(f"A process stopped (exit {child.returncode}); stopping the rest.")
                    stop()
            time.sleep(0.5)
