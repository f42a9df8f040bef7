"""SCH-1/SCH-2: concurrent bookings of the same time never double-book, on either database,
and contention surfaces as a 409, never an unhandled error."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from medspa.core.errors import Conflict
from medspa.scheduling import services
from medspa.scheduling.models import Appointment, Reservation
from medspa.scheduling.tests.conftest import at, next_weekday

WORKERS = 8
ROUNDS = 3


def _race(setup, start) -> tuple[int, int, list]:
    barrier = threading.Barrier(WORKERS)
    results: list = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            services.book(setup.owner, setup.request(start))
            outcome = "booked"
        except Conflict:
            outcome = "conflict"
        except Exception as error:  # noqa: BLE001 - the test reports anything unexpected
            outcome = repr(error)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results.count("booked"), results.count("conflict"), [r for r in results if r not in {"booked", "conflict"}]


@pytest.mark.django_db(transaction=True)
def test_racing_bookings_of_one_slot_book_exactly_once(setup):
    day = next_weekday()
    for round_number in range(ROUNDS):
        start = at(day, 10 + round_number)
        booked, conflicts, errors = _race(setup, start)
        assert errors == []
        assert (booked, conflicts) == (1, WORKERS - 1)
        assert Appointment.objects.filter(start_at=start).count() == 1


@pytest.mark.django_db
def test_the_database_itself_refuses_overlapping_reservations_on_postgresql(setup):
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL; SQLite relies on serialised writes")
    appointment = services.book(setup.owner, setup.request(at(next_weekday(), 10))).booked[0]
    block = Reservation.objects.get(appointment=appointment, kind="provider")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.create(
            clinic=setup.clinic,
            appointment=appointment,
            kind="provider",
            resource_id=block.resource_id,
            unit=0,
            start_minute=block.start_minute + 5,
            end_minute=block.end_minute + 5,
        )
    # An inactive (cancelled) reservation does not block.
    Reservation.objects.create(
        clinic=setup.clinic,
        appointment=appointment,
        kind="provider",
        resource_id=block.resource_id,
        unit=0,
        start_minute=block.start_minute,
        end_minute=block.end_minute,
        active=False,
    )
