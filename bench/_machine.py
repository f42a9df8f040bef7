"""Shared helpers for benchmarks: describe the machine and print figures as JSON lines.

Every benchmark prints one JSON object per line: first the machine (`emit_machine`), then
one line per figure (`emit`), each `{"name": ..., "value": ..., "unit": ..., ...extra}`.
Absolute numbers only mean something next to the machine they were measured on.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO_DIR = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def database_backend(database_url: str | None = None) -> str:
    """'postgresql', 'sqlite' (the embedded default) or the URL scheme of anything else."""
    url = os.environ.get("DATABASE_URL", "") if database_url is None else database_url
    if not url:
        return "sqlite"
    scheme = urlparse(url).scheme.split("+", 1)[0]
    if scheme in {"postgres", "postgresql", "pgsql"}:
        return "postgresql"
    return "sqlite" if scheme == "sqlite" else scheme


def postgres_server_version(database_url: str) -> str | None:
    """The server's `server_version`, or None when it cannot be reached."""
    try:
        import psycopg

        with psycopg.connect(database_url, connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else None
    except Exception:  # noqa: BLE001 - a missing version must not stop a benchmark
        return None


def _django_version() -> str | None:
    try:
        import django

        return django.get_version()
    except ImportError:
        return None


def _git_commit() -> str | None:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def machine_info() -> dict[str, Any]:
    """Facts that make a figure comparable: CPUs, versions, database backend."""
    database_url = os.environ.get("DATABASE_URL", "")
    backend = database_backend(database_url)
    info: dict[str, Any] = {
        "nproc": _nproc(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "django": _django_version(),
        "db_backend": backend,
        "postgresql": postgres_server_version(database_url) if backend == "postgresql" else None,
        "git_commit": _git_commit(),
        # Other work on the machine skews absolute figures; ratios measured in one run hold up better.
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
    return info


def emit(name: str, value: Any, unit: str | None, **extra: Any) -> None:
    """Print one figure as a JSON line (flushed, so partial runs still leave results)."""
    sys.stdout.write(json.dumps({"name": name, "value": value, "unit": unit, **extra}) + "\n")
    sys.stdout.flush()


def emit_machine(benchmark: str, **extra: Any) -> dict[str, Any]:
    """Print the machine line that opens a benchmark's output; return the facts."""
    info = machine_info()
    emit(f"{benchmark}.machine", None, None, **info, **extra)
    return info
