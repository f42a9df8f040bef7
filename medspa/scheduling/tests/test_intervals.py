"""Interval algebra against minute sets, and the loader's busy rows (units merged per provider,
history outside the window ignored, a moved appointment's own time excluded)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from medspa.scheduling import services
from medspa.scheduling.availability import intervals as iv
from medspa.scheduling.availability.engine import waste_table
from medspa.scheduling.availability.loader import _busy, epoch_minute
from medspa.scheduling.models import Reservation
from medspa.scheduling.tests.conftest import at, next_weekday

pairs = st.lists(st.tuples(st.integers(0, 400), st.integers(0, 60)), max_size=25).map(
    lambda raw: [(start, start + length) for start, length in raw]
)


def minutes(intervals) -> set[int]:
    return {m for start, end in intervals for m in range(start, end)}


def is_interval_set(intervals) -> bool:
    return all(s < e for s, e in intervals) and all(a[1] < b[0] for a, b in itertools.pairwise(intervals))


@settings(max_examples=300, deadline=None)
@given(pairs, pairs)
def test_subtract_and_normalize_match_minute_sets(a, b):
    base, cut = iv.normalize(a), iv.normalize(b)
    assert is_interval_set(base) and minutes(base) == minutes(a)
    out = iv.subtract(base, cut)
    assert minutes(out) == minutes(a) - minutes(b)
    assert all(s < e for s, e in out) and out == sorted(out)


@settings(max_examples=200, deadline=None)
@given(pairs, st.integers(0, 400), st.integers(1, 60))
def test_subtracting_from_one_interval_uses_only_what_it_meets(a, start, length):
    cut = iv.normalize(a)
    out = iv.subtract([(start, start + length)], cut)
    assert minutes(out) == set(range(start, start + length)) - minutes(cut)


def test_waste_table_is_cached_and_read_only():
    assert waste_table((30, 45)) is waste_table((30, 45))
    assert isinstance(waste_table((30, 45)), tuple)


def test_busy_rows_merge_provider_units_and_skip_other_time(setup):
    day = next_weekday()
    appointment = services.book(setup.owner, setup.request(at(day, 10))).booked[0]
    provider = str(setup.provider_user.pk)
    block = Reservation.objects.get(appointment=appointment, kind="provider")

    def reserve(shift: int, unit: int = 0, active: bool = True) -> None:
        Reservation.objects.create(
            clinic=setup.clinic,
            appointment=appointment,
            kind="provider",
            resource_id=provider,
            unit=unit,
            start_minute=block.start_minute + shift,
            end_minute=block.end_minute + shift,
            active=active,
        )

    reserve(30, unit=1)  # a deliberate double booking sits on unit 1: still the provider's busy time
    reserve(-400 * 24 * 60)  # long past history is not read
    reserve(300, active=False)  # released time is not busy
    low, high = epoch_minute(at(day, 0)), epoch_minute(at(day, 23))
    busy = _busy(setup.owner, low, high, {provider}, frozenset(), low)
    assert busy == {(provider, 0): [(block.start_minute, block.end_minute + 30)]}
    assert _busy(setup.owner, low, high, {provider}, frozenset({str(appointment.pk)}), low) == {}
    assert _busy(setup.owner, low, high, {"someone-else"}, frozenset(), low) == {}
