"""PRIV-1: no SQL from input, and no 5xx from any sort, filter, search or paging parameter.

Static half: bandit (medium and high) over the app finds nothing. Dynamic half: hypothesis
throws text with SQL metacharacters, unicode, NULs, huge numbers and garbage cursors at the
list endpoints of the API and the patient pages. Every answer must be below 500, and input
that is plainly invalid (a limit outside 1..100, an unreadable cursor) must be a 4xx.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.patients import services as patient_services

ROOT = Path(__file__).resolve().parents[2]
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = [
    "'",
    '"',
    "' OR '1'='1",
    "1; DROP TABLE patients_patient; --",
    "%",
    "_",
    "\\",
    "\x00",
    "a\x00b",
    "%00",
    "' UNION SELECT password FROM accounts_user --",
    "last_name",
    "-created_at",
    "id__gt=0",
    "😀" * 30,
    "\uff3a\u0338\u0321",
    "\u202e\u200b",
    "9" * 40,
    "-1",
    "1e309",
    "NaN",
    "../../etc/passwd",
    "2026-02-30",
    "0000-00-00",
    "99999-01-01",
    "@",
    "@@'%",
    "555-",
    "(((",
    "a" * 5000,
]
texts = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=120),
    st.text(alphabet=st.sampled_from("'\"%_\\;-()@+.0123456789 \x00é"), max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", "0", "1", "100", "101", "100000", "100001", "1.5", "abc", "\x00", "9" * 400]),
    texts,
)


def params(**fields):
    """A dict holding any subset of the given parameters."""
    return st.fixed_dictionaries({}, optional=fields)


def int_in(value: str, low: int, high: int) -> bool:
    """Whether the API's integer parameters take `value`: what their parser (pydantic, lax:
    "+1", " 1", "1.0" and "1_0" are integers) reads as an integer within the range."""
    try:
        number = TypeAdapter(int).validate_python(value)
    except ValidationError:
        return False
    return low <= number <= high


OUTCOMES: dict[str, list[int]] = {}


def check(label: str, response, query: dict) -> None:
    OUTCOMES.setdefault(label, []).append(response.status_code)
    assert response.status_code < 500, (label, query, response.status_code, response.content[:300])


@pytest.fixture
def seeded(clinic, owner):
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    tag = patient_services.tag_create(actor=actor, name="VIP")
    first = patient_services.patient_create(
        actor=actor,
        data={
            "first_name": "Ana",
            "last_name": "O'Brien",
            "phone": "(212) 555-0101",
            "email": "ana@test.example",
            "date_of_birth": "1990-04-01",
            "tags": [tag.pk],
        },
    )
    patient_services.patient_create(actor=actor, data={"first_name": "Bo", "last_name": "Smith_%"})
    patient_services.communication_create(actor=actor, patient_id=first.pk, kind="call", body="Called")
    return {"patient": first, "tag": tag}


@pytest.fixture
def api(clinic, owner, api_token):
    return Client(headers={"Authorization": f"Bearer {api_token(owner, clinic)}"}, raise_request_exception=False)


@pytest.fixture
def web(owner):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    return client


def test_bandit_finds_nothing_at_medium_or_high():
    run = subprocess.run(
        [sys.executable, "-m", "bandit", "-c", "pyproject.toml", "-r", "medspa", "-ll", "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(run.stdout)
    findings = [f"{r['test_id']} {r['filename']}:{r['line_number']}" for r in report["results"]]
    assert findings == []
    assert report["metrics"]["_totals"]["loc"] > 1000  # it really scanned the app


@pytest.mark.django_db
@FUZZ
@given(query=params(q=texts, status=texts, tag=texts, limit=numbers, cursor=texts, offset=numbers))
def test_api_patient_list_never_500(api, seeded, query):
    response = api.get("/api/patients", query)
    check("GET /api/patients", response, query)
    invalid = ("limit" in query and not int_in(query["limit"], 1, 100)) or (
        "offset" in query and not int_in(query["offset"], 0, 100_000)
    )
    if invalid:
        assert 400 <= response.status_code < 500, (query, response.status_code)


@pytest.mark.django_db
@FUZZ
@given(
    query=params(first_name=texts, last_name=texts, phone=texts, email=texts, date_of_birth=texts),
)
def test_api_duplicates_never_500(api, seeded, query):
    response = api.get("/api/patients/duplicates", query)
    check("GET /api/patients/duplicates", response, query)


@pytest.mark.django_db
@FUZZ
@given(which=st.sampled_from(["timeline", "communications"]), query=params(limit=numbers, cursor=texts))
def test_api_paging_never_500(api, seeded, which, query):
    response = api.get(f"/api/patients/{seeded['patient'].pk}/{which}", query)
    check(f"GET /api/patients/{{id}}/{which}", response, query)
    if "limit" in query and not int_in(query["limit"], 1, 100):
        assert 400 <= response.status_code < 500, (query, response.status_code)


@pytest.mark.django_db
@FUZZ
@given(query=params(status=texts, tag=texts, created_from=texts, created_to=texts, offset=numbers, q=texts))
def test_patient_list_page_never_500(web, seeded, query):
    response = web.get("/patients/", query)
    check("GET /patients/", response, query)
    partial = web.get("/patients/", query, headers={"HX-Request": "true"})
    check("GET /patients/ (htmx)", partial, query)


@pytest.mark.django_db
@FUZZ
@given(query=params(q=texts, status=texts, tag=texts, offset=numbers))
def test_patient_search_post_never_500(web, seeded, query):
    response = web.post("/patients/", query, headers={"HX-Request": "true"})
    check("POST /patients/ (search)", response, query)


@pytest.mark.django_db
@FUZZ
@given(which=st.sampled_from(["timeline", "family/search", "communications"]), query=params(offset=numbers, q=texts))
def test_profile_partials_never_500(web, seeded, which, query):
    send = web.post if which == "family/search" else web.get  # searches are POSTed (PRIV-5)
    response = send(f"/patients/{seeded['patient'].pk}/{which}/", query, headers={"HX-Request": "true"})
    check(f"{send.__name__.upper()} /patients/{{id}}/{which}/", response, query)


ENDPOINTS = {
    "/api/patients": ("q", "status", "tag", "limit", "cursor", "offset"),
    "/api/patients/duplicates": ("first_name", "last_name", "phone", "email", "date_of_birth"),
    "/api/patients/{id}/timeline": ("limit", "cursor"),
    "/api/patients/{id}/communications": ("limit", "cursor"),
    "/patients/": ("q", "status", "tag", "created_from", "created_to", "offset"),
    "/patients/{id}/timeline/": ("offset",),
    "/patients/{id}/family/search/": ("q",),
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_every_nasty_value_in_every_parameter(api, web, seeded, path):
    """The whole corpus, one parameter at a time (hypothesis samples; this is exhaustive)."""
    client = api if path.startswith("/api/") else web
    url = path.replace("{id}", str(seeded["patient"].pk))
    for name in ENDPOINTS[path]:
        for value in NASTY:
            check(f"GET {path} (corpus)", client.get(url, {name: value}), {name: value})
    if path in ("/patients/", "/patients/{id}/family/search/"):
        for name in ENDPOINTS[path]:
            for value in NASTY:
                response = web.post(url, {name: value}, headers={"HX-Request": "true"})
                check(f"POST {path} (corpus)", response, {name: value})


# The public booking API: anonymous reads of a clinic's portal, every parameter.
PUBLIC_ENDPOINTS = {
    "/api/public/{slug}/services": (
        "q",
        "category_id",
        "concern",
        "treatment_type",
        "min_price",
        "max_price",
        "max_minutes",
        "location_id",
    ),
    "/api/public/{slug}/practitioners": ("service_ids", "location_id"),
    "/api/public/{slug}/availability": ("start_date", "days", "practitioner_id", "location_id", "addon_ids"),
}


EDGE_DATES = ("9999-12-31", "0001-01-01", "9999-12-31T23:59:59+00:00", "1900-01-01")


@pytest.fixture
def portal(clinic, owner):
    from medspa.booking import services as booking_services
    from medspa.catalog.tests.factories import make_catalog

    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    booking_services.settings_update(actor, values={"enabled": True})
    return make_catalog(actor)


@pytest.mark.django_db
@pytest.mark.parametrize("path", list(PUBLIC_ENDPOINTS))
def test_public_booking_parameters_never_500(portal, clinic, path):
    """The corpus in each parameter of the portal's public reads (and the service id the
    availability needs, so the rest is really parsed); each parameter from its own address so
    the per-IP read limit does not cut the run short."""
    url = path.replace("{slug}", clinic.slug)
    base = {"service_ids": str(portal["facial"].pk)} if path.endswith("availability") else {}
    for index, name in enumerate(PUBLIC_ENDPOINTS[path]):
        anonymous = Client(REMOTE_ADDR=f"198.18.0.{index + 1}", raise_request_exception=False)
        for value in (*NASTY, *EDGE_DATES):
            query = {**base, name: value}
            check(f"GET {path} (corpus)", anonymous.get(url, query), query)
        if path.endswith("availability"):
            nasty_service = {"service_ids": NASTY[:10]}
            check(f"GET {path} (corpus)", anonymous.get(url, nasty_service), nasty_service)


def test_fuzz_outcomes_report():
    """Prints the example counts per endpoint (run with -s); fails only if nothing ran."""
    if not OUTCOMES:
        pytest.skip("run together with the fuzz tests to see the counts")
    total = sum(len(v) for v in OUTCOMES.values())
    errors = sum(1 for v in OUTCOMES.values() for code in v if code >= 500)
    print(f"\nPRIV-1 fuzz: {total} requests, 5xx = {errors}")  # noqa: T201
    for label, codes in sorted(OUTCOMES.items()):
        print(f"  {label}: {len(codes)} requests, statuses {sorted(set(codes))}")  # noqa: T201
    assert errors == 0
