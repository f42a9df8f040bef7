"""The portal's flow through its services: hold, details and policy, deposit, booked."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from medspa.booking import selectors, services
from medspa.booking.choices import BookingState
from medspa.booking.models import DepositPayment, OnlineBooking, PolicyAcceptance
from medspa.booking.tests.conftest import at, next_weekday
from medspa.core.errors import Conflict, Gone, InvalidInput, NotFound
from medspa.patients.models import Patient
from medspa.scheduling.choices import AppointmentStatus, HoldStatus
from medspa.scheduling.models import Appointment, Reservation, SlotHold

pytestmark = pytest.mark.django_db(transaction=True)


def test_new_patient_books_without_deposit(world):
    day = next_weekday()
    held = world.hold(at(day, 10))
    assert held.booking.state == BookingState.HOLDING
    assert Reservation.objects.filter(hold=held.booking.hold, active=True).exists()
    booking = world.submit(held.token)
    assert booking.state == BookingState.BOOKED
    appointment = Appointment.objects.get(visit=booking.visit)
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert appointment.source == "online"
    patient = Patient.objects.get(pk=appointment.patient_id)
    assert patient.source == "online_booking" and patient.phone == "+12125550142"
    assert SlotHold.objects.get(pk=held.booking.hold_id).status == HoldStatus.BOOKED
    assert not Reservation.objects.filter(hold=held.booking.hold_id).exists()
    assert Reservation.objects.filter(appointment=appointment, active=True).count() >= 1
    acceptance = PolicyAcceptance.objects.get(booking=booking)
    assert "24 hours" in acceptance.policy_text and acceptance.ip_address == "203.0.113.9"
    sent = [m for m in mail.outbox if m.to == ["ava.reyes@example.com"]]
    assert len(sent) == 1 and "confirmed" in sent[0].subject
    assert [a[0] for a in sent[0].attachments] == ["appointment.ics"]
    assert "BEGIN:VEVENT" in sent[0].attachments[0][1]


def test_submitting_twice_books_once(world):
    held = world.hold(at(next_weekday(), 11))
    first = world.submit(held.token)
    second = world.submit(held.token)
    assert first.pk == second.pk and first.visit_id == second.visit_id
    assert Appointment.objects.filter(visit=first.visit).count() == 1


def test_held_time_is_not_offered_to_others(world):
    day = next_weekday()
    world.hold(at(day, 10))
    days = selectors.public_availability(world.portal(), [world.menu["facial"].pk], start=day, days=1)
    starts = [t["start"] for t in days[0]["times"]]
    assert at(day, 10).isoformat() not in starts
    with pytest.raises(Conflict) as taken:
        world.hold(at(day, 10))
    assert taken.value.fields["alternatives"]


def test_expired_hold_frees_the_time_and_cannot_be_booked(world):
    day = next_weekday()
    held = world.hold(at(day, 10))
    with time_machine.travel(held.booking.hold.expires_at + timedelta(seconds=1), tick=False):
        days = selectors.public_availability(world.portal(), [world.menu["facial"].pk], start=day, days=1)
        assert at(day, 10).isoformat() in [t["start"] for t in days[0]["times"]]
        with pytest.raises(Gone):
            world.submit(held.token)
        assert services.bookings_expire() == 1
    assert OnlineBooking.objects.get(pk=held.booking.pk).state == BookingState.EXPIRED
    assert not Reservation.objects.filter(hold=held.booking.hold_id, active=True).exists()
    assert not Appointment.objects.exists()


def test_deposit_then_test_mode_payment(world, make_consultation):
    make_consultation()
    held = world.hold(at(next_weekday(), 13), service="ipl")
    assert held.booking.deposit_amount > 0
    booking = world.submit(held.token)
    assert booking.state == BookingState.AWAITING_PAYMENT
    assert not Appointment.objects.filter(source="online").exists()
    booking, failure = services.deposit_pay(world.portal(), held.token, outcome="decline")
    assert failure and booking.state == BookingState.AWAITING_PAYMENT
    booking, failure = services.deposit_pay(world.portal(), held.token, outcome="approve")
    assert not failure and booking.state == BookingState.BOOKED
    assert DepositPayment.objects.filter(booking=booking, status="succeeded").count() == 1


def test_consultation_gate(world):
    held = world.hold(at(next_weekday(), 13), service="ipl")
    with pytest.raises(InvalidInput) as refused:
        world.submit(held.token)
    assert refused.value.code == "consultation_required"
    assert not Patient.objects.filter(source="online_booking").exists()


def test_bad_details_write_nothing(world):
    held = world.hold(at(next_weekday(), 10))
    with pytest.raises(InvalidInput) as bad:
        world.submit(held.token, phone="12", email="not-an-email")
    assert set(bad.value.fields) >= {"phone", "email"}
    with pytest.raises(InvalidInput):
        services.portal_submit(world.portal(), held.token, details=world.details(), accept_policy=False)
    assert not PolicyAcceptance.objects.exists() and not Patient.objects.filter(source="online_booking").exists()


def test_forged_token_is_404(world):
    with pytest.raises(NotFound):
        world.submit("not-a-real-token-at-all")


def test_returning_patient_is_matched_and_resembling_one_is_flagged(world):
    existing = world.setup.patient
    existing.first_name, existing.last_name, existing.phone = "Ava", "Reyes", "+12125550142"
    existing.first_key, existing.last_key, existing.phone_digits = "ava", "reyes", "2125550142"
    existing.save()
    booking = world.submit(world.hold(at(next_weekday(), 10)).token)
    assert booking.patient_id == existing.pk and not booking.new_patient
    other = world.submit(world.hold(at(next_weekday(), 12)).token, first_name="Mia")
    assert other.new_patient
    assert Patient.objects.get(pk=other.patient_id).possible_duplicate_of_id == existing.pk


def test_approval_for_new_patients(world):
    services.settings_update(world.setup.owner, values={"require_approval_new_patients": True})
    booking = world.submit(world.hold(at(next_weekday(), 10)).token)
    assert booking.state == BookingState.REQUESTED
    assert Appointment.objects.get(visit=booking.visit).status == AppointmentStatus.REQUESTED


def test_disabled_portal_is_404(world):
    services.settings_update(world.setup.owner, values={"enabled": False})
    with pytest.raises(NotFound):
        world.portal()
