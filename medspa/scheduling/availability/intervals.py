"""Interval algebra on integer minutes: the pure core of availability.

An interval set is a sorted list of disjoint, non-touching half-open pairs `(start, end)`
with `start < end`, in minutes since the Unix epoch (UTC). Every function here takes and
returns such sets and runs in linear time over its inputs (after one sort in `normalize`).
No dates, no ORM: the scheduling loader converts rows to minutes before calling in.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from operator import itemgetter

Interval = tuple[int, int]
IntervalSet = list[Interval]
_end = itemgetter(1)


def normalize(intervals: Iterable[Interval]) -> IntervalSet:
    """Sort and merge overlapping or touching intervals; drop empty ones."""
    merged: IntervalSet = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(base: IntervalSet, cut: IntervalSet) -> IntervalSet:
    """The parts of `base` not covered by `cut`. The first cut that matters for each base
    interval is found by binary search, so a short base against a long cut costs
    O(log n) plus what it meets (the engine subtracts one interval from a room's whole
    horizon per slot)."""
    out: IntervalSet = []
    j = 0
    for start, end in base:
        j = bisect_right(cut, start, lo=j, key=_end)
        k = j
        cursor = start
        while k < len(cut) and cut[k][0] < end:
            if cut[k][0] > cursor:
                out.append((cursor, cut[k][0]))
            cursor = max(cursor, cut[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def intersect(a: IntervalSet, b: IntervalSet) -> IntervalSet:
    """Where both sets hold."""
    out: IntervalSet = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def union(sets: Iterable[IntervalSet]) -> IntervalSet:
    """Where any of the sets holds."""
    return normalize(interval for one in sets for interval in one)


def shift(intervals: IntervalSet, by: int) -> IntervalSet:
    return [(start + by, end + by) for start, end in intervals]


def starts_within(windows: IntervalSet, length: int) -> IntervalSet:
    """Start times `s` (as a set of half-open ranges of starts) such that `[s, s + length)`
    lies inside one window. A start range `[a, b)` means every minute a <= s < b works."""
    return [(start, end - length + 1) for start, end in windows if end - start >= length]


def starts_clear_of(busy: IntervalSet, before: int, length: int, after: int) -> IntervalSet:
    """Start times `s` such that `[s - before, s + length + after)` meets no busy interval.

    The gaps between busy intervals are open-ended at both extremes; the result is bounded by
    very large sentinels that callers intersect with a finite window."""
    low, high = -(2**62), 2**62
    out: IntervalSet = []
    cursor = low
    for start, end in [*busy, (high, high)]:
        first = cursor + before
        last = start - length - after  # last start whose block ends at or before `start`
        if first <= last:
            out.append((first, last + 1))
        cursor = max(cursor, end)
    return out


def covering(intervals: IntervalSet, start: int, end: int) -> Interval | None:
    """The interval of the set that contains `[start, end)`, if one does (binary search)."""
    lo, hi = 0, len(intervals)
    while lo < hi:
        mid = (lo + hi) // 2
        if intervals[mid][1] < end:
            lo = mid + 1
        else:
            hi = mid
    if lo < len(intervals) and intervals[lo][0] <= start and end <= intervals[lo][1]:
        return intervals[lo]
    return None


def is_clear(busy: IntervalSet, start: int, end: int) -> bool:
    """True when `[start, end)` overlaps no interval of `busy` (binary search)."""
    lo, hi = 0, len(busy)
    while lo < hi:
        mid = (lo + hi) // 2
        if busy[mid][1] <= start:
            lo = mid + 1
        else:
            hi = mid
    return lo == len(busy) or busy[lo][0] >= end
