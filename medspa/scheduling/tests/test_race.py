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


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_idempotency_key_book_once_and_all_get_the_same_answer(setup):
    from medspa.core.idempotency import replay_or_run

    start = at(next_weekday(), 15)
    barrier = threading.Barrier(WORKERS)
    answers: list = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()

            def run():
                return 201, {"id": str(services.book(setup.owner, setup.request(start)).booked[0].pk)}

            status, body, _ = replay_or_run(setup.owner, "booking.create", "same-key", {"start": "x"}, run)
            outcome = (status, body["id"])
        except Exception as error:  # noqa: BLE001 - reported below
            outcome = repr(error)
        finally:
            connections.close_all()
        with lock:
            answers.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(answers)) == 1, answers
    assert answers[0][0] == 201
    assert Appointment.objects.filter(start_at=start).count() == 1
