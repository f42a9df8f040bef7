"""Each online booking rule and each bad input, through the services: the engine's online
rules, the clinic's settings (hold minutes, approval, future bookings, deposits, notice
window), consultation gates, and what is left behind when something is refused (nothing)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from medspa.booking import selectors, services
from medspa.booking.choices import HOLDS_PER_SESSION, BookingState
from medspa.booking.models import OnlineBooking, PolicyAcceptance
from medspa.booking.tests.conftest import at, next_weekday
from medspa.booking.tokens import manage_token
from medspa.catalog import services as catalog_services
from medspa.core.errors import Conflict, DomainError, Gone, InvalidInput, NotFound, TooManyRequests
from medspa.patients.models import Patient
from medspa.scheduling.models import Appointment, SchedulePolicy, SlotHold, WaitlistEntry

pytestmark = pytest.mark.django_db(transaction=True)


def nothing_half_made() -> None:
    assert not Appointment.objects.filter(source="online").exists()
    assert not Patient.objects.filter(source="online_booking").exists()


def test_hold_lasts_the_settings_minutes(world):
    services.settings_update(world.setup.owner, values={"hold_minutes": 7})
    held = world.hold(at(next_weekday(), 10))
    hold = SlotHold.objects.get(pk=held.booking.hold_id)
    left = hold.expires_at - hold.created_at
    assert timedelta(minutes=7) <= left <= timedelta(minutes=8) and hold.expires_at.second == 0


def test_minimum_notice_and_rolling_window(world):
    SchedulePolicy.objects.update_or_create(
        clinic=world.clinic, defaults={"online_min_notice_minutes": 24 * 60, "online_window_days": 20}
    )
    now = timezone.now().replace(second=0, microsecond=0)
    for start in (now + timedelta(hours=3), now + timedelta(days=25)):
        with pytest.raises(DomainError) as refused:
            world.hold(start)
        assert 400 <= refused.value.status < 500 and refused.value.detail
    assert not SlotHold.objects.exists() and not OnlineBooking.objects.exists()
    assert world.hold(at(next_weekday(), 10)).booking.state == BookingState.HOLDING


def test_only_online_services_and_listed_practitioners(world):
    catalog_services.service_update(
        actor=world.setup.owner, service_id=world.menu["ipl"].pk, data={"bookable_online": False}
    )
    with pytest.raises(InvalidInput) as refused:
        world.hold(at(next_weekday(), 10), service="ipl")
    assert refused.value.code == "service_unavailable"
    services.profile_update(world.setup.owner, user_id=world.setup.provider_user.pk, display_name="Dr. A", listed=False)
    with pytest.raises(NotFound):
        world.hold(at(next_weekday(), 10), practitioner_id=world.setup.provider_user.pk)
    assert not OnlineBooking.objects.exists()


def test_holds_per_session_are_capped(world):
    day = next_weekday()
    for n in range(HOLDS_PER_SESSION):
        world.hold(at(day, 9 + 2 * n), session_key="browser-1")
    with pytest.raises(TooManyRequests) as capped:
        world.hold(at(day, 16), session_key="browser-1")
    assert capped.value.code == "too_many_holds"
    assert world.hold(at(day, 16), session_key="browser-2").booking.state == BookingState.HOLDING


def test_release_frees_the_time(world):
    day = next_weekday()
    held = world.hold(at(day, 10))
    assert services.portal_release(world.portal(), held.token).state == BookingState.RELEASED
    free = selectors.public_availability(world.portal(), [world.menu["facial"].pk], start=day, days=1)
    assert at(day, 10).isoformat() in [t["start"] for t in free[0]["times"]]
    with pytest.raises(Gone):
        world.submit(held.token)
    nothing_half_made()


def test_consultation_within_the_months_unlocks_the_service(world, make_consultation):
    consultation = make_consultation()
    booking = world.submit(world.hold(at(next_weekday(), 13), service="ipl").token)
    assert booking.state == BookingState.AWAITING_PAYMENT
    consultation.start_at = timezone.now() - timedelta(days=500)
    consultation.end_at = consultation.start_at + timedelta(minutes=30)
    consultation.save()
    held = world.hold(at(next_weekday(), 15), service="ipl")
    with pytest.raises(InvalidInput) as refused:
        world.submit(held.token)
    assert refused.value.code == "consultation_required"


def test_future_bookings_limit_counts_the_patient(world):
    services.settings_update(world.setup.owner, values={"max_future_bookings": 2})
    day = next_weekday()
    world.submit(world.hold(at(day, 9)).token)
    world.submit(world.hold(at(day, 11)).token)
    held = world.hold(at(day, 13))
    with pytest.raises(InvalidInput) as refused:
        world.submit(held.token)
    assert refused.value.code == "too_many_bookings"
    assert Appointment.objects.filter(source="online").count() == 2
    assert world.submit(held.token, first_name="Mia", phone="(212) 555-0143", email="mia@example.com")


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [("fixed", "25.00", "25.00"), ("percent", "10", None), ("fixed", "99999", None), ("none", "0", "0")],
)
def test_clinic_wide_deposit(world, kind, value, expected):
    services.settings_update(world.setup.owner, values={"deposit_kind": kind, "deposit_value": value})
    facial = world.menu["facial"]
    held = world.hold(at(next_weekday(), 10))
    if expected is None:
        expected = min(facial.price, facial.price * Decimal(value) / 100 if kind == "percent" else Decimal(value))
    assert held.booking.deposit_amount == Decimal(expected).quantize(Decimal("0.01"))
    booking = world.submit(held.token)
    assert booking.state == (BookingState.AWAITING_PAYMENT if Decimal(expected) > 0 else BookingState.BOOKED)


def test_policy_evidence_names_the_text_agreed_to(world):
    services.settings_update(
        world.setup.owner, values={"cancellation_policy": "Cancel {hours}h ahead.", "cancellation_notice_hours": 12}
    )
    booking = world.submit(world.hold(at(next_weekday(), 10)).token)
    acceptance = PolicyAcceptance.objects.get(booking=booking)
    assert acceptance.policy_text == "Cancel 12h ahead." and acceptance.notice_hours == 12
    assert acceptance.policy_version == world.portal().settings.policy_version and acceptance.user_agent == "pytest"
    assert len(acceptance.policy_sha256) == 64


def test_late_cancellation_window_follows_the_setting(world):
    services.settings_update(world.setup.owner, values={"cancellation_notice_hours": 48})
    day = next_weekday()
    booking = world.submit(world.hold(at(day, 10)).token)
    token = manage_token(booking.pk)
    with time_machine.travel(at(day, 10) - timedelta(hours=30)):
        with pytest.raises(InvalidInput) as late:
            services.manage_cancel(token)
        assert late.value.code == "late_cancellation" and "48 hours" in late.value.detail
        services.manage_cancel(token, confirm_late=True)
    assert Appointment.objects.get(visit=booking.visit).late_cancellation is True


def test_reschedule_keeps_the_online_rules(world):
    day = next_weekday()
    booking = world.submit(world.hold(at(day, 10)).token)
    token = manage_token(booking.pk)
    with pytest.raises(DomainError) as refused:
        services.manage_reschedule(token, start=timezone.now() + timedelta(minutes=20))
    assert 400 <= refused.value.status < 500
    other = world.hold(at(day, 14))
    with pytest.raises(Conflict) as taken:
        services.manage_reschedule(token, start=at(day, 14))
    assert taken.value.fields["alternatives"] and other.booking.state == BookingState.HOLDING
    assert Appointment.objects.get(visit=booking.visit).start_at == at(day, 10)


def test_cancelled_visit_cannot_be_moved(world):
    booking = world.submit(world.hold(at(next_weekday(), 10)).token)
    token = manage_token(booking.pk)
    services.manage_cancel(token)
    with pytest.raises(Conflict):
        services.manage_reschedule(token, start=at(next_weekday(), 14))
    with pytest.raises(NotFound):
        services.manage_cancel("not" + token)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"date_to": 200}, "date_to"), ({"phone": "12", "email": ""}, "phone"), ({"first_name": ""}, "first_name")],
)
def test_waitlist_bad_input(world, change, field):
    day = next_weekday()
    details = world.details(**{k: v for k, v in change.items() if k != "date_to"})
    with pytest.raises(InvalidInput) as refused:
        services.portal_waitlist_join(
            world.portal(),
            service_id=world.menu["facial"].pk,
            details=details,
            date_from=day,
            date_to=day + timedelta(days=change.get("date_to", 7)),
        )
    assert field in refused.value.fields
    assert not WaitlistEntry.objects.exists()
    nothing_half_made()


def test_expired_bookings_sweep(world):
    held = [world.hold(at(next_weekday(), h)) for h in (9, 11)]
    world.submit(held[1].token)
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        assert services.bookings_expire() == 1
    states = {b.pk: b.state for b in OnlineBooking.objects.all()}
    assert states == {held[0].booking.pk: BookingState.EXPIRED, held[1].booking.pk: BookingState.BOOKED}
