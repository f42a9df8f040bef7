"""The pure availability engine against its brute-force reference, by property tests."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from medspa.scheduling.availability import intervals as iv
from medspa.scheduling.availability.engine import Problem, Step, find_slots, offsets, waste_table
from medspa.scheduling.availability.reference import reference_starts

DAY = 24 * 60
PROVIDERS = ("p1", "p2", "p3")
ROOMS = (("r1", 0), ("r2", 0))
LASER = (("laser", 0), ("laser", 1))

blocks = st.lists(st.tuples(st.integers(0, 2 * DAY), st.integers(5, 240)), max_size=12).map(
    lambda pairs: [(start, start + length) for start, length in pairs]
)
steps = st.lists(
    st.builds(
        lambda duration, before, after, room, laser: Step(
            "s", duration, before, after, ROOMS if room else (), (LASER,) if laser else ()
        ),
        st.sampled_from([15, 30, 45, 60, 90]),
        st.sampled_from([0, 5, 10]),
        st.sampled_from([0, 5, 15]),
        st.booleans(),
        st.booleans(),
    ),
    min_size=1,
    max_size=3,
).map(tuple)


@st.composite
def problems(draw):
    providers = {}
    for provider in PROVIDERS[: draw(st.integers(1, 3))]:
        windows = []
        for day in range(2):
            opens = day * DAY + draw(st.sampled_from([8 * 60, 9 * 60, 9 * 60 + 30]))
            windows.append((opens, opens + draw(st.sampled_from([4 * 60, 8 * 60, 10 * 60]))))
        providers[provider] = iv.normalize(windows)
    busy = {(p, 0): iv.normalize(draw(blocks)) for p in providers}
    for unit in (*ROOMS, *LASER):
        busy[unit] = iv.normalize(draw(blocks))
    grid = draw(st.sampled_from([5, 10, 15, 30]))
    return Problem(
        steps=draw(steps),
        providers=providers,
        busy=busy,
        window=(draw(st.integers(0, 10 * 60)), 2 * DAY),
        day_starts=[0, DAY],
        granularity=grid,
        common_lengths=(30, 45, 60),
    )


@settings(max_examples=150, deadline=None)
@given(problems())
def test_engine_returns_exactly_what_brute_force_finds(problem):
    got = [(slot.start, slot.provider_id) for slot in find_slots(problem)]
    assert got == reference_starts(problem)


@settings(max_examples=150, deadline=None)
@given(problems())
def test_no_slot_overlaps_busy_time_of_provider_room_or_equipment(problem):
    offs = offsets(problem.steps)
    for slot in find_slots(problem):
        for step, offset, (room, gear) in zip(problem.steps, offs, slot.units, strict=True):
            begin = slot.start + offset
            block = (begin - step.before, begin + step.duration + step.after)
            assert iv.is_clear(problem.busy[(slot.provider_id, 0)], *block)
            assert iv.covering(problem.providers[slot.provider_id], begin, begin + step.duration)
            if step.rooms:
                assert room in step.rooms and iv.is_clear(problem.busy[room], *block)
            for pool, unit in zip(step.equipment, gear, strict=True):
                assert unit in pool and iv.is_clear(problem.busy[unit], *block)


@settings(max_examples=100, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_the_order_the_rows_arrive_in(problem, rnd: random.Random):
    def shuffled(blocks):
        rows = list(blocks)
        rnd.shuffle(rows)
        return iv.normalize(rows)

    providers = list(problem.providers.items())
    rnd.shuffle(providers)
    busy = list(problem.busy.items())
    rnd.shuffle(busy)
    other = Problem(
        steps=problem.steps,
        providers={p: shuffled(w) for p, w in providers},
        busy={u: shuffled(b) for u, b in busy},
        window=problem.window,
        day_starts=problem.day_starts,
        granularity=problem.granularity,
        common_lengths=problem.common_lengths,
    )
    assert find_slots(other) == find_slots(problem)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 20 * 60),
    st.integers(30, 8 * 60),
    st.sampled_from([15, 30, 60]),
    st.sampled_from([5, 15, 30]),
)
def test_every_free_window_long_enough_appears(opens, length, duration, grid):
    window = (opens, opens + length)
    problem = Problem(
        steps=(Step("s", duration),),
        providers={"p": [window]},
        busy={},
        window=(0, 2 * DAY),
        day_starts=[0],
        granularity=grid,
    )
    starts = [slot.start for slot in find_slots(problem)]
    first = opens + (-opens) % grid
    assert starts == list(range(first, window[1] - duration + 1, grid))


def test_buffers_block_the_neighbouring_time_but_may_sit_outside_working_hours():
    step = Step("botox", 30, before=5, after=10)
    problem = Problem(
        steps=(step,),
        providers={"p": [(540, 600)]},  # 09:00-10:00
        busy={("p", 0): [(600, 660)]},  # 10:00-11:00 taken
        window=(0, DAY),
        day_starts=[0],
        granularity=15,
    )
    # 09:00 works (before-buffer 08:55 is outside hours but free); 09:30 would end 10:00 but
    # its cleanup runs to 10:10 and meets the 10:00 booking.
    assert [slot.start for slot in find_slots(problem)] == [540, 555]


def test_sequence_of_services_runs_back_to_back_with_buffers_between():
    first, second = Step("a", 30, after=10), Step("b", 60, before=5)
    assert offsets((first, second)) == [0, 45]
    problem = Problem(
        steps=(first, second),
        providers={"p": [(540, 720)]},
        busy={},
        window=(0, DAY),
        day_starts=[0],
        granularity=15,
    )
    slots = find_slots(problem)
    assert slots[0].start == 540 and slots[0].end == 540 + 45 + 60
    assert slots[-1].start + 45 + 60 <= 720


def test_best_slots_leave_no_unusable_gap():
    # Free 09:00-12:00 around a booking 10:00-10:30; 30-minute service; common lengths 30/60.
    problem = Problem(
        steps=(Step("s", 30),),
        providers={"p": [(540, 720)]},
        busy={("p", 0): [(600, 630)]},
        window=(0, DAY),
        day_starts=[0],
        granularity=15,
        common_lengths=(30, 60),
    )
    slots = find_slots(problem)
    best = {slot.start for slot in slots if slot.best}
    assert 540 in best and 570 in best and 630 in best  # flush against an edge: no leftover
    assert 555 not in best  # leaves 15 minutes on either side that nothing fits


def test_waste_table():
    table = waste_table((30, 45))
    assert table[0] == 0 and table[15] == 15 and table[30] == 0 and table[40] == 10 and table[75] == 0
