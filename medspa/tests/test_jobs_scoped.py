"""TEN-5: code outside a request is scoped. Every job that acts for a clinic takes `clinic_id`
as its first argument (and rebuilds its actor from it); periodic sweeps that span clinics are
listed here by name with what they do, so a new unscoped job fails this test."""

from __future__ import annotations

import ast
from pathlib import Path

import medspa

# Periodic upkeep that runs for the whole installation; each hands clinic work on to scoped
# jobs or touches only infrastructure rows.
SYSTEM_SWEEPS = {
    "outbox_sweep": "re-queues due outbox messages as outbox_deliver_task(clinic_id, ...)",
    "live_relay_purge": "drops relayed live-event rows older than two minutes",
    "audit_checkpoint": "writes every chain head outside the database",
    "idempotency_purge": "drops idempotency results older than 48 hours",
    "purge_expired_credentials": "drops expired API tokens and sessions",
    "patient_import_sweep": "re-queues patient imports as patient_import_task(clinic_id, ...)",
    "booking_holds_expire": "releases every clinic's lapsed booking holds (each row carries its clinic)",
    "consents_remind": "reminds patients of open form links before their visit (each link carries its clinic)",
}
JOB_DECORATORS = {"db_task", "task"}
PERIODIC_DECORATORS = {"db_periodic_task", "periodic_task"}


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


def _jobs():
    root = Path(medspa.__file__).parent
    for path in sorted(root.glob("*/tasks.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                names = {_decorator_name(d) for d in node.decorator_list}
                if names & (JOB_DECORATORS | PERIODIC_DECORATORS):
                    yield path.relative_to(root.parent), node, names


def test_every_job_takes_clinic_id_first_or_is_a_listed_system_sweep():
    jobs = list(_jobs())
    assert jobs, "no jobs found: the scan is broken"
    unscoped = []
    for path, node, names in jobs:
        args = [a.arg for a in node.args.args]
        if names & JOB_DECORATORS and (not args or args[0] != "clinic_id"):
            unscoped.append(f"{path}:{node.name}")
        if names & PERIODIC_DECORATORS and node.name not in SYSTEM_SWEEPS:
            unscoped.append(f"{path}:{node.name} (periodic, not listed)")
    assert unscoped == []


def test_every_listed_sweep_exists():
    names = {node.name for _, node, _ in _jobs()}
    assert set(SYSTEM_SWEEPS) <= names
