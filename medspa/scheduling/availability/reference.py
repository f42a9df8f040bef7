"""The obvious availability algorithm, kept as the engine's yardstick.

For every grid point of the window and every provider it checks each rule by scanning the
lists directly. Tests compare `find_slots` against it, and the availability benchmark times
it as the naive baseline. Do not use it to serve requests.
"""

from __future__ import annotations

from medspa.scheduling.availability.engine import Problem, offsets


def _overlaps(blocks, start: int, end: int) -> bool:
    return any(b_start < end and start < b_end for b_start, b_end in blocks)


def _inside(windows, start: int, end: int) -> bool:
    return any(w_start <= start and end <= w_end for w_start, w_end in windows)


def reference_starts(problem: Problem) -> list[tuple[int, str]]:
    """(start, provider id) of every bookable visit start, by brute force over the grid."""
    steps = problem.steps
    if not steps:
        return []
    offs = offsets(steps)
    days = problem.day_starts
    out = []
    low, high = problem.window
    grid = problem.granularity
    for index, midnight in enumerate(days or [0]):
        day_end = days[index + 1] if days and index + 1 < len(days) else high
        candidate = max(low, midnight)
        candidate += (-(candidate - midnight)) % grid
        while candidate < min(high, day_end):
            for provider_id in sorted(problem.providers):
                if _fits(problem, provider_id, candidate, steps, offs):
                    out.append((candidate, provider_id))
            candidate += grid
    return out


def _fits(problem: Problem, provider_id: str, start: int, steps, offs) -> bool:
    windows = problem.providers[provider_id]
    for step, offset in zip(steps, offs, strict=True):
        begin = start + offset
        block = (begin - step.before, begin + step.duration + step.after)
        if not _inside(windows, begin, begin + step.duration):
            return False
        if _overlaps(problem.busy.get((provider_id, 0), []), *block):
            return False
        for pool in ([step.rooms] if step.rooms else []) + list(step.equipment):
            if all(_overlaps(problem.busy.get(unit, []), *block) for unit in pool):
                return False
    return True
