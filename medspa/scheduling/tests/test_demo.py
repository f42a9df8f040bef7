"""The demo calendar: a busy, realistic three weeks booked through the services — no two active
reservations of one resource overlap, statuses follow the clock, time off stays free, and a
second run adds nothing."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from medspa.scheduling import demo
from medspa.scheduling.choices import AppointmentStatus as S
from medspa.scheduling.choices import BlockKind, ExceptionKind
from medspa.scheduling.models import (
    Appointment,
    AppointmentAddon,
    Reservation,
    ScheduleException,
    Visit,
    WaitlistEntry,
    WorkingHours,
)

pytestmark = pytest.mark.django_db

CLOSED = {S.COMPLETED, S.CANCELLED, S.NO_SHOW}


@pytest.fixture
def glow():
    """The Glow demo clinic with its staff, menu and patients, then its schedules and calendar."""
    from medspa.accounts import demo as accounts_demo
    from medspa.catalog import demo as catalog_demo
    from medspa.core import demo as core_demo
    from medspa.patients import demo as patients_demo

    context: dict = {}
    core_demo.seed(context)
    context["clinics"] = [c for c in context["clinics"] if c.slug == "glow"]
    for module in (accounts_demo, catalog_demo, patients_demo):
        module.seed(context)
    before = timezone.now()
    demo.seed(context)
    return context["clinics"][0], before, timezone.now()


def counts(clinic) -> tuple:
    return tuple(
        model.objects.filter(clinic=clinic).count()
        for model in (WorkingHours, ScheduleException, Visit, Appointment, Reservation, WaitlistEntry)
    )


def check_hours_exceptions_and_a_busy_calendar(glow):
    clinic, _, _ = glow
    hours = list(WorkingHours.objects.filter(clinic=clinic))
    providers = {h.provider_id for h in hours}
    assert len(providers) == 2
    assert Counter(h.kind for h in hours) == {BlockKind.WORK: 10, BlockKind.BREAK: 10}
    monday = {h.provider_id for h in hours if h.weekday == 0}
    saturday = {h.provider_id for h in hours if h.weekday == 5}
    assert len(monday) == 1 and len(saturday) == 1 and monday != saturday  # one is off on Mondays
    exceptions = ScheduleException.objects.filter(clinic=clinic)
    assert exceptions.filter(kind=ExceptionKind.TIME_OFF, start_minute__isnull=True).count() == 1
    assert exceptions.filter(kind=ExceptionKind.EXTRA_HOURS).exists()

    appointments = Appointment.objects.filter(clinic=clinic)
    assert 180 <= appointments.count() <= 400
    per_visit = Counter(appointments.values_list("visit_id", flat=True))
    assert sum(1 for n in per_visit.values() if n > 1) >= 10  # multi-service visits
    assert AppointmentAddon.objects.filter(clinic=clinic).count() >= 10
    assert {a.provider_id for a in appointments} == providers
    assert len(set(appointments.values_list("source", flat=True))) >= 3
    assert WaitlistEntry.objects.filter(clinic=clinic).count() == 5


def check_no_resource_is_double_booked(glow):
    clinic, _, _ = glow
    rows = defaultdict(list)
    for resource, unit, start, end in Reservation.objects.filter(clinic=clinic, active=True).values_list(
        "resource_id", "unit", "start_minute", "end_minute"
    ):
        rows[(resource, unit)].append((start, end))
    assert len(rows) >= 6  # providers, rooms and devices all hold time
    for spans in rows.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    released = Reservation.objects.filter(clinic=clinic, appointment__status__in=[S.CANCELLED, S.NO_SHOW])
    assert released.exists() and not released.filter(active=True).exists()


def check_statuses_follow_the_clock(glow):
    clinic, before, after = glow
    appointments = list(Appointment.objects.filter(clinic=clinic))
    past = [a for a in appointments if a.end_at <= before]
    future = [a for a in appointments if a.start_at > after + timedelta(minutes=15)]
    assert past and future
    assert all(a.status in CLOSED for a in past)
    statuses = Counter(a.status for a in past)
    assert statuses[S.COMPLETED] > 0.8 * len(past)
    assert statuses[S.NO_SHOW] >= 1 and statuses[S.CANCELLED] >= 1
    started = {a.visit_id for a in appointments if a.start_at <= after}
    assert all(a.status in (S.SCHEDULED, S.CONFIRMED, S.CANCELLED) for a in future if a.visit_id not in started)
    assert {S.SCHEDULED, S.CONFIRMED} <= {a.status for a in future}
    for a in appointments:
        if a.status == S.IN_PROGRESS:
            assert a.start_at <= after and a.end_at > before
        if a.status == S.CANCELLED:
            assert a.cancellation_reason and a.cancelled_at
        if a.status in (S.ARRIVED, S.IN_PROGRESS, S.COMPLETED):
            assert a.checked_in_at is not None


def check_working_time_is_mostly_booked_and_time_off_stays_free(glow):
    clinic, _, _ = glow
    zone = ZoneInfo("America/New_York")
    weekly = defaultdict(int)
    for h in WorkingHours.objects.filter(clinic=clinic):
        weekly[(h.provider_id, h.weekday)] += (h.end_minute - h.start_minute) * (1 if h.kind == BlockKind.WORK else -1)
    booked = defaultdict(int)
    for a in Appointment.objects.filter(clinic=clinic).exclude(status=S.CANCELLED):
        day = a.start_at.astimezone(zone).date()
        length = (a.end_at - a.start_at).total_seconds() // 60 + a.buffer_before + a.buffer_after
        booked[(a.provider_id, day)] += length
    ratios = [
        minutes / weekly[(provider, day.weekday())]
        for (provider, day), minutes in booked.items()
        if weekly.get((provider, day.weekday()))
    ]
    assert len(ratios) >= 20
    assert 0.65 <= sum(ratios) / len(ratios) <= 0.95
    time_off = ScheduleException.objects.get(clinic=clinic, kind=ExceptionKind.TIME_OFF)
    assert (time_off.provider_id, time_off.date) not in booked


def check_second_run_adds_nothing(glow):
    clinic, _, _ = glow
    first = counts(clinic)
    demo.seed({"clinics": [clinic]})
    assert counts(clinic) == first


def test_demo_calendar(glow):
    """One seeding (it takes a while), every property checked on it."""
    check_hours_exceptions_and_a_busy_calendar(glow)
    check_no_resource_is_double_booked(glow)
    check_statuses_follow_the_clock(glow)
    check_working_time_is_mostly_booked_and_time_off_stays_free(glow)
    check_second_run_adds_nothing(glow)
