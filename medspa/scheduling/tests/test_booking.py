"""Booking, moving and cancelling through the services: rules, conflicts, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from medspa.core.actors import Actor
from medspa.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.scheduling import services
from medspa.scheduling.choices import AppointmentStatus
from medspa.scheduling.models import Appointment, AppointmentChange, Reservation, SchedulePolicy
from medspa.scheduling.tests.conftest import at, next_weekday


def test_booking_creates_the_appointment_its_reservations_and_an_audit_event(setup):
    day = next_weekday()
    visit = services.book(setup.owner, setup.request(at(day, 10)))
    (appointment,) = visit.booked
    assert appointment.start_at == at(day, 10) and appointment.end_at == at(day, 11)
    assert appointment.status == AppointmentStatus.SCHEDULED
    kinds = sorted(Reservation.objects.filter(appointment=appointment).values_list("kind", flat=True))
    assert kinds == ["provider"]  # the facial needs no room kind or equipment
    assert AuditEvent.objects.filter(action="appointment.booked", object_id=str(appointment.pk)).exists()


def test_a_service_needing_room_and_equipment_reserves_both(setup):
    visit = services.book(setup.owner, setup.request(at(next_weekday(), 10), service="ipl"))
    (appointment,) = visit.booked
    assert str(appointment.room_id) == str(setup.menu["room"].pk)
    kinds = sorted(Reservation.objects.filter(appointment=appointment).values_list("kind", flat=True))
    assert kinds == ["equipment", "provider", "room"]
    block = Reservation.objects.get(appointment=appointment, kind="provider")
    assert block.end_minute - block.start_minute == 45 + 10  # service and cleanup buffer


def test_overlap_with_the_provider_is_a_409_naming_the_conflict_and_writes_nothing(setup):
    day = next_weekday()
    first = services.book(setup.owner, setup.request(at(day, 10))).booked[0]
    before = Appointment.objects.count()
    with pytest.raises(Conflict) as caught:
        services.book(setup.owner, setup.request(at(day, 10, 30)))
    assert caught.value.fields["conflict"]["appointment_id"] == str(first.pk)
    assert Appointment.objects.count() == before


def test_equipment_is_shared_across_providers(setup, make_member):
    second = make_member(setup.clinic, Role.PROVIDER, email="second@test.example")
    from medspa.catalog import services as catalog_services

    catalog_services.service_update(
        actor=setup.owner,
        service_id=setup.menu["ipl"].pk,
        data={"provider_ids": [setup.provider_user.pk, second.pk]},
    )
    services.hours_replace(
        setup.owner,
        provider_id=second.pk,
        location_id=setup.location.pk,
        blocks=[services.Block(d, 9 * 60, 17 * 60) for d in range(7)],
    )
    day = next_weekday()
    services.book(setup.owner, setup.request(at(day, 10), service="ipl"))
    other = setup.request(at(day, 10), service="ipl")
    other.provider_id = second.pk
    with pytest.raises(Conflict) as caught:
        services.book(setup.owner, other)
    assert caught.value.fields["conflict"]["resource"] in {"room", "equipment"}


@pytest.mark.parametrize(
    ("hour", "minute", "code"),
    [(8, 0, "outside_working_hours"), (16, 30, "outside_working_hours"), (20, 0, "outside_working_hours")],
)
def test_outside_working_hours_is_refused(setup, hour, minute, code):
    with pytest.raises(InvalidInput) as caught:
        services.book(setup.owner, setup.request(at(next_weekday(), hour, minute)))
    assert caught.value.code == code
    assert not Appointment.objects.exists()


def test_bad_input_is_refused_with_field_errors(setup, other_clinic):
    day = next_weekday()
    cases = [
        ({"service_ids": []}, "service_id"),
        ({"service_ids": ["not-a-uuid"]}, "service_id"),
        ({"provider_id": "nope"}, "practitioner_id"),
        ({"notes": "x" * 2001}, "notes"),
        ({"room_id": setup.menu["consult_room"].pk}, "room_id"),
    ]
    for change, field_name in cases:
        request = setup.request(at(day, 10))
        for key, value in change.items():
            setattr(request, key, value)
        with pytest.raises(InvalidInput) as caught:
            services.book(setup.owner, request)
        assert field_name in caught.value.fields, change
    naive = setup.request(at(day, 10).replace(tzinfo=None))
    with pytest.raises(InvalidInput):
        services.book(setup.owner, naive)
    assert not Appointment.objects.exists()


def test_a_service_the_provider_does_not_perform_is_refused(setup, make_member):
    stranger = make_member(setup.clinic, Role.PROVIDER, email="stranger@test.example")
    request = setup.request(at(next_weekday(), 10))
    request.provider_id = stranger.pk
    with pytest.raises(InvalidInput) as caught:
        services.book(setup.owner, request)
    assert caught.value.code == "provider_does_not_perform"


def test_other_clinic_ids_are_not_found(setup, other_clinic):
    from medspa.patients.tests.factories import PatientFactory

    foreign = PatientFactory(clinic=other_clinic)
    request = setup.request(at(next_weekday(), 10))
    request.patient_id = foreign.pk
    with pytest.raises(NotFound):
        services.book(setup.owner, request)
    request = setup.request(at(next_weekday(), 10))
    request.location_id = other_clinic.locations.first().pk if hasattr(other_clinic, "locations") else None
    from medspa.core.models import Location

    request.location_id = Location.objects.filter(clinic=other_clinic).first().pk
    with pytest.raises(NotFound):
        services.book(setup.owner, request)
    assert not Appointment.objects.exists()


def test_provider_books_only_their_own_calendar(setup, make_member):
    services.book(setup.provider, setup.request(at(next_weekday(), 10)))
    other = make_member(setup.clinic, Role.PROVIDER, email="other@test.example")
    request = setup.request(at(next_weekday(), 12))
    request.provider_id = other.pk
    with pytest.raises(PermissionDenied):
        services.book(setup.provider, request)
    readonly = Actor.staff(user=setup.provider_user, clinic=setup.clinic, role=Role.READ_ONLY)
    with pytest.raises(PermissionDenied):
        services.book(readonly, setup.request(at(next_weekday(), 14)))


def test_deliberate_double_booking_needs_the_setting_and_is_audited(setup):
    day = next_weekday()
    services.book(setup.owner, setup.request(at(day, 10)))
    again = setup.request(at(day, 10), double_book=True)
    with pytest.raises(InvalidInput):
        services.book(setup.owner, again)
    SchedulePolicy.objects.update_or_create(clinic=setup.clinic, defaults={"allow_staff_double_booking": True})
    second = services.book(setup.owner, again).booked[0]
    assert second.double_booked
    assert Reservation.objects.get(appointment=second, kind="provider").unit == 1
    assert AuditEvent.objects.filter(action="appointment.double_booked").count() == 1
    online = setup.request(at(day, 10), double_book=True, online=True)
    with pytest.raises(InvalidInput):
        services.book(setup.owner, online)


def test_move_checks_the_new_time_ignoring_its_own_and_keeps_history(setup):
    day = next_weekday()
    appointment = services.book(setup.owner, setup.request(at(day, 10))).booked[0]
    # Overlapping its own old time is fine.
    moved = services.appointment_move(setup.owner, appointment.pk, start=at(day, 10, 30), version=1)
    assert moved.start_at == at(day, 10, 30) and moved.version == 2
    change = AppointmentChange.objects.get(appointment=appointment)
    assert change.from_start == at(day, 10) and change.to_start == at(day, 10, 30)
    assert Reservation.objects.filter(appointment=appointment, active=True).count() == 1
    blocker = services.book(setup.owner, setup.request(at(day, 13))).booked[0]
    with pytest.raises(Conflict):
        services.appointment_move(setup.owner, appointment.pk, start=at(day, 13, 15))
    with pytest.raises(Conflict):  # stale version
        services.appointment_move(setup.owner, appointment.pk, start=at(day, 15), version=1)
    resized = services.appointment_move(setup.owner, appointment.pk, start=at(day, 10, 30), duration=90)
    assert resized.end_at == at(day, 12)
    assert blocker.pk


def test_status_transitions_are_validated(setup):
    day = next_weekday()
    appointment = services.book(setup.owner, setup.request(at(day, 10))).booked[0]
    with pytest.raises(InvalidInput):
        services.appointment_set_status(setup.owner, appointment.pk, AppointmentStatus.COMPLETED)
    for status in (AppointmentStatus.CONFIRMED, AppointmentStatus.ARRIVED, AppointmentStatus.IN_PROGRESS):
        appointment = services.appointment_set_status(setup.owner, appointment.pk, status)
    assert appointment.checked_in_at is not None
    with pytest.raises(InvalidInput):
        services.appointment_set_status(setup.owner, appointment.pk, AppointmentStatus.CANCELLED, reason="x")
    services.appointment_set_status(setup.owner, appointment.pk, AppointmentStatus.COMPLETED)


def test_cancelling_needs_a_reason_and_frees_the_time(setup):
    day = next_weekday()
    appointment = services.book(setup.owner, setup.request(at(day, 10))).booked[0]
    with pytest.raises(InvalidInput):
        services.appointment_cancel(setup.owner, appointment.pk, reason=" ")
    cancelled = services.appointment_cancel(setup.owner, appointment.pk, reason="Patient is ill")
    assert cancelled.cancelled_at and cancelled.cancellation_reason == "Patient is ill"
    assert not Reservation.objects.filter(appointment=appointment, active=True).exists()
    services.book(setup.owner, setup.request(at(day, 10)))  # the time is free again
    with pytest.raises(InvalidInput):
        services.appointment_move(setup.owner, appointment.pk, start=at(day, 14))


def test_a_visit_books_services_back_to_back(setup):
    day = next_weekday()
    request = setup.request(at(day, 10))
    request.service_ids = [setup.menu["facial"].pk, setup.menu["ipl"].pk]
    visit = services.book(setup.owner, request)
    first, second = visit.booked
    assert second.start_at == first.end_at  # facial has no after-buffer, IPL no before-buffer
    assert {a.visit_id for a in visit.booked} == {visit.pk}


def test_recurring_series_books_what_it_can_and_reports_the_rest(setup):
    day = next_weekday()
    services.book(setup.owner, setup.request(at(day + timedelta(weeks=2), 10)))  # blocks the third
    result = services.book_series(setup.owner, setup.request(at(day, 10)), interval_weeks=1, count=4)
    assert len(result.booked) == 3
    assert [start for start, _ in result.failed] == [at(day + timedelta(weeks=2), 10)]
    assert Appointment.objects.filter(series=result.series).count() == 3


def test_addons_lengthen_the_first_service(setup):
    request = setup.request(at(next_weekday(), 10), service="ipl")
    request.addon_ids = [setup.menu["addon"].pk]
    (appointment,) = services.book(setup.owner, request).booked
    assert appointment.end_at - appointment.start_at == timedelta(minutes=45 + 15)
