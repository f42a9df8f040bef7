"""SCH-3: availability and bookings across the daylight-saving changes of America/New_York.

The provider works 00:00–06:00 and 09:00–17:00 local time every day, so the night block
spans the change itself. On the spring-forward night local 02:00–02:59 does not exist; on the
fall-back night 01:00–01:59 happens twice. Slots must follow real (UTC) time: none lost,
none duplicated, every start a real local wall time on the grid.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medspa.scheduling import selectors, services
from medspa.scheduling.availability.engine import find_slots
from medspa.scheduling.availability.loader import Search, load
from medspa.scheduling.availability.reference import reference_starts
from medspa.scheduling.models import Appointment, SchedulePolicy
from medspa.scheduling.services import Block
from medspa.scheduling.tests.conftest import NEW_YORK

HOURS = ((0, 6 * 60), (9 * 60, 17 * 60))  # local wall-clock minutes
FACIAL = 60


def _transitions(after: date, years: int = 1) -> tuple[date, date]:
    """The next spring-forward and fall-back dates in New York on or after `after`."""
    spring = fall = None
    day = after
    while spring is None or fall is None:
        before = datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).utcoffset()
        following = day + timedelta(days=1)
        after_ = datetime(following.year, following.month, following.day, tzinfo=NEW_YORK).utcoffset()
        if after_ > before and spring is None:
            spring = day
        if after_ < before and fall is None:
            fall = day
        day = following
    return spring, fall


SPRING, FALL = _transitions(datetime.now(tz=UTC).date() + timedelta(days=2))


@pytest.fixture
def night_shift(setup):
    services.hours_replace(
        setup.owner,
        provider_id=setup.provider_user.pk,
        location_id=setup.location.pk,
        blocks=[Block(weekday, start, end) for weekday in range(7) for start, end in HOURS],
    )
    return setup


def _search(setup, day: date, *, days: int = 1) -> Search:
    start = datetime(day.year, day.month, day.day, tzinfo=NEW_YORK)
    end_day = day + timedelta(days=days)
    return Search(
        service_ids=(str(setup.menu["facial"].pk),),
        location_id=setup.location.pk,
        start=start,
        end=datetime(end_day.year, end_day.month, end_day.day, tzinfo=NEW_YORK),
    )


def _wall(day: date, minute: int, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, fold=fold, tzinfo=NEW_YORK)


def _every(day: date, first: int, last: int, fold: int = 0) -> list[datetime]:
    """Local wall times first, first+15, ..., last (inclusive)."""
    return [_wall(day, m, fold) for m in range(first, last + 1, 15)]


def _day_shift(day: date) -> list[datetime]:
    return _every(day, 9 * 60, 17 * 60 - FACIAL)


def _starts(setup, day: date) -> list[datetime]:
    slots, _ = selectors.available_slots(setup.owner, _search(setup, day))
    return [datetime.fromisoformat(slot["start"]) for slot in slots]


def _assert_real_wall_times(starts: list[datetime]) -> None:
    for start in starts:
        local = start.astimezone(NEW_YORK)
        # The offset printed is the zone's offset at that instant: a wall time that exists.
        assert start.utcoffset() == local.utcoffset(), start
        assert (local.hour * 60 + local.minute) % 15 == 0, start


def test_spring_forward_night_skips_the_missing_hour_and_loses_nothing(night_shift):
    got = _starts(night_shift, SPRING)
    # 00:00–01:45 EST, then 03:00–05:00 EDT (the last start ends at 06:00); 02:xx never exists.
    expected = _every(SPRING, 0, 105) + _every(SPRING, 180, 300) + _day_shift(SPRING)
    assert [g.astimezone(UTC) for g in got] == [e.astimezone(UTC) for e in expected]
    assert len(set(got)) == len(got) == 8 + 9 + 29
    assert not any(g.astimezone(NEW_YORK).hour == 2 for g in got)
    _assert_real_wall_times(got)
    # In real time the night block is 5 hours: starts every 15 minutes from 05:00Z to 09:00Z.
    night = [g.astimezone(UTC) for g in got if g.astimezone(NEW_YORK).hour < 6]
    first = _wall(SPRING, 0).astimezone(UTC)
    assert night == [first + timedelta(minutes=15 * n) for n in range(17)]
    assert {g.utcoffset() for g in got[:8]} == {timedelta(hours=-5)}
    assert {g.utcoffset() for g in got[8:]} == {timedelta(hours=-4)}


def test_fall_back_night_offers_the_repeated_hour_twice_and_nothing_twice(night_shift):
    got = _starts(night_shift, FALL)
    # 00:00–01:45 EDT, 01:00–01:45 again in EST, then 02:00–05:00 EST.
    expected = _every(FALL, 0, 105) + _every(FALL, 60, 105, fold=1) + _every(FALL, 120, 300) + _day_shift(FALL)
    assert [g.astimezone(UTC) for g in got] == [e.astimezone(UTC) for e in expected]
    assert len({g.astimezone(UTC) for g in got}) == len(got) == 8 + 4 + 13 + 29
    _assert_real_wall_times(got)
    night = [g.astimezone(UTC) for g in got if g.astimezone(NEW_YORK).hour < 6]
    first = _wall(FALL, 0).astimezone(UTC)
    assert night == [first + timedelta(minutes=15 * n) for n in range(25)]  # 7 real hours
    assert [g.isoformat()[11:] for g in got[4:12]] == [
        "01:00:00-04:00",
        "01:15:00-04:00",
        "01:30:00-04:00",
        "01:45:00-04:00",
        "01:00:00-05:00",
        "01:15:00-05:00",
        "01:30:00-05:00",
        "01:45:00-05:00",
    ]


@pytest.mark.parametrize(
    ("which", "hour", "minute", "fold", "end_wall"),
    [
        ("spring", 1, 30, 0, "03:30:00-04:00"),  # 01:30 EST + 60 min = 03:30 EDT
        ("fall", 1, 30, 0, "01:30:00-05:00"),  # 01:30 EDT + 60 min = 01:30 EST
        ("fall", 0, 45, 0, "01:45:00-04:00"),
        ("fall", 1, 15, 1, "02:15:00-05:00"),  # the second 01:15
    ],
)
def test_bookings_across_the_change_last_sixty_real_minutes(night_shift, which, hour, minute, fold, end_wall):
    day = SPRING if which == "spring" else FALL
    # Compared in UTC: Python never equates an ambiguous local time with another zone's time.
    start = _wall(day, hour * 60 + minute, fold).astimezone(UTC)
    assert start in [s.astimezone(UTC) for s in _starts(night_shift, day)]
    appointment = services.book(night_shift.owner, night_shift.request(start)).booked[0]
    appointment = Appointment.objects.get(pk=appointment.pk)
    assert appointment.end_at - appointment.start_at == timedelta(minutes=FACIAL)
    assert appointment.start_at == start
    assert appointment.end_at.astimezone(NEW_YORK).isoformat()[11:] == end_wall
    # The booked hour is gone from the search, in real time, and nothing else is.
    after = [g.astimezone(UTC) for g in _starts(night_shift, day)]
    taken = {start.astimezone(UTC) + timedelta(minutes=m) for m in range(-FACIAL + 15, FACIAL, 15)}
    assert not taken & set(after)
    assert len(after) == len(_expected_count(day)) - len(taken & set(_expected_count(day)))


def _expected_count(day: date) -> list[datetime]:
    if day == SPRING:
        wall = _every(day, 0, 105) + _every(day, 180, 300) + _day_shift(day)
    else:
        wall = _every(day, 0, 105) + _every(day, 60, 105, fold=1) + _every(day, 120, 300) + _day_shift(day)
    return [w.astimezone(UTC) for w in wall]


def _other_transitions() -> list[date]:
    out, day = [], date(2025, 1, 1)
    while day.year < 2030:
        spring, fall = _transitions(day)
        out += [spring, fall, spring - timedelta(days=1), fall - timedelta(days=1)]
        day = date(day.year + 1, 1, 1)
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    day=st.one_of(st.sampled_from(_other_transitions()), st.dates(date(2025, 1, 1), date(2029, 12, 31))),
    days=st.integers(1, 3),
    start_hour=st.integers(0, 23),
    grid=st.sampled_from([5, 10, 15, 30]),
)
def test_loader_and_engine_match_brute_force_on_any_date(night_shift, day, days, start_hour, grid):
    SchedulePolicy.objects.update_or_create(clinic=night_shift.clinic, defaults={"slot_minutes": grid})
    search = _search(night_shift, day, days=days)
    search = Search(**{**search.__dict__, "start": search.start + timedelta(hours=start_hour)})
    problem, context = load(night_shift.owner, search)
    assert problem.granularity == grid
    slots = find_slots(problem)
    assert [(s.start, s.provider_id) for s in slots] == reference_starts(problem)
    assert len({s.start for s in slots}) == len(slots)  # one provider: no start twice
    for slot in slots:
        start = datetime.fromtimestamp(slot.start * 60, tz=UTC).astimezone(context.zone)
        end = datetime.fromtimestamp(slot.end * 60, tz=UTC).astimezone(context.zone)
        assert slot.end - slot.start == FACIAL  # real minutes, whatever the wall clock did
        wall = start.hour * 60 + start.minute
        assert wall % grid == 0, start
        end_wall = end.hour * 60 + end.minute if end.date() == start.date() else 24 * 60
        assert any(low <= wall and end_wall <= high for low, high in HOURS), (start, end)
    # Every grid time inside the working hours of the searched window is offered (none lost).
    expected = set()
    local_day = search.start.astimezone(NEW_YORK).date() - timedelta(days=1)
    while local_day <= search.end.astimezone(NEW_YORK).date():
        for low, high in HOURS:
            for minute in range(low, high - FACIAL + 1, grid):
                for fold in (0, 1):
                    moment = _wall(local_day, minute, fold)
                    if moment.astimezone(UTC).astimezone(NEW_YORK).replace(tzinfo=None) != moment.replace(tzinfo=None):
                        continue  # a wall time that does not exist (spring forward)
                    real_end = moment.astimezone(UTC) + timedelta(minutes=FACIAL)
                    local_end = real_end.astimezone(NEW_YORK)
                    end_wall = local_end.hour * 60 + local_end.minute
                    if local_end.date() != local_day or end_wall > high:
                        continue  # runs past the block in real time
                    if search.start <= moment < search.end:
                        expected.add(int(moment.timestamp()) // 60)
        local_day += timedelta(days=1)
    assert {s.start for s in slots} == expected
