"""The audit log: chained, append-only at the database, tampering detected by audit-verify."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from medspa.core.actors import Actor
from medspa.core.audit import append_only_suspended, audit_record, verify_chains, write_checkpoints
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role

pytestmark = pytest.mark.django_db


def record_some(clinic, owner, count=5):
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    return [
        audit_record(action="test.event", actor=actor, summary=f"event {i}", changes={"n": i}) for i in range(count)
    ]


def run_verify():
    try:
        call_command("audit_verify")
    except SystemExit as exc:
        return exc.code
    return 0


def test_events_chain_per_clinic(clinic, other_clinic, owner, other_clinic_owner):
    events = record_some(clinic, owner, 3)
    other = record_some(other_clinic, other_clinic_owner, 2)
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.seq for e in other] == [1, 2]
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert events[0].chain == str(clinic.pk) and other[0].chain == str(other_clinic.pk)
    assert verify_chains()[1] == []
    assert run_verify() == 0


def test_secret_values_are_redacted(clinic, owner):
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    event = audit_record(
        action="test.secret", actor=actor, changes={"password": "hunter2", "api_token": "abc", "name": "x"}
    )
    assert event.changes == {"password": "[redacted]", "api_token": "[redacted]", "name": "x"}


@pytest.mark.parametrize("statement", ["UPDATE core_auditevent SET summary = 'edited'", "DELETE FROM core_auditevent"])
def test_database_refuses_update_and_delete(clinic, owner, statement):
    record_some(clinic, owner, 2)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(summary="edited").count() == 0
    assert AuditEvent.objects.count() == 2


def test_orm_update_and_delete_refused(clinic, owner):
    event = record_some(clinic, owner, 1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgres_refuses_truncate(clinic, owner):
    record_some(clinic, owner, 1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_auditevent")
    assert AuditEvent.objects.count() == 1


def test_edited_row_is_detected(clinic, owner, capsys):
    events = record_some(clinic, owner, 5)
    with append_only_suspended():
        AuditEvent.objects.filter(pk=events[2].pk).update(summary="nothing to see")
    assert run_verify() == 1
    err = capsys.readouterr().err
    assert str(events[2].pk) in err and "content does not match" in err


def test_deleted_middle_row_is_detected(clinic, owner, capsys):
    events = record_some(clinic, owner, 5)
    with append_only_suspended():
        AuditEvent.objects.filter(pk=events[1].pk).delete()
    assert run_verify() == 1
    assert "missing event" in capsys.readouterr().err


def test_truncated_tail_is_detected_through_checkpoint(clinic, owner, capsys):
    events = record_some(clinic, owner, 5)
    write_checkpoints()
    with append_only_suspended():
        AuditEvent.objects.filter(pk__in=[events[3].pk, events[4].pk]).delete()
    assert run_verify() == 1
    assert "truncated" in capsys.readouterr().err


def test_tail_without_checkpoint_would_pass(clinic, owner):
    """Why checkpoints exist: a removed tail alone still forms a valid chain."""
    events = record_some(clinic, owner, 3)
    with append_only_suspended():
        AuditEvent.objects.filter(pk=events[2].pk).delete()
    from medspa.core.audit import verify_chain

    assert verify_chain(str(clinic.pk)) is None


def test_checkpoint_head_mismatch_detected(clinic, owner, capsys):
    events = record_some(clinic, owner, 3)
    write_checkpoints()
    with append_only_suspended():
        AuditEvent.objects.filter(pk=events[2].pk).delete()
    # A forger appends a replacement last event with a valid link to the previous one.
    audit_record(action="test.forged", actor=Actor.staff(user=owner, clinic=clinic, role=Role.OWNER))
    assert run_verify() == 1


def test_audit_verify_run_is_itself_audited(clinic, owner):
    run_verify()
    assert AuditEvent.objects.filter(action="audit.verified").count() == 1
