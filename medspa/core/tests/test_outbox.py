"""The outbox: side effects committed with the change, delivered once, retried after failure."""

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from medspa.core import outbox
from medspa.core.choices import OutboxStatus
from medspa.core.models import OutboxMessage
from medspa.core.tasks import outbox_sweep

pytestmark = pytest.mark.django_db(transaction=True)

CALLS: list[str] = []


@outbox.outbox_handler("test.flaky")
def flaky(message):
    CALLS.append(str(message.pk))
    if message.payload.get("fail_times", 0) >= len(CALLS):
        raise RuntimeError("processor timed out")


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()


def test_email_is_delivered_after_commit(clinic):
    with transaction.atomic():
        outbox.outbox_enqueue(
            clinic=clinic,
            topic="email.send",
            key="k1",
            payload={"to": ["a@b.example"], "subject": "Hi", "body": "Hello {base_url}/x"},
        )
        assert len(mail.outbox) == 0  # nothing leaves before the commit
    assert len(mail.outbox) == 1
    assert mail.outbox[0].body.startswith("Hello http")
    assert OutboxMessage.objects.get().status == OutboxStatus.DONE


def test_rolled_back_change_sends_nothing(clinic):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.outbox_enqueue(
            clinic=clinic, topic="email.send", key="k2", payload={"to": ["a@b.example"], "subject": "Hi", "body": "x"}
        )
        raise RuntimeError("business rule failed")
    assert OutboxMessage.objects.count() == 0 and len(mail.outbox) == 0


def test_same_key_is_stored_once(clinic):
    first = outbox.outbox_enqueue(clinic=clinic, topic="test.flaky", key="same", payload={})
    second = outbox.outbox_enqueue(clinic=clinic, topic="test.flaky", key="same", payload={})
    assert first.pk == second.pk and OutboxMessage.objects.count() == 1
    assert [str(first.pk)] == CALLS


def test_failure_is_retried_by_the_sweeper(clinic):
    message = outbox.outbox_enqueue(clinic=clinic, topic="test.flaky", key="f", payload={"fail_times": 1})
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 1 and "timed out" in message.last_error
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
    outbox_sweep.call_local()
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE and message.attempts == 2
    assert len(CALLS) == 2


def test_claimed_message_is_not_run_twice(clinic):
    message = outbox.outbox_enqueue(clinic=clinic, topic="test.flaky", key="c", payload={"fail_times": 1})
    OutboxMessage.objects.filter(pk=message.pk).update(
        available_at=timezone.now(), claimed_until=timezone.now() + timezone.timedelta(minutes=5)
    )
    assert outbox.outbox_due() == []
    assert outbox.outbox_deliver(clinic_id=str(clinic.pk), message_id=str(message.pk)) == OutboxStatus.PENDING
    assert len(CALLS) == 1  # only the first, unclaimed attempt ran


def test_unknown_topic_is_refused(clinic):
    with pytest.raises(ValueError):
        outbox.outbox_enqueue(clinic=clinic, topic="nope", key="x", payload={})
