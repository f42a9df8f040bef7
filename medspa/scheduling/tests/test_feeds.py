"""Calendar feeds: private, revocable iCalendar URLs of a provider's appointments."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from medspa.core.actors import Actor
from medspa.core.errors import InvalidInput, NotFound, PermissionDenied
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.patients.tests.factories import PatientFactory
from medspa.scheduling import ics, services
from medspa.scheduling.models import Appointment, CalendarFeed
from medspa.scheduling.tests.conftest import at, next_weekday


def feed_url(token: str) -> str:
    return f"/calendar/feed/{token}.ics"


def unfold(text: str) -> str:
    return text.replace("\r\n ", "")


@pytest.fixture
def booked(setup):
    """Three appointments of the provider: next week, one cancelled, and one 40 days ago."""
    day = next_weekday()
    patient = PatientFactory(clinic=setup.clinic, first_name="Jane", last_name="Smith")
    setup.patient = patient
    kept = services.book(setup.owner, setup.request(at(day, 10), location_id=setup.location.pk)).booked[0]
    dropped = services.book(setup.owner, setup.request(at(day, 14), location_id=setup.location.pk)).booked[0]
    services.appointment_cancel(setup.owner, dropped.pk, reason="Moved away")
    old = services.book(setup.owner, setup.request(at(day, 12), location_id=setup.location.pk)).booked[0]
    Appointment.objects.filter(pk=old.pk).update(
        start_at=timezone.now() - timedelta(days=40), end_at=timezone.now() - timedelta(days=40, hours=-1)
    )
    return {"kept": kept, "dropped": dropped, "old": old, "day": day}


def test_token_is_256_bits_returned_once_and_only_its_hash_stored(setup):
    created = services.feed_create(setup.provider, setup.provider_user.pk)
    assert len(created.token) >= 43  # 32 random bytes, URL-safe base64
    feed = CalendarFeed.objects.get(pk=created.feed.pk)
    assert feed.token_hash == hashlib.sha256(created.token.encode()).hexdigest()
    assert created.token not in str(CalendarFeed.objects.filter(pk=feed.pk).values().first())
    event = AuditEvent.objects.get(action="calendar_feed.created", object_id=str(feed.pk))
    assert created.token not in str(event.changes) and not feed.show_patient_names


def test_feed_lists_initials_and_service_in_utc_with_stable_uids(setup, booked):
    token = services.feed_create(setup.provider, setup.provider_user.pk).token
    response = Client().get(feed_url(token))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Cache-Control"] == "private, no-store"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    text = unfold(body)
    kept = booked["kept"]
    assert f"UID:{kept.pk}@medspa" in text
    assert "SUMMARY:J.S. — Facial" in text
    assert "Jane" not in text and "Smith\r\n" not in text and "Smith" not in text
    assert f"DTSTART:{kept.start_at.astimezone(ics.UTC):%Y%m%dT%H%M%SZ}" in text
    assert f"DTEND:{kept.end_at.astimezone(ics.UTC):%Y%m%dT%H%M%SZ}" in text
    assert str(booked["dropped"].pk) not in text  # cancelled
    assert str(booked["old"].pk) not in text  # older than 30 days
    again = unfold(Client().get(feed_url(token)).content.decode())
    assert re.findall(r"UID:[^\r]+", again) == re.findall(r"UID:[^\r]+", text)
    reads = AuditEvent.objects.filter(action="calendar_feed.read", clinic=setup.clinic)
    assert reads.count() == 2 and reads.first().changes["events"] == 1


def test_names_are_shown_only_when_an_owner_opts_in(setup, booked):
    created = services.feed_create(setup.provider, setup.provider_user.pk)
    with pytest.raises(PermissionDenied):
        services.feed_set_patient_names(setup.provider, created.feed.pk, True)
    with pytest.raises(PermissionDenied):
        services.feed_create(setup.provider, setup.provider_user.pk, show_patient_names=True)
    services.feed_set_patient_names(setup.owner, created.feed.pk, True)
    text = unfold(Client().get(feed_url(created.token)).content.decode())
    assert f"SUMMARY:{setup.patient.display_name} — Facial" in text
    assert AuditEvent.objects.filter(action="calendar_feed.names_changed").exists()


def test_revoked_unknown_and_replaced_tokens_are_404(setup, booked):
    first = services.feed_create(setup.provider, setup.provider_user.pk)
    second = services.feed_create(setup.provider, setup.provider_user.pk)
    client = Client()
    assert client.get(feed_url(first.token)).status_code == 404  # replaced by the new URL
    assert client.get(feed_url(second.token)).status_code == 200
    services.feed_revoke(setup.provider, second.feed.pk)
    assert client.get(feed_url(second.token)).status_code == 404
    assert client.get(feed_url("not-a-token")).status_code == 404
    assert client.get(feed_url("x" * 500)).status_code == 404
    assert AuditEvent.objects.filter(action="calendar_feed.revoked", object_id=str(second.feed.pk)).exists()


def test_a_provider_who_left_the_clinic_has_no_feed(setup, booked):
    from medspa.accounts.models import Membership

    token = services.feed_create(setup.provider, setup.provider_user.pk).token
    Membership.objects.filter(user=setup.provider_user, clinic=setup.clinic).update(is_active=False)
    assert Client().get(feed_url(token)).status_code == 404


def test_who_may_create_and_revoke(setup, make_member, other_clinic):
    desk_user = make_member(setup.clinic, Role.FRONT_DESK, email="desk@test.example")
    desk = Actor.staff(user=desk_user, clinic=setup.clinic, role=Role.FRONT_DESK)
    with pytest.raises(PermissionDenied):
        services.feed_create(desk, setup.provider_user.pk)  # someone else's feed
    with pytest.raises(InvalidInput):
        services.feed_create(setup.owner, desk_user.pk)  # not a practitioner
    created = services.feed_create(setup.owner, setup.provider_user.pk)  # scheduling.manage: anyone's
    second = make_member(setup.clinic, Role.PROVIDER, email="second@test.example")
    colleague = Actor.staff(user=second, clinic=setup.clinic, role=Role.PROVIDER)
    with pytest.raises(NotFound):
        services.feed_revoke(colleague, created.feed.pk)  # a colleague's feed looks missing
    boss = make_member(other_clinic, Role.OWNER, email="boss@other.example")
    with pytest.raises(NotFound):
        services.feed_revoke(Actor.staff(user=boss, clinic=other_clinic, role=Role.OWNER), created.feed.pk)
    services.feed_revoke(setup.provider, created.feed.pk)  # their own
    assert CalendarFeed.objects.get(pk=created.feed.pk).revoked_at is not None


def test_text_escaping_and_folding():
    assert ics.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "é" * 80
    folded = ics.fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in pieces) and all(p.startswith(" ") for p in pieces[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(pieces)) == line


def test_settings_page_creates_shows_once_and_revokes(setup, login):
    client = login(setup.provider_user)
    page = client.get("/settings/calendar-feed/")
    assert page.status_code == 200 and "Create URL" in page.content.decode()
    created = client.post("/settings/calendar-feed/", {})
    body = created.content.decode()
    assert created.status_code == 200 and created["Cache-Control"] == "private, no-store"
    url = re.search(r'value="(http[^"]+\.ics)"', body).group(1)
    assert Client().get(url.split("testserver", 1)[1]).status_code == 200
    token = url.rsplit("/", 1)[1][: -len(".ics")]
    assert token not in client.get("/settings/calendar-feed/").content.decode()  # shown once
    feed = CalendarFeed.objects.get(provider=setup.provider_user, revoked_at__isnull=True)
    assert client.post(f"/settings/calendar-feed/{feed.pk}/revoke/").status_code == 302
    assert Client().get(f"/calendar/feed/{token}.ics").status_code == 404


def test_provider_cannot_create_a_colleagues_feed_or_opt_into_names(setup, make_member, login):
    other = make_member(setup.clinic, Role.PROVIDER, email="colleague@test.example")
    client = login(setup.provider_user)
    assert client.post("/settings/calendar-feed/", {"provider_id": other.pk}).status_code == 403
    feed = services.feed_create(setup.provider, setup.provider_user.pk).feed
    assert client.post(f"/settings/calendar-feed/{feed.pk}/names/", {"show_patient_names": "on"}).status_code == 403
    assert not CalendarFeed.objects.get(pk=feed.pk).show_patient_names


def test_owner_page_lists_every_practitioner_and_toggles_names(setup, login, owner):
    client = login(owner)
    page = client.get("/settings/calendar-feed/").content.decode()
    assert setup.provider_user.full_name in page
    feed = services.feed_create(setup.owner, setup.provider_user.pk).feed
    response = client.post(f"/settings/calendar-feed/{feed.pk}/names/", {"show_patient_names": "on"})
    assert response.status_code == 302 and CalendarFeed.objects.get(pk=feed.pk).show_patient_names


def test_front_desk_has_no_feed_page(setup, make_member, login):
    client = login(make_member(setup.clinic, Role.FRONT_DESK, email="desk2@test.example"))
    assert client.get("/settings/calendar-feed/").status_code == 403
