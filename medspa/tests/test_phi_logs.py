"""PRIV-5: no PHI in logs or URLs.

A canary patient (a made-up name, phone and email found nowhere else) goes through the
usual flow — created on the page and through the API, searched, opened, edited, with
communications logged — while every log record of every logger is captured at DEBUG.
The canary must appear in no log record, and in no URL the app hands out (redirects,
pushed URLs, links and form targets in the HTML).
"""

from __future__ import annotations

import logging
import re
import uuid
from unittest import mock

import pytest

from medspa.patients.models import Patient

CANARY_FIRST = "Quillonia"
CANARY_LAST = "Zebrowskaya"
CANARY_EMAIL = "quillonia.zebra@canary.example"
CANARY_PHONE_DIGITS = "2125550199"
# Anything of these in a log line or URL is a leak (the phone in any of its spellings).
CANARIES = (CANARY_FIRST, CANARY_LAST, "quillonia", "zebrowskaya", "canary.example", "5550199", "555-0199")
LOGGERS = ("", "django", "django.request", "django.server", "django.security", "uvicorn", "uvicorn.access", "huey")
_URL_ATTR = re.compile(
    r"""\b(?:href|action|src|hx-get|hx-post|hx-put|hx-patch|hx-delete|hx-push-url)\s*=\s*["']([^"']*)["']"""
)


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def captured():
    handler = Capture()
    saved = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (logger.level, logger.disabled)
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        for name, (level, disabled) in saved.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).disabled = disabled


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [c for c in CANARIES if c.lower() in lowered]


class Recorder:
    """Every URL the app handed out during the flow."""

    def __init__(self):
        self.urls: list[str] = []

    def __call__(self, response):
        for header in ("Location", "HX-Push-Url", "HX-Redirect", "HX-Location", "Content-Location"):
            if response.has_header(header):
                self.urls.append(response[header])
        if "html" in response.get("Content-Type", ""):
            self.urls += _URL_ATTR.findall(response.content.decode("utf-8", "replace"))
        return response


@pytest.mark.django_db
def test_canary_patient_leaves_no_trace_in_logs_or_urls(captured, clinic, owner, login, api_token, api_client):
    seen = Recorder()
    web = login(owner)
    htmx = {"HX-Request": "true"}
    api = api_client(api_token(owner, clinic))

    # Create on the page, then a second profile through the API.
    details = {"first_name": CANARY_FIRST, "last_name": CANARY_LAST, "status": "active"}
    details |= {"email": CANARY_EMAIL, "phone": f"({CANARY_PHONE_DIGITS[:3]}) 555-0199"}
    seen(web.post("/patients/new/", details))
    patient = Patient.objects.get(first_name=CANARY_FIRST)
    created = seen(
        api.post(
            "/api/patients",
            {"first_name": CANARY_FIRST, "last_name": f"{CANARY_LAST}-Api", "phone": CANARY_PHONE_DIGITS},
            content_type="application/json",
        )
    )
    assert created.status_code == 201

    # Search: the page (POST body) and the API (its mandated ?q=), by name, phone and email;
    # a bad request and a 404 too, since those are the ones request logging reports.
    for q in (CANARY_FIRST[:5], CANARY_LAST, "212555", CANARY_EMAIL):
        page = seen(web.post("/patients/", {"q": q}, headers=htmx))
        assert CANARY_FIRST in page.content.decode()
        seen(web.post("/patients/", {"q": q}))
        assert seen(api.get("/api/patients", {"q": q})).status_code == 200
    seen(api.get("/api/patients", {"q": CANARY_LAST, "limit": 0}))
    seen(api.get("/api/patients/duplicates", {"first_name": CANARY_FIRST, "email": CANARY_EMAIL}))
    seen(web.get(f"/patients/{uuid.uuid4()}/", {"q": CANARY_LAST}))
    seen(api.get(f"/api/patients/{uuid.uuid4()}", {"q": CANARY_LAST}))

    # Open the profile and its tabs.
    for tab in ("", "timeline/", "communications/", "family/", "edit/"):
        assert seen(web.get(f"/patients/{patient.pk}/{tab}")).status_code == 200
    seen(api.get(f"/api/patients/{patient.pk}"))

    # Edit on the page and through the API.
    patient.refresh_from_db()
    edit = details | {"preferred_name": f"{CANARY_FIRST}ie", "version": patient.version}
    seen(web.post(f"/patients/{patient.pk}/edit/", edit))
    patient.refresh_from_db()
    seen(
        api.patch(
            f"/api/patients/{patient.pk}",
            {"version": patient.version, "city": "Quillonia Springs"},
            content_type="application/json",
        )
    )
    # A stale version (409) and invalid input (422) echo nothing into the logs either.
    seen(
        api.patch(
            f"/api/patients/{patient.pk}", {"version": 1, "last_name": CANARY_LAST}, content_type="application/json"
        )
    )
    seen(
        api.patch(f"/api/patients/{patient.pk}", {"version": 99, "email": CANARY_LAST}, content_type="application/json")
    )

    # Communications.
    note = f"Called {CANARY_FIRST} on {CANARY_PHONE_DIGITS}"
    seen(
        web.post(f"/patients/{patient.pk}/communications/log/", {"kind": "call", "direction": "outbound", "body": note})
    )
    seen(web.post(f"/patients/{patient.pk}/communications/log/", {"kind": "call", "body": note}, headers=htmx))
    seen(
        api.post(
            f"/api/patients/{patient.pk}/communications",
            {"kind": "note", "body": note},
            content_type="application/json",
        )
    )
    assert patient.communications.count() >= 2

    log_leaks = [line for line in captured.lines if leaks(line)]
    url_leaks = [url for url in seen.urls if leaks(url)]
    summary = f"{len(captured.lines)} log records, {len(seen.urls)} app URLs"
    print(f"\nPRIV-5: {summary}, canary hits {len(log_leaks) + len(url_leaks)}")  # noqa: T201
    assert log_leaks == [], log_leaks
    assert url_leaks == [], url_leaks
    assert seen.urls, "the recorder saw the app's URLs"


def test_capture_sees_a_leak(captured):
    """The capture can fail: a log line with the canary is seen, whatever the logger's level."""
    logging.getLogger("django.request").warning("Not Found: /patients/?q=%s", CANARY_FIRST)
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /api/patients?q=%s HTTP/1.1" 200', CANARY_LAST)
    assert len([line for line in captured.lines if leaks(line)]) == 2


def test_served_without_an_access_log():
    """`medspa serve` starts uvicorn with its access log off: request lines carry query strings
    (the API's `?q=` is a patient's name), so they are never written."""
    from medspa.core.management.commands import serve

    started = []

    class Child:
        returncode = 0

        def __init__(self, args):
            started.append(args)

        def poll(self):
            return 0

        def send_signal(self, sig):
            pass

        def wait(self, timeout=None):
            return 0

    with (
        mock.patch.object(serve.subprocess, "Popen", Child),
        mock.patch.object(serve.signal, "signal"),
        pytest.raises(SystemExit),
    ):
        serve.Command().run_from_argv(["medspa", "serve", "--no-worker"])
    uvicorn = next(args for args in started if "uvicorn" in args)
    assert "--no-access-log" in uvicorn
    assert "--access-log" not in uvicorn
