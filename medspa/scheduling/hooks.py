"""Extension points other modules fill in: after a visit is booked (by staff, the booking
portal or a finish link), modules that act on it register here (the forms module sends the
patient the forms the visit requires)."""

from __future__ import annotations

from collections.abc import Callable

AFTER_VISIT_BOOKED: list[Callable] = []


def after_visit_booked(fn: Callable) -> Callable:
    """Register `fn(actor=, visit=, appointments=)`; it runs inside the booking's transaction."""
    AFTER_VISIT_BOOKED.append(fn)
    return fn
