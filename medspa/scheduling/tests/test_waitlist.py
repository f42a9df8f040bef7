"""The waitlist: openings freed by a cancellation or a move are offered to matching entries
in joining order (through the outbox handler, after commit), and the waitlist page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from medspa.core.models import AuditEvent, Location
from medspa.core.permissions import Role
from medspa.patients.tests.factories import PatientFactory
from medspa.scheduling import services
from medspa.scheduling.choices import AppointmentStatus, WaitlistStatus
from medspa.scheduling.models import Appointment, WaitlistEntry, WaitlistOffer
from medspa.scheduling.tests.conftest import at, next_weekday
from medspa.scheduling.waitlist import OFFERS_PER_OPENING


@pytest.fixture
def day():
    return next_weekday()


def join(setup, day, *, patient=None, service="facial", provider=None, location=None, times=None, span=(0, 0)):
    return services.waitlist_join(
        setup.owner,
        patient_id=(patient or PatientFactory(clinic=setup.clinic)).pk,
        service_id=setup.menu[service].pk,
        provider_id=provider,
        location_id=(location or setup.location).pk,
        date_from=day - timedelta(days=span[0]),
        date_to=day + timedelta(days=span[1]),
        times_of_day=times or [],
    )


def cancel_at(setup, start, capture, service="facial"):
    """Book at `start`, then cancel; the outbox delivers the opening when the cancel commits."""
    request = setup.request(start, service=service, location_id=setup.location.pk)
    appointment = services.book(setup.owner, request).booked[0]
    with capture(execute=True):
        services.appointment_cancel(setup.owner, appointment.pk, reason="Patient is unwell")
    return appointment


def offered(appointment) -> list:
    offers = WaitlistOffer.objects.filter(freed_by=appointment).order_by("entry__created_at")
    return [o.entry_id for o in offers]


def test_cancelling_offers_the_time_to_matching_entries_in_joining_order(
    setup, day, django_capture_on_commit_callbacks
):
    first = join(setup, day)
    second = join(setup, day, provider=setup.provider_user.pk)
    appointment = cancel_at(setup, at(day, 10), django_capture_on_commit_callbacks)
    offers = list(WaitlistOffer.objects.filter(freed_by=appointment).select_related("entry"))
    assert sorted(o.entry.created_at for o in offers) == [first.created_at, second.created_at]
    assert {o.entry_id for o in offers} == {first.pk, second.pk}
    offer = offers[0]
    assert offer.start_at == at(day, 10) and offer.end_at == at(day, 11)
    assert offer.provider_id == setup.provider_user.pk and offer.location_id == setup.location.pk
    statuses = set(WaitlistEntry.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == {WaitlistStatus.OFFERED}


def test_only_the_same_service_is_offered(setup, day, django_capture_on_commit_callbacks):
    other_service = join(setup, day, service="consult")
    same = join(setup, day)
    appointment = cancel_at(setup, at(day, 10), django_capture_on_commit_callbacks)
    assert offered(appointment) == [same.pk]
    assert WaitlistEntry.objects.get(pk=other_service.pk).status == WaitlistStatus.WAITING


def test_a_named_provider_is_only_offered_their_own_time(setup, day, make_member, django_capture_on_commit_callbacks):
    from medspa.catalog import services as catalog_services

    other = make_member(setup.clinic, Role.PROVIDER, email="other-injector@test.example")
    catalog_services.service_update(
        actor=setup.owner, service_id=setup.menu["facial"].pk, data={"provider_ids": [setup.provider_user.pk, other.pk]}
    )
    wants_other = join(setup, day, provider=other.pk)
    anyone = join(setup, day)
    appointment = cancel_at(setup, at(day, 10), django_capture_on_commit_callbacks)
    assert offered(appointment) == [anyone.pk]
    assert WaitlistEntry.objects.get(pk=wants_other.pk).status == WaitlistStatus.WAITING


def test_another_location_is_not_offered(setup, day, django_capture_on_commit_callbacks):
    elsewhere = Location.objects.create(clinic=setup.clinic, name="Uptown", timezone="America/New_York")
    far = join(setup, day, location=elsewhere)
    here = join(setup, day)
    appointment = cancel_at(setup, at(day, 10), django_capture_on_commit_callbacks)
    assert offered(appointment) == [here.pk]
    assert WaitlistEntry.objects.get(pk=far.pk).status == WaitlistStatus.WAITING


def test_the_opening_must_fall_inside_the_date_range(setup, day, django_capture_on_commit_callbacks):
    later = services.waitlist_join(
        setup.owner,
        patient_id=PatientFactory(clinic=setup.clinic).pk,
        service_id=setup.menu["facial"].pk,
        location_id=setup.location.pk,
        date_from=day + timedelta(days=1),
        date_to=day + timedelta(days=10),
    )
    around = join(setup, day, span=(3, 3))
    appointment = cancel_at(setup, at(day, 10), django_capture_on_commit_callbacks)
    assert offered(appointment) == [around.pk]
    assert WaitlistEntry.objects.get(pk=later.pk).status == WaitlistStatus.WAITING


def test_times_of_day_are_read_in_the_locations_zone(setup, day, django_capture_on_commit_callbacks):
    # 11:30 in New York is 15:30 or 16:30 UTC: "afternoon" in UTC, "morning" where the clinic is.
    afternoon = join(setup, day, times=["afternoon"])
    evening = join(setup, day, times=["evening"])
    morning = join(setup, day, times=["morning", "evening"])
    appointment = cancel_at(setup, at(day, 11, 30), django_capture_on_commit_callbacks)
    assert offered(appointment) == [morning.pk]
    waiting = set(WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).values_list("pk", flat=True))
    assert waiting == {afternoon.pk, evening.pk}


def test_at_most_the_first_entries_are_offered_and_the_next_waits_for_the_next_opening(
    setup, day, django_capture_on_commit_callbacks
):
    entries = [join(setup, day) for _ in range(OFFERS_PER_OPENING + 1)]
    first_opening = cancel_at(setup, at(day, 10), django_capture_on_commit_callbacks)
    assert set(offered(first_opening)) == {e.pk for e in entries[:OFFERS_PER_OPENING]}
    assert WaitlistEntry.objects.get(pk=entries[-1].pk).status == WaitlistStatus.WAITING
    second_opening = cancel_at(setup, at(day, 14), django_capture_on_commit_callbacks)
    assert offered(second_opening) == [entries[-1].pk]


def test_joining_order_wins_over_the_order_rows_come_back(setup, day, django_capture_on_commit_callbacks):
    entries = [join(setup, day) for _ in range(OFFERS_PER_OPENING + 2)]
    # The last to join is made the oldest: it must be offered first, and the newest left out.
    WaitlistEntry.objects.filter(pk=entries[-1].pk).update(created_at=entries[0].created_at - timedelta(hours=1))
    appointment = cancel_at(setup, at(day, 10), django_capture_on_commit_callbacks)
    chosen = set(offered(appointment))
    assert entries[-1].pk in chosen and entries[-2].pk not in chosen
    assert len(chosen) == OFFERS_PER_OPENING


def test_moving_an_appointment_offers_the_old_time(setup, day, django_capture_on_commit_callbacks):
    entry = join(setup, day)
    appointment = services.book(setup.owner, setup.request(at(day, 10))).booked[0]
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_move(setup.owner, appointment.pk, start=at(day, 15))
    offer = WaitlistOffer.objects.get(entry=entry)
    assert offer.start_at == at(day, 10) and offer.freed_by_id == appointment.pk


def test_other_clinics_entries_are_never_offered(
    setup, day, other_clinic, make_member, django_capture_on_commit_callbacks
):
    from medspa.catalog.tests.factories import make_catalog
    from medspa.core.actors import Actor

    boss = make_member(other_clinic, Role.OWNER, email="boss@other.example")
    them = Actor.staff(user=boss, clinic=other_clinic, role=Role.OWNER)
    menu = make_catalog(them, suffix=" (other)")
    services.waitlist_join(
        them,
        patient_id=PatientFactory(clinic=other_clinic).pk,
        service_id=menu["facial"].pk,
        location_id=menu["location"].pk,
        date_from=day,
        date_to=day,
    )
    cancel_at(setup, at(day, 10), django_capture_on_commit_callbacks)
    assert WaitlistOffer.objects.filter(clinic=other_clinic).count() == 0


# The page ------------------------------------------------------------------------------


@pytest.fixture
def desk(setup, make_member, login):
    return login(make_member(setup.clinic, Role.FRONT_DESK, email="desk@test.example"))


def test_page_lists_waiting_entries_in_joining_order(setup, day, desk):
    names = []
    for first_name in ("Zoe", "Adam", "Maya"):
        patient = PatientFactory(clinic=setup.clinic, first_name=first_name, last_name="Waitwell")
        join(setup, day, patient=patient, times=["morning"])
        names.append(patient.display_name)
    page = desk.get("/waitlist/").content.decode()
    positions = [page.index(name) for name in names]
    assert positions == sorted(positions)
    assert "Morning" in page and "Anyone" in page


def test_empty_page_says_so(setup, desk):
    page = desk.get("/waitlist/").content.decode()
    assert "Nobody is waiting" in page and "No openings offered" in page


def test_join_form_adds_an_entry(setup, day, desk):
    response = desk.post(
        "/waitlist/join/",
        {
            "patient_id": setup.patient.pk,
            "service": setup.menu["facial"].pk,
            "provider": "",
            "location": setup.location.pk,
            "date_from": day.isoformat(),
            "date_to": (day + timedelta(days=7)).isoformat(),
            "times_of_day": ["morning", "evening"],
            "notes": "Prefers Tuesdays",
        },
    )
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(clinic=setup.clinic)
    assert entry.patient_id == setup.patient.pk and entry.provider_id is None
    assert entry.times_of_day == ["morning", "evening"] and entry.notes == "Prefers Tuesdays"
    assert AuditEvent.objects.filter(action="waitlist.joined", object_id=str(entry.pk)).exists()


def test_join_form_errors_are_inline_and_write_nothing(setup, day, desk):
    response = desk.post(
        "/waitlist/join/",
        {
            "patient_id": setup.patient.pk,
            "service": setup.menu["facial"].pk,
            "location": setup.location.pk,
            "date_from": day.isoformat(),
            "date_to": (day - timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "Must be on or after the first date." in response.content.decode()
    missing = desk.post("/waitlist/join/", {"service": setup.menu["facial"].pk})
    assert missing.status_code == 422 and "Search for the patient, then pick one." in missing.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_joining_with_a_provider_who_does_not_perform_the_service_is_refused_inline(setup, day, desk, make_member):
    other = make_member(setup.clinic, Role.PROVIDER, email="not-facials@test.example")
    response = desk.post(
        "/waitlist/join/",
        {
            "patient_id": setup.patient.pk,
            "service": setup.menu["facial"].pk,
            "provider": other.pk,
            "location": setup.location.pk,
            "date_from": day.isoformat(),
            "date_to": day.isoformat(),
        },
    )
    assert response.status_code == 422 and "Does not perform it." in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_patient_typeahead_is_posted_and_offers_radio_choices(setup, desk):
    PatientFactory(clinic=setup.clinic, first_name="Jennifer", last_name="Smithson")
    response = desk.post("/waitlist/patients/", {"q": "jen smi"})
    body = response.content.decode()
    assert response.status_code == 200 and 'name="patient_id"' in body and "Smithson" in body
    assert desk.get("/waitlist/patients/?q=jen").status_code == 405


def test_remove_takes_the_entry_off_the_list(setup, day, desk):
    entry = join(setup, day)
    assert desk.post(f"/waitlist/{entry.pk}/remove/").status_code == 302
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistStatus.REMOVED
    assert entry.patient.display_name not in desk.get("/waitlist/").content.decode()


def _offer(setup, day, hour=10):
    entry = join(setup, day)
    start = at(day, hour)
    return WaitlistOffer.objects.create(
        clinic=setup.clinic,
        entry=entry,
        provider=setup.provider_user,
        location=setup.location,
        start_at=start,
        end_at=start + timedelta(hours=1),
    )


def test_one_click_books_the_offer(setup, day, desk):
    offer = _offer(setup, day)
    assert "Book" in desk.get("/waitlist/").content.decode()
    response = desk.post(f"/waitlist/offers/{offer.pk}/book/")
    assert response.status_code == 302
    appointment = Appointment.objects.get(patient=offer.entry.patient)
    assert appointment.start_at == offer.start_at and appointment.provider_id == setup.provider_user.pk
    entry = WaitlistEntry.objects.get(pk=offer.entry_id)
    assert entry.status == WaitlistStatus.BOOKED and entry.booked_appointment_id == appointment.pk
    assert WaitlistOffer.objects.get(pk=offer.pk).booked


def test_booking_an_offer_whose_time_was_taken_is_a_clear_409(setup, day, desk):
    offer = _offer(setup, day)
    services.book(setup.owner, setup.request(at(day, 10)))
    response = desk.post(f"/waitlist/offers/{offer.pk}/book/")
    assert response.status_code == 409
    assert "That time is no longer free. Nothing was booked" in response.content.decode()
    assert not Appointment.objects.filter(patient=offer.entry.patient).exists()
    assert not WaitlistOffer.objects.get(pk=offer.pk).booked


def test_booking_an_offer_twice_is_a_409(setup, day, desk):
    offer = _offer(setup, day)
    assert desk.post(f"/waitlist/offers/{offer.pk}/book/").status_code == 302
    again = desk.post(f"/waitlist/offers/{offer.pk}/book/")
    assert again.status_code == 409 and "already booked" in again.content.decode()
    assert Appointment.objects.filter(patient=offer.entry.patient, status=AppointmentStatus.SCHEDULED).count() == 1


def test_read_only_sees_the_list_but_cannot_act(setup, day, make_member, login):
    offer = _offer(setup, day)
    viewer = login(make_member(setup.clinic, Role.READ_ONLY, email="viewer@test.example"))
    page = viewer.get("/waitlist/")
    assert page.status_code == 200 and "Add to the waitlist" not in page.content.decode()
    assert f"/waitlist/offers/{offer.pk}/book/" not in page.content.decode()
    assert viewer.post(f"/waitlist/offers/{offer.pk}/book/").status_code == 403
    assert viewer.post(f"/waitlist/{offer.entry_id}/remove/").status_code == 403
    assert not Appointment.objects.filter(patient=offer.entry.patient).exists()


def test_providers_without_the_clinic_calendar_do_not_see_it(setup, login):
    client = login(setup.provider_user)
    assert client.get("/waitlist/").status_code == 403
    nav = client.get("/patients/").content.decode()
    assert 'href="/waitlist/"' not in nav


def test_offers_in_the_past_are_not_listed(setup, day, desk):
    offer = _offer(setup, day)
    WaitlistOffer.objects.filter(pk=offer.pk).update(
        start_at=timezone.now() - timedelta(hours=2), end_at=timezone.now() - timedelta(hours=1)
    )
    assert "No openings offered" in desk.get("/waitlist/").content.decode()


def test_booking_one_offer_withdraws_the_same_time_from_the_others_who_wait_again(
    setup, day, desk, django_capture_on_commit_callbacks
):
    first, second = join(setup, day), join(setup, day)
    opening = cancel_at(setup, at(day, 10), django_capture_on_commit_callbacks)
    offers = {o.entry_id: o for o in WaitlistOffer.objects.filter(freed_by=opening)}
    assert desk.post(f"/waitlist/offers/{offers[first.pk].pk}/book/").status_code == 302
    page = desk.get("/waitlist/").content.decode()
    assert f"/waitlist/offers/{offers[second.pk].pk}/book/" not in page  # the time is taken
    assert WaitlistEntry.objects.get(pk=second.pk).status == WaitlistStatus.WAITING
    next_opening = cancel_at(setup, at(day, 14), django_capture_on_commit_callbacks)
    assert offered(next_opening) == [second.pk]


def test_offers_of_removed_entries_are_not_listed(setup, day, desk):
    offer = _offer(setup, day)
    services.waitlist_remove(setup.owner, entry_id=offer.entry_id)
    assert f"/waitlist/offers/{offer.pk}/book/" not in desk.get("/waitlist/").content.decode()
