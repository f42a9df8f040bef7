"""The security rows of the public booking API (SECURITY.md): AUTHZ-5 (no PHI to strangers,
narrow expiring tokens), SCH-3 (holds end at their TTL, across DST too), LED-3 (one booking per
Idempotency-Key), AUTH-2 (rate limits and the honeypot), AUTH-4 (headers, CSRF where cookies
authenticate) and PRIV-5 (a canary patient leaves no trace in the logs). Each prints its figure."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import close_old_connections, connection
from django.test import Client

from medspa.accounts.models import Membership
from medspa.booking import services
from medspa.booking.choices import (
    BOOKINGS_PER_CONTACT_PER_HOUR,
    READS_PER_IP_PER_MINUTE,
    WRITES_PER_IP_PER_MINUTE,
    BookingState,
)
from medspa.booking.models import OnlineBooking, PolicyAcceptance
from medspa.booking.tests.conftest import at, next_weekday
from medspa.booking.tests.public_api import DETAILS, PublicApi, starts
from medspa.booking.tokens import manage_token
from medspa.core.models import IdempotencyKey
from medspa.core.permissions import Role
from medspa.patients.models import Patient
from medspa.scheduling.models import Appointment, Reservation, SlotHold
from medspa.tests.field_limits import scan
from medspa.tests.test_phi_logs import captured, leaks  # noqa: F401 - the log capture fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api():
    return PublicApi()


# AUTHZ-5 -----------------------------------------------------------------------------------


def phi_values(world) -> list[str]:
    """What must never reach an anonymous caller: the booking patient's and another patient's
    names, phones, emails and dates of birth, and staff emails."""
    other = world.setup.patient
    values = [DETAILS["first_name"], DETAILS["last_name"], DETAILS["email"], "2125550142", "555-0142", "555) 555"]
    values += [other.first_name, other.last_name, other.email, other.phone, other.phone_digits]
    if other.date_of_birth:
        values += [other.date_of_birth.isoformat(), other.date_of_birth.strftime("%m/%d/%Y")]
    values += list(Membership.objects.filter(clinic=world.clinic).values_list("user__email", flat=True))
    return [v for v in values if v and len(v) >= 4]


def test_authz5_no_phi_in_any_anonymous_response(world, api, make_consultation):
    """The whole flow — menu, people, times, hold, booking, deposit, manage, reschedule, cancel,
    waitlist, and their errors — scanned for the patients' and staff's details."""
    make_consultation()  # the existing patient is Ava Reyes with a phone: a returning patient
    patient = world.setup.patient
    patient.email, patient.date_of_birth = "ava.private@example.com", date(1988, 7, 14)
    patient.save()
    day = next_weekday()
    facial, ipl = world.menu["facial"].pk, world.menu["ipl"].pk
    api.services()
    api.services(q="Reyes")
    api.practitioners()
    api.availability([facial], start_date=day)
    held = api.hold(facial, at(day, 10)).json()
    api.hold(facial, at(day, 10))  # 409 with alternatives
    api.book(held["hold_token"], email="bad")  # 422 echoes no details
    booked = api.book(held["hold_token"], email="ava.private@example.com").json()
    api.book(held["hold_token"], email="ava.private@example.com")  # the repeat
    token = booked["manage_token"]
    deposit = api.hold(ipl, at(day, 13)).json()["hold_token"]
    api.book(deposit, email="ava.private@example.com")
    api.pay(deposit, "decline")
    api.pay(deposit, "approve")
    api.manage(token)
    api.reschedule(token, at(day, 14))
    api.reschedule(token, at(day, 13))  # taken by the deposit booking: 409
    api.cancel(token)
    api.manage("forged-" + token)
    api.waitlist(facial, day, day + timedelta(days=7))
    api.waitlist(facial, day, day + timedelta(days=7), phone="12")
    assert Appointment.objects.filter(source="online").count() == 2  # the flow really ran
    values = phi_values(world)
    found = []
    for response in api.responses:
        text = response.content.decode()
        found += [(response.request["PATH_INFO"], v) for v in values if v.lower() in text.lower()]
    # AUTHZ-4's scanner too, as the role allowed the least: no clinical field by name.
    found += [(r.request["PATH_INFO"], f) for r in api.responses for f in scan(Role.READ_ONLY, r)]
    print(f"\nAUTHZ-5: {len(api.responses)} anonymous responses, containing PHI fields = {len(found)}")  # noqa: T201
    assert found == []
    assert len(api.responses) >= 20


def test_authz5_scanner_sees_phi(world):
    """The scan can fail: a response carrying the details is counted."""
    text = json.dumps({"patient": DETAILS}).lower()
    assert [v for v in phi_values(world) if v.lower() in text]


def test_authz5_manage_tokens(world, api):
    day = next_weekday()
    body = api.booked(world.menu["facial"].pk, at(day, 10))
    token = body["manage_token"]
    booking = OnlineBooking.objects.get()
    accepted = 0
    # forged: another booking id signed by someone else, a tampered signature, garbage
    for forged in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x" * 40, str(booking.pk)):
        response = api.manage(forged)
        accepted += response.status_code < 400
        assert response.status_code == 404 and response.json()["code"] == "manage_link_invalid"
    # swapping the booking id: a valid signature over another (unknown) id
    response = api.manage(manage_token(uuid.uuid4()))
    accepted += response.status_code < 400
    assert response.status_code == 404
    # expired: once the visit is over the link is gone
    with time_machine.travel(Appointment.objects.get().end_at + timedelta(minutes=1)):
        for response in (api.manage(token), api.cancel(token), api.reschedule(token, at(day, 14))):
            accepted += response.status_code < 400
            assert response.status_code == 410 and response.json()["code"] == "manage_link_expired"
    assert Appointment.objects.get().status == "scheduled"
    print(f"\nAUTHZ-5: expired or forged manage tokens accepted = {accepted}")  # noqa: T201
    assert accepted == 0


def test_authz5_hold_tokens(world, api):
    day = next_weekday()
    token = api.hold(world.menu["facial"].pk, at(day, 10)).json()["hold_token"]
    first = api.book(token)
    again = api.book(token, first_name="Mallory", email="mallory@example.com")
    assert first.status_code == again.status_code == 201
    assert again.json()["booking"] == first.json()["booking"]
    assert Appointment.objects.count() == 1 and OnlineBooking.objects.get().first_name == "Ava"
    assert not Patient.objects.filter(first_name="Mallory").exists()
    # an expired hold token
    late = api.hold(world.menu["facial"].pk, at(day, 12)).json()["hold_token"]
    with time_machine.travel(SlotHold.objects.get(start_at=at(day, 12)).expires_at + timedelta(seconds=1)):
        assert api.book(late).status_code == 410
        assert api.pay(late).status_code == 410
    # swapping: a token one character off
    swapped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert api.book(swapped).status_code == 404
    assert Appointment.objects.count() == 1


# SCH-3 -------------------------------------------------------------------------------------


def test_sch3_hold_lapses_at_its_ttl(world, api):
    day = next_weekday()
    facial = world.menu["facial"].pk
    token = api.hold(facial, at(day, 10)).json()["hold_token"]
    hold = SlotHold.objects.get()
    ttl = timedelta(minutes=world.portal().settings.hold_minutes)
    assert ttl <= hold.expires_at - hold.created_at <= ttl + timedelta(minutes=1)  # to the next whole minute
    with time_machine.travel(hold.expires_at - timedelta(seconds=5)):
        assert at(day, 10).isoformat() not in starts(api.availability([facial], start_date=day, days=1).json())
    with time_machine.travel(hold.expires_at + timedelta(seconds=1)):
        assert at(day, 10).isoformat() in starts(api.availability([facial], start_date=day, days=1).json())
        assert api.book(token).status_code == 410
        assert services.bookings_expire() == 1
        outliving = SlotHold.objects.filter(status="held", expires_at__lte=datetime.now().astimezone()).count()
        outliving += Reservation.objects.filter(hold__isnull=False, active=True).count()
        other = PublicApi(ip="198.51.100.44")
        assert other.hold(facial, at(day, 10)).status_code == 201  # someone else can have it now
    assert OnlineBooking.objects.get(hold=hold).state == BookingState.EXPIRED
    assert not Appointment.objects.exists()
    print(f"\nSCH-3: holds outliving their TTL = {outliving}")  # noqa: T201
    assert outliving == 0


@pytest.mark.parametrize(
    ("now", "day", "offset"),
    [
        (datetime(2027, 3, 10, 15, 0, tzinfo=UTC), date(2027, 3, 14), "-04:00"),  # spring forward: EDT that day
        (datetime(2027, 3, 10, 15, 0, tzinfo=UTC), date(2027, 3, 13), "-05:00"),
        (datetime(2027, 11, 3, 15, 0, tzinfo=UTC), date(2027, 11, 7), "-05:00"),  # fall back: EST that day
        (datetime(2027, 11, 3, 15, 0, tzinfo=UTC), date(2027, 11, 6), "-04:00"),
    ],
)
def test_sch3_holds_across_dst_land_on_the_wall_clock(world, api, now, day, offset):
    """Around the US DST changes in New York the offered times are the 09:00–17:00 wall clock,
    none lost or doubled, and a hold lands at the wall time it was offered for."""
    with time_machine.travel(now, tick=False):
        facial = world.menu["facial"].pk
        body = api.availability([facial], start_date=day, days=1).json()
        times = body["days"][0]["times"]
        labels = [t["label"] for t in times]
        assert labels[0] == "9:00 AM" and len(labels) == len(set(labels))
        assert all(t["start"].endswith(offset) for t in times)
        step = int(world.portal().rules.get("slot_minutes", 15))
        gaps = {
            (datetime.fromisoformat(b["start"]) - datetime.fromisoformat(a["start"])).seconds // 60
            for a, b in itertools.pairwise(times)
        }
        assert gaps == {step}  # nothing lost or overlapping
        chosen = next(t for t in times if t["label"] == "10:00 AM")
        held = api.hold(facial, chosen["start"])
        assert held.status_code == 201, held.content
        assert held.json()["booking"]["start"] == f"{day.isoformat()}T10:00:00{offset}"
        assert SlotHold.objects.get().start_at == at(day, 10)
        booked = api.book(held.json()["hold_token"])
        assert booked.json()["booking"]["services"][0]["start"] == f"{day.isoformat()}T10:00:00{offset}"


# LED-3 -------------------------------------------------------------------------------------


def _concurrent_bookings(world, token: str, key: str | None, n: int) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(index):
        try:
            barrier.wait(timeout=20)
            response = PublicApi(ip=f"198.51.100.{60 + index}").book(token, key=key)
            results[index] = (response.status_code, response.json())
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.parametrize("n", [2, 8])
def test_led3_concurrent_bookings_with_one_key(world, api, n):
    day = next_weekday()
    token = api.hold(world.menu["facial"].pk, at(day, 10)).json()["hold_token"]
    results = _concurrent_bookings(world, token, f"key-{n}", n)
    assert all(r is not None for r in results), results
    effects = Appointment.objects.filter(source="online").count()
    statuses = {status for status, _body in results}
    bodies = {json.dumps(body, sort_keys=True) for _status, body in results}
    print(f"\nLED-3: {n} concurrent requests, one key: effects per key = {effects}, distinct answers = {len(bodies)}")  # noqa: T201
    assert effects == 1 and Patient.objects.filter(source="online_booking").count() == 1
    assert statuses == {201} and len(bodies) == 1
    assert IdempotencyKey.objects.filter(key=f"key-{n}").count() == 1


def test_led3_key_reused_with_another_body_is_422(world, api):
    day = next_weekday()
    token = api.hold(world.menu["facial"].pk, at(day, 10)).json()["hold_token"]
    first = api.book(token, key="same-key")
    replay = api.book(token, key="same-key")
    assert first.status_code == replay.status_code == 201 and replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    variants = [{"first_name": "Eve"}, {"notes": "changed"}, {"email": "x@example.com"}, {"hold_token": "y" * 43}]
    refused = 0
    for variant in variants:
        response = api.book(variant.pop("hold_token", token), key="same-key", **variant)
        refused += response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    share = 100 * refused // len(variants)
    print(f"\nLED-3: key reused with a different body -> 422 in {share}% of cases")  # noqa: T201
    assert share == 100
    assert Appointment.objects.count() == 1


def test_led3_without_a_key_the_hold_is_single_use(world, api):
    day = next_weekday()
    token = api.hold(world.menu["facial"].pk, at(day, 10)).json()["hold_token"]
    results = _concurrent_bookings(world, token, None, 2)
    assert {status for status, _ in results} == {201}
    assert Appointment.objects.filter(source="online").count() == 1
    assert results[0][1]["booking"] == results[1][1]["booking"]


def test_led3_failed_first_attempt_stores_nothing(world, api):
    day = next_weekday()
    token = api.hold(world.menu["facial"].pk, at(day, 10)).json()["hold_token"]
    bad = api.book(token, key="retry-key", accept_policy=False)
    assert bad.status_code == 422 and not IdempotencyKey.objects.filter(key="retry-key").exists()
    good = api.book(token, key="retry-key-2")
    assert good.status_code == 201 and Appointment.objects.count() == 1


# AUTH-2 ------------------------------------------------------------------------------------


def test_auth2_hold_writes_per_ip(world):
    day = next_weekday()
    facial = world.menu["facial"].pk
    api = PublicApi(ip="198.51.100.77")
    # Distinct taken-or-not times: the IP limit counts every write attempt, successful or not.
    answered = []
    with time_machine.travel(datetime.now(tz=UTC).replace(second=1), tick=False):  # one window
        for n in range(WRITES_PER_IP_PER_MINUTE + 1):
            answered.append(api.hold(facial, at(day, 9) + timedelta(minutes=15 * (n % 3))).status_code)
    before = answered.index(429) if 429 in answered else len(answered)
    print(f"\nAUTH-2: hold requests per IP before 429 = {before} (limit {WRITES_PER_IP_PER_MINUTE})")  # noqa: T201
    assert before == WRITES_PER_IP_PER_MINUTE and answered[-1] == 429
    assert api.responses[-1].json()["code"] == "rate_limited"
    assert PublicApi(ip="198.51.100.78").hold(facial, at(day, 15)).status_code == 201  # others unaffected


def test_auth2_reads_per_ip(world):
    api = PublicApi(ip="198.51.100.79")
    with time_machine.travel(datetime(2026, 12, 1, 15, 0, 1, tzinfo=UTC), tick=False):  # one window
        codes = [api.practitioners().status_code for _ in range(READS_PER_IP_PER_MINUTE + 1)]
    assert codes.count(200) == READS_PER_IP_PER_MINUTE and codes[-1] == 429


def test_auth2_bookings_per_contact(world):
    """The same phone number from different IPs: the sixth booking in the hour is refused."""
    day = next_weekday()
    services.settings_update(world.setup.owner, values={"max_future_bookings": 50})
    codes = []
    for n in range(BOOKINGS_PER_CONTACT_PER_HOUR + 1):
        api = PublicApi(ip=f"198.51.100.{100 + n}")
        token = api.hold(world.menu["facial"].pk, at(day + timedelta(days=n // 4), 9 + 2 * (n % 4))).json()
        codes.append(api.book(token["hold_token"], email="").status_code)
    before = codes.index(429) if 429 in codes else len(codes)
    print(f"\nAUTH-2: bookings per contact before 429 = {before} (limit {BOOKINGS_PER_CONTACT_PER_HOUR})")  # noqa: T201
    assert before == BOOKINGS_PER_CONTACT_PER_HOUR and codes[-1] == 429
    assert Appointment.objects.filter(source="online").count() == BOOKINGS_PER_CONTACT_PER_HOUR


def test_auth2_honeypot_rejects_and_writes_nothing(world, api):
    day = next_weekday()
    token = api.hold(world.menu["facial"].pk, at(day, 10)).json()["hold_token"]
    response = api.book(token, website="http://spam.example")
    assert response.status_code == 422 and response.json()["code"] == "rejected"
    waitlist = api.waitlist(world.menu["facial"].pk, day, day + timedelta(days=3), website="spam")
    assert waitlist.status_code == 422 and waitlist.json()["code"] == "rejected"
    assert not Patient.objects.filter(source="online_booking").exists()
    assert not PolicyAcceptance.objects.exists() and not Appointment.objects.exists()
    assert OnlineBooking.objects.get().state == BookingState.HOLDING


# AUTH-4 ------------------------------------------------------------------------------------


def _headers(response) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if not csp:
        problems.append("no CSP")
    script = next((d for d in csp.split(";") if d.strip().startswith("script-src")), "")
    if "unsafe-inline" in script or "unsafe-eval" in script:
        problems.append("unsafe script-src")
    if "frame-ancestors 'none'" not in csp and response.get("X-Frame-Options") != "DENY":
        problems.append("framing allowed")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if not response.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    if not response.get("Strict-Transport-Security", "").startswith("max-age=31536000"):
        problems.append("no HSTS")
    return problems


def test_auth4_headers_on_the_api_and_portal(world):
    client = Client(REMOTE_ADDR="198.51.100.90")
    findings = {}
    for url in (
        "/api/public/glow-test/services",
        "/api/public/no-such-clinic/services",
        "/api/public/bookings/forged-token-value",
        "/book/glow-test/",
    ):
        response = client.get(url, secure=True)
        assert response.status_code in (200, 404), (url, response.status_code)
        findings[url] = _headers(response)
    page = client.get("/book/glow-test/", secure=True)
    assert "'nonce-" in page["Content-Security-Policy"]
    assert "<script>" not in page.content.decode() and " onclick=" not in page.content.decode()
    print(f"\nAUTH-4: header findings = {sum(len(v) for v in findings.values())} {findings}")  # noqa: T201
    assert all(v == [] for v in findings.values()), findings


def test_auth4_api_posts_need_no_csrf_but_portal_pages_do(world):
    day = next_weekday()
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.91")
    body = {"service_ids": [str(world.menu["facial"].pk)], "start": at(day, 10).isoformat()}
    api = client.post("/api/public/glow-test/holds", json.dumps(body), "application/json")
    assert api.status_code == 201, api.content  # no cookie auth, so no CSRF token needed
    assert "sessionid" not in api.cookies
    page = client.post("/book/glow-test/hold/", {"services": str(world.menu["facial"].pk), "start": at(day, 12)})
    assert page.status_code == 403
    assert OnlineBooking.objects.count() == 1


# PRIV-5 ------------------------------------------------------------------------------------

CANARY = {"first_name": "Quillonia", "last_name": "Zebrowskaya", "email": "quillonia.zebra@canary.example"}


def test_priv5_canary_booking_leaves_no_trace_in_logs(world, api, captured):  # noqa: F811 - the fixture
    day = next_weekday()
    facial = world.menu["facial"].pk
    canary = {**CANARY, "phone": "(212) 555-0199"}
    token = api.hold(facial, at(day, 10)).json()["hold_token"]
    api.book(token, **{**canary, "email": "quillonia@"})  # 422 with the fields named
    booked = api.book(token, **canary, notes="Quillonia prefers mornings")
    assert booked.status_code == 201, booked.content
    manage = booked.json()["manage_token"]
    api.manage(manage)
    api.reschedule(manage, at(day, 14))
    api.cancel(manage)
    api.waitlist(facial, day, day + timedelta(days=5), **canary)
    api.waitlist(facial, day, day + timedelta(days=5), **{**canary, "phone": "555-0199x"})
    api.services(q="Zebrowskaya")
    assert Patient.objects.filter(first_name="Quillonia").exists()
    hits = [line for line in captured.lines if leaks(line)]
    urls = [r.request["PATH_INFO"] + "?" + r.request.get("QUERY_STRING", "") for r in api.responses]
    url_hits = [u for u in urls if leaks(u) and "services" not in u]  # the menu search is the caller's own query
    print(f"\nPRIV-5: {len(captured.lines)} log records, canary occurrences = {len(hits) + len(url_hits)}")  # noqa: T201
    assert hits == [] and url_hits == []
    assert captured.lines  # the capture was live
