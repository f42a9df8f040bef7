"""The audit log: one function records every event; chains prove nothing was changed.

Each clinic has a SHA-256 hash chain: an event's hash covers the previous hash and the
canonical JSON of its own fields. `verify_chains` recomputes every chain and compares the
heads with checkpoints written outside the database, so an edited row, a removed row and
a truncated tail are all detected.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from medspa.core.choices import ActorKind, AuditOutcome
from medspa.core.context import current_request_info
from medspa.core.models import AuditEvent, AuditHead

if TYPE_CHECKING:
    from medspa.core.actors import Actor
    from medspa.core.models import Clinic

SYSTEM_CHAIN = "system"
GENESIS = "0" * 64
_SECRET_MARKERS = ("password", "secret", "token", "otp", "code", "key")

HASHED_FIELDS = (
    "chain",
    "seq",
    "clinic_id",
    "created_at",
    "actor_kind",
    "actor_id",
    "actor_label",
    "actor_role",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "patient_id",
    "summary",
    "changes",
    "ip",
    "user_agent",
    "request_id",
    "prev_hash",
)


def redact(changes: dict[str, Any] | None) -> dict[str, Any]:
    """Changed-field summary safe to store: secret-looking values replaced, JSON-native."""
    clean: dict[str, Any] = {}
    for key, value in (changes or {}).items():
        if any(marker in key.lower() for marker in _SECRET_MARKERS):
            clean[key] = "[redacted]"
        else:
            clean[key] = value
    return json.loads(json.dumps(clean, default=str))


def _canonical(values: dict[str, Any]) -> bytes:
    data = {name: values[name] for name in HASHED_FIELDS}
    created = data["created_at"]
    if isinstance(created, datetime):
        data["created_at"] = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    data["clinic_id"] = str(data["clinic_id"]) if data["clinic_id"] else ""
    data["ip"] = data["ip"] or ""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(values)).hexdigest()


def audit_record(
    *,
    action: str,
    actor: Actor | None = None,
    clinic: Clinic | None = None,
    outcome: str = AuditOutcome.SUCCESS,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    patient_id: str = "",
    summary: str = "",
    changes: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to its clinic's chain, inside the caller's transaction.

    Services call this inside their own transaction so the event commits or rolls back
    with the change it describes. Denials are recorded by the error handlers after the
    failed transaction has rolled back.
    """
    clinic = clinic if clinic is not None else (actor.clinic if actor is not None else None)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    info = current_request_info()
    user = getattr(actor, "user", None)
    chain = str(clinic.pk) if clinic is not None else SYSTEM_CHAIN
    with transaction.atomic():
        head = _lock_head(chain)
        values: dict[str, Any] = {
            "chain": chain,
            "seq": head.seq + 1,
            "clinic_id": clinic.pk if clinic is not None else None,
            "created_at": timezone.now(),
            "actor_kind": actor.kind if actor is not None else ActorKind.ANONYMOUS,
            "actor_id": str(user.pk) if user is not None else (actor.patient_id or "" if actor else ""),
            "actor_label": (actor_label or (actor.label if actor is not None else ""))[:254],
            "actor_role": actor.role if actor is not None else "",
            "action": action,
            "outcome": outcome,
            "object_type": object_type,
            "object_id": str(object_id),
            "patient_id": str(patient_id or ""),
            "summary": summary[:500],
            "changes": redact(changes),
            "ip": info.ip,
            "user_agent": info.user_agent[:300],
            "request_id": info.request_id,
            "prev_hash": head.hash,
        }
        values["hash"] = compute_hash(values)
        event = AuditEvent.objects.create(**values)
        AuditHead.objects.filter(chain=chain).update(seq=values["seq"], hash=values["hash"])
    return event


def _lock_head(chain: str) -> AuditHead:
    AuditHead.objects.get_or_create(chain=chain, defaults={"seq": 0, "hash": GENESIS})
    # The head row serialises appends per clinic; SQLite's IMMEDIATE transactions already do.
    return AuditHead.objects.select_for_update().get(chain=chain)


# Verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    chain: str
    seq: int | None
    event_id: str
    reason: str

    def __str__(self) -> str:
        where = f"event {self.event_id} (seq {self.seq})" if self.event_id else f"seq {self.seq}"
        return f"chain {self.chain}: {where}: {self.reason}"


def verify_chain(chain: str) -> ChainProblem | None:
    """Recompute one chain; return the first broken event, or None when intact."""
    fields = [*HASHED_FIELDS, "hash", "id"]
    expected_prev, expected_seq = GENESIS, 1
    rows = AuditEvent.objects.filter(chain=chain).order_by("seq").values(*fields)
    for row in rows.iterator(chunk_size=2000):
        event_id = str(row["id"])
        if row["seq"] != expected_seq:
            return ChainProblem(chain, expected_seq, "", f"missing event (next stored is seq {row['seq']})")
        if row["prev_hash"] != expected_prev:
            return ChainProblem(chain, row["seq"], event_id, "previous-hash link does not match")
        if compute_hash(row) != row["hash"]:
            return ChainProblem(chain, row["seq"], event_id, "content does not match its hash")
        expected_prev, expected_seq = row["hash"], expected_seq + 1
    checkpoint = latest_checkpoints().get(chain)
    if checkpoint and checkpoint["seq"] >= expected_seq:
        return ChainProblem(chain, checkpoint["seq"], "", "events recorded in the checkpoint are missing (truncated)")
    if checkpoint:
        stored = AuditEvent.objects.filter(chain=chain, seq=checkpoint["seq"]).values_list("hash", flat=True).first()
        if stored != checkpoint["hash"]:
            return ChainProblem(chain, checkpoint["seq"], "", "head differs from the external checkpoint")
    return None


def all_chains() -> list[str]:
    stored = set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    return sorted(stored | set(AuditHead.objects.values_list("chain", flat=True)) | set(latest_checkpoints()))


def verify_chains() -> tuple[int, list[ChainProblem]]:
    """Verify every chain; return (events checked, problems)."""
    problems = [p for chain in all_chains() if (p := verify_chain(chain)) is not None]
    return AuditEvent.objects.count(), problems


# Checkpoints outside the database -------------------------------------------------------


def checkpoint_file() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / "checkpoints.jsonl"


def latest_checkpoints() -> dict[str, dict[str, Any]]:
    path = checkpoint_file()
    latest: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return latest
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                entry = json.loads(line)
                latest[entry["chain"]] = entry
    return latest


def write_checkpoints() -> int:
    """Append the head (chain, seq, hash) of every chain to the checkpoint file; return count."""
    path = checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    heads = list(AuditHead.objects.order_by("chain").values("chain", "seq", "hash"))
    now = timezone.now().isoformat()
    with path.open("a", encoding="utf-8") as fh:
        for head in heads:
            fh.write(json.dumps({**head, "at": now}, sort_keys=True) + "\n")
        fh.flush()
    return len(heads)


# Maintenance switch -----------------------------------------------------------------------


@contextlib.contextmanager
def append_only_suspended() -> Iterator[None]:
    """Let this connection delete audit rows: test-database resets and retention purges only.

    The database triggers refuse UPDATE, DELETE and TRUNCATE on the audit tables unless
    this per-connection switch is on; request handling never turns it on.
    """
    set_append_only_suspended(True)
    try:
        yield
    finally:
        set_append_only_suspended(False)


def set_append_only_suspended(suspended: bool) -> None:
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('medspa.audit_purge', %s, false)", ["on" if suspended else "off"])
    else:
        connection.medspa_audit_purge = suspended
