"""Extension points other modules fill in: after a booking is made, modules that need to act
on it (the forms module sends the intake form when the clinic requires one) register here."""

from __future__ import annotations

from collections.abc import Callable

AFTER_BOOKING: list[Callable] = []


def after_booking(fn: Callable) -> Callable:
    """Register `fn(booking, settings)`; it runs inside the booking's transaction."""
    AFTER_BOOKING.append(fn)
    return fn
