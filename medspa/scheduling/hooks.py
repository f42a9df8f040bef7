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


# Small status marks other modules put on each appointment of the calendar, the Today list
# and the appointment card (the forms module: are the required consents on file?).
FlagSource = Callable[..., dict]
_FLAG_SOURCES: list[FlagSource] = []


def register_appointment_flags(fn: FlagSource) -> FlagSource:
    """Register `fn(actor=, rows=)` -> {appointment id (str): {"key", "state", "label", "url",
    "action"}} where rows are dicts with `id`, `patient_id`, `service_id`, `provider_id`,
    `start_at`; state is "ok" or "warn"; `url`/`action` optionally name where to resolve it.
    It must return {} for an actor who may not see the flag."""
    _FLAG_SOURCES.append(fn)
    return fn


def appointment_flags(actor, rows: list[dict]) -> dict[str, list[dict]]:
    """Every registered flag of each appointment, by appointment id (str)."""
    flags: dict[str, list[dict]] = {}
    if not rows:
        return flags
    for source in _FLAG_SOURCES:
        for appointment_id, flag in source(actor=actor, rows=rows).items():
            flags.setdefault(str(appointment_id), []).append(flag)
    return flags
