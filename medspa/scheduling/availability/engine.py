"""Bookable start times from working windows and busy blocks, in integer minutes.

The engine is pure: the loader hands it a `Problem` (minutes since the epoch, UTC) and it
returns `Slot`s. Per provider it intersects, for every service of the visit in sequence:
starts that keep the service inside working time, starts whose blocked range (service plus
buffers) meets none of the provider's busy blocks, and — when the service needs them — starts
that leave at least one unit of a room of the right kind and of each named piece of equipment
free. The result is walked on the clinic's grid (aligned to local midnight). Cost grows with
the number of busy blocks and windows, not with the number of candidate slots.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from medspa.scheduling.availability import intervals as iv
from medspa.scheduling.availability.intervals import IntervalSet

Unit = tuple[str, int]  # (resource id, unit number)


@dataclass(frozen=True)
class Step:
    """One service of the visit. `rooms` lists the room units that would do (empty: no room
    needed); `equipment` one tuple of units per named piece of equipment the service needs."""

    service_id: str
    duration: int
    before: int = 0
    after: int = 0
    rooms: tuple[Unit, ...] = ()
    equipment: tuple[tuple[Unit, ...], ...] = ()


@dataclass(frozen=True)
class Problem:
    steps: tuple[Step, ...]
    providers: dict[str, IntervalSet]  # provider id -> working windows (breaks and time off removed)
    busy: dict[Unit, IntervalSet]  # blocked ranges (buffers included) per resource unit
    window: tuple[int, int]  # earliest start (inclusive), latest start (exclusive)
    day_starts: list[int]  # local midnights covering the window, ascending (grid and "best" per day)
    granularity: int = 15
    common_lengths: tuple[int, ...] = ()  # blocked lengths of commonly booked services (gap scoring)


@dataclass(frozen=True)
class Slot:
    start: int
    end: int
    provider_id: str
    room_id: str | None
    equipment_ids: tuple[str, ...]
    waste: int = 0  # minutes of gaps the slot leaves that no common service fits
    best: bool = False
    units: tuple[tuple[Unit | None, tuple[Unit, ...]], ...] = field(default=(), compare=False)


def offsets(steps: tuple[Step, ...]) -> list[int]:
    """Minutes from the visit's start to each service's start: back to back, each service's
    buffers kept (after-buffer of one, then before-buffer of the next)."""
    out, at = [], 0
    for i, step in enumerate(steps):
        if i:
            at += steps[i - 1].duration + steps[i - 1].after + step.before
        out.append(at)
    return out


def _pool_starts(busy: dict[Unit, IntervalSet], units: tuple[Unit, ...], step: Step) -> IntervalSet:
    return iv.union(iv.starts_clear_of(busy.get(u, []), step.before, step.duration, step.after) for u in units)


def resource_starts(problem: Problem) -> IntervalSet:
    """Visit starts for which every room and equipment need can be met (any free unit)."""
    feasible: IntervalSet = [problem.window]
    for step, offset in zip(problem.steps, offsets(problem.steps), strict=True):
        pools = ([step.rooms] if step.rooms else []) + list(step.equipment)
        for pool in pools:
            feasible = iv.intersect(feasible, iv.shift(_pool_starts(problem.busy, pool, step), -offset))
            if not feasible:
                return []
    return feasible


def provider_starts(problem: Problem, provider_id: str, resources: IntervalSet) -> IntervalSet:
    """Visit starts the provider can take: inside working time, clear of their busy blocks."""
    windows = problem.providers.get(provider_id, [])
    busy = problem.busy.get((provider_id, 0), [])
    feasible = resources
    for step, offset in zip(problem.steps, offsets(problem.steps), strict=True):
        own = iv.intersect(
            iv.starts_within(windows, step.duration),
            iv.starts_clear_of(busy, step.before, step.duration, step.after),
        )
        feasible = iv.intersect(feasible, iv.shift(own, -offset))
        if not feasible:
            return []
    return feasible


def _free_unit(busy: dict[Unit, IntervalSet], units: tuple[Unit, ...], start: int, end: int) -> Unit | None:
    for unit in units:
        if iv.is_clear(busy.get(unit, []), start, end):
            return unit
    return None


@lru_cache(maxsize=64)
def waste_table(lengths: tuple[int, ...], horizon: int = 24 * 60) -> tuple[int, ...]:
    """waste[g]: minutes of a gap of g minutes left over after filling it with common services.
    Cached: a clinic's common lengths rarely change, and the table costs ~20k steps."""
    usable = sorted({length for length in lengths if 0 < length <= horizon})
    reachable = [False] * (horizon + 1)
    reachable[0] = True
    for x in range(1, horizon + 1):
        reachable[x] = any(reachable[x - length] for length in usable if length <= x)
    waste, last = [0] * (horizon + 1), 0
    for x in range(horizon + 1):
        if reachable[x]:
            last = x
        waste[x] = x - last
    return tuple(waste)


def find_slots(problem: Problem) -> list[Slot]:
    """Every bookable visit start, per provider, ordered by start then provider; the ones that
    leave the least unusable time in the provider's (and room's) day marked `best` per day."""
    steps = problem.steps
    if not steps or problem.window[0] >= problem.window[1]:
        return []
    offs = offsets(steps)
    total = offs[-1] + steps[-1].duration
    head, tail = steps[0].before, steps[-1].after
    grid = max(1, problem.granularity)
    table = waste_table(problem.common_lengths) if problem.common_lengths else None
    days = problem.day_starts
    resources = resource_starts(problem)
    slots: list[Slot] = []
    for provider_id in sorted(problem.providers):
        feasible = provider_starts(problem, provider_id, resources)
        if not feasible:
            continue
        free = iv.subtract(problem.providers[provider_id], problem.busy.get((provider_id, 0), []))
        for low, high in feasible:
            day = bisect_right(days, low)
            midnight = days[day - 1] if day else 0
            start = low + (-(low - midnight)) % grid
            while start < high:
                if day < len(days) and start >= days[day]:  # a new local day: realign the grid
                    midnight, day = days[day], day + 1
                    start += (-(start - midnight)) % grid
                    continue
                units = []
                for step, offset in zip(steps, offs, strict=True):
                    block = (start + offset - step.before, start + offset + step.duration + step.after)
                    room = _free_unit(problem.busy, step.rooms, *block) if step.rooms else None
                    gear = tuple(_free_unit(problem.busy, pool, *block) for pool in step.equipment)
                    units.append((room, gear))
                waste = 0
                if table is not None:
                    blocked = (start - head, start + total + tail)
                    waste = _gap_waste(table, free, blocked)
                    first_room = units[0][0]
                    if first_room is not None:
                        cover = iv.covering(free, *blocked) or blocked
                        room_free = iv.subtract([cover], problem.busy.get(first_room, []))
                        waste += _gap_waste(table, room_free, blocked)
                room_id = units[0][0][0] if units[0][0] else None
                gear_ids = tuple(dict.fromkeys(u[0] for _, gear in units for u in gear if u))
                slots.append(Slot(start, start + total, provider_id, room_id, gear_ids, waste, False, tuple(units)))
                start += grid
    slots.sort(key=lambda s: (s.start, s.provider_id))
    return _mark_best(slots, days) if table is not None else slots


def _gap_waste(table: tuple[int, ...], free: IntervalSet, blocked: tuple[int, int]) -> int:
    cover = iv.covering(free, *blocked)
    if cover is None:
        return 0
    horizon = len(table) - 1
    left, right = blocked[0] - cover[0], cover[1] - blocked[1]
    return (table[left] if left <= horizon else 0) + (table[right] if right <= horizon else 0)


def _mark_best(slots: list[Slot], days: list[int]) -> list[Slot]:
    """`best` = the slots with the day's lowest waste (per local day, across providers)."""
    lowest: dict[int, int] = {}
    for slot in slots:
        day = bisect_right(days, slot.start)
        lowest[day] = min(lowest.get(day, slot.waste), slot.waste)
    return [
        Slot(s.start, s.end, s.provider_id, s.room_id, s.equipment_ids, s.waste, True, s.units)
        if s.waste == lowest[bisect_right(days, s.start)]
        else s
        for s in slots
    ]
