"""api.overhead: the authenticated `GET /api/me` against `GET /healthz`, over real HTTP.

Starts the real server (`medspa serve --no-worker`, uvicorn) on a free port, loads the demo
data, takes an API token for owner@glow.demo and drives both endpoints with 16 concurrent
keep-alive clients. The baseline (`/healthz`: one `SELECT 1` and a job-queue check) runs in
the same run, interleaved round by round with `/api/me` (bearer token lookup, membership,
actor, ninja schema), so machine noise hits both alike.

Figures (JSON lines): requests/s, p50/p95/p99 latency of each endpoint, the Django query
count per request, and `rps(/api/me) / rps(/healthz)` against the target of 0.5.

The load generator is `wrk` when it is installed (C, one thread, far from being the
bottleneck), else a separate Python process running httpx on asyncio; the output names it.

Database: the temporary SQLite under a fresh MEDSPA_DATA_DIR, or DATABASE_URL when it is set
(PostgreSQL: the caller provides an empty or disposable database; migrations and demo data
are applied to it).

Environment knobs: BENCH_CLIENT (wrk|python), BENCH_CONCURRENCY (16), BENCH_ROUNDS (30),
BENCH_ROUND_SECONDS (1), BENCH_WARMUP_SECONDS (3), BENCH_STRICT=1 (exit 1 when the target
is missed).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import REPO_DIR, database_backend, emit, emit_machine

BENCH = "api_overhead"
TARGET_RATIO = 0.5
MIN_REQUESTS = 2000
MIN_ROUNDS = 30
MAX_ROUNDS = 300
DEMO_EMAIL = "owner@glow.demo"
DEMO_PASSWORD = os.environ.get("MEDSPA_DEMO_PASSWORD", "medspa-demo")  # what `medspa demo` sets
ENDPOINTS = {"healthz": "/healthz", "me": "/api/me"}

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"err_connect":%d,"err_read":%d,"err_write":%d,' ..
    '"err_status":%d,"err_timeout":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
"""


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


# The server ---------------------------------------------------------------------------------


def server_env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "MEDSPA_DATA_DIR": str(data_dir), "DEBUG": "true", "LOG_LEVEL": "WARNING"}
    env["DJANGO_SETTINGS_MODULE"] = "medspa.settings"
    env.pop("MEDSPA_TESTING", None)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "medspa", *args], cwd=REPO_DIR, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"`medspa {' '.join(args)}` failed with exit {result.returncode}")


@contextlib.contextmanager
def running_server(env: dict[str, str], data_dir: Path) -> Iterator[str]:
    """Serve on a free port until the block ends; SIGTERM (then SIGKILL) on the way out."""
    port = free_port()
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "medspa", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
            cwd=REPO_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base_url, proc, log_path)
            yield base_url
        except BaseException:
            sys.stderr.write(f"server log ({log_path}):\n" + log_path.read_text(errors="replace")[-4000:])
            raise
        finally:
            stop_server(proc)


def wait_healthy(base_url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before answering /healthz")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"/healthz did not answer 200 within {timeout:.0f} s (log: {log_path})")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    # `serve` stops its uvicorn child on SIGTERM; make sure nothing of the session survives.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def api_token(base_url: str) -> str:
    response = httpx.post(
        base_url + "/api/auth/token", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, timeout=30
    )
    if response.status_code != 200:
        raise RuntimeError(f"POST /api/auth/token answered {response.status_code}: {response.text[:300]}")
    return response.json()["token"]


def check_correct(base_url: str, headers: dict[str, str]) -> float:
    """Both endpoints answer what they should before anything is timed; returns the cold /api/me ms."""
    health = httpx.get(base_url + "/healthz", timeout=10)
    if health.status_code != 200 or health.json().get("status") != "ok":
        raise RuntimeError(f"/healthz is not healthy: {health.status_code} {health.text[:200]}")
    started = time.perf_counter()
    me = httpx.get(base_url + "/api/me", headers=headers, timeout=10)
    cold_ms = (time.perf_counter() - started) * 1000
    if me.status_code != 200 or me.json().get("user", {}).get("email") != DEMO_EMAIL:
        raise RuntimeError(f"/api/me did not return the demo owner: {me.status_code} {me.text[:200]}")
    if httpx.get(base_url + "/api/me", timeout=10).status_code != 401:
        raise RuntimeError("/api/me answered without a token")
    return cold_ms


def count_queries(env: dict[str, str], token: str) -> dict[str, int] | None:
    """Django queries per request of each endpoint (test client on the same database)."""
    result = subprocess.run(
        [sys.executable, __file__, "--count-queries", token],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write("query count skipped:\n" + result.stderr[-2000:])
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def count_queries_main(token: str) -> None:
    sys.path.insert(0, str(REPO_DIR))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = {}
    for key, path in ENDPOINTS.items():
        headers = {"Authorization": f"Bearer {token}"} if key == "me" else {}
        client.get(path, headers=headers)  # the first call may write last_used_at; count the steady state
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code} in the test client")
        counts[key] = len(ctx.captured_queries)
    sys.stdout.write(json.dumps(counts) + "\n")


# Load generators ------------------------------------------------------------------------------


class WrkClient:
    name = "wrk"

    def __init__(self, concurrency: int, workdir: Path) -> None:
        self.concurrency = concurrency
        self.script = workdir / "report.lua"
        self.script.write_text(WRK_SCRIPT)
        version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        self.version = (version.stdout + version.stderr).split("Copyright")[0].strip()

    def run(self, url: str, headers: dict[str, str], seconds: int) -> dict[str, Any]:
        command = [
            "wrk",
            "-t1",
            f"-c{self.concurrency}",
            f"-d{max(1, int(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(self.script),
        ]
        for key, value in headers.items():
            command += ["-H", f"{key}: {value}"]
        result = subprocess.run([*command, url], capture_output=True, text=True, check=True)
        line = [ln for ln in result.stdout.splitlines() if ln.startswith("{")][-1]
        raw = json.loads(line)
        errors = sum(raw[k] for k in raw if k.startswith("err_"))
        seconds_taken = raw["duration_us"] / 1e6
        return {
            "requests": raw["requests"],
            "errors": errors,
            "rps": raw["requests"] / seconds_taken,
            "p50_ms": raw["p50_us"] / 1000,
            "p95_ms": raw["p95_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000,
        }

    def close(self) -> None:
        pass


class PythonClient:
    """A separate process running httpx on asyncio; one request line in, one result line out."""

    name = "python-httpx-asyncio"

    def __init__(self, concurrency: int, workdir: Path) -> None:
        self.concurrency = concurrency
        self.version = f"httpx {httpx.__version__}"
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--load-worker", str(concurrency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, url: str, headers: dict[str, str], seconds: int) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"url": url, "headers": headers, "seconds": seconds}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the load worker stopped")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


async def _load_round(client: httpx.AsyncClient, job: dict[str, Any], concurrency: int) -> dict[str, Any]:
    url, headers, seconds = job["url"], job["headers"], float(job["seconds"])
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def user() -> None:
        nonlocal errors
        while (started := time.perf_counter()) < stop_at:
            try:
                response = await client.get(url, headers=headers)
                ok = response.status_code < 400
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "rps": (len(latencies) + errors) / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


async def load_worker_main(concurrency: int) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            result = await _load_round(client, json.loads(line), concurrency)
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()


def make_client(concurrency: int, workdir: Path):
    wanted = os.environ.get("BENCH_CLIENT", "").lower()
    if wanted not in ("", "wrk", "python"):
        raise SystemExit("BENCH_CLIENT must be wrk or python")
    if wanted != "python" and shutil.which("wrk"):
        return WrkClient(concurrency, workdir)
    if wanted == "wrk":
        raise SystemExit("BENCH_CLIENT=wrk but wrk is not installed")
    return PythonClient(concurrency, workdir)


# The benchmark ------------------------------------------------------------------------------


def measure(client, base_url: str, headers: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    round_seconds = env_int("BENCH_ROUND_SECONDS", 1)
    rounds = max(MIN_ROUNDS, env_int("BENCH_ROUNDS", MIN_ROUNDS))
    warmup = env_int("BENCH_WARMUP_SECONDS", 3)
    endpoint_headers = {"healthz": {}, "me": headers}
    for key, path in ENDPOINTS.items():
        client.run(base_url + path, endpoint_headers[key], warmup)
    results: dict[str, list[dict[str, Any]]] = {key: [] for key in ENDPOINTS}
    index = 0
    while index < MAX_ROUNDS and (
        index < rounds or min(sum(r["requests"] for r in rs) for rs in results.values()) < MIN_REQUESTS
    ):
        # Alternate which endpoint goes first so drift (thermal, WAL growth) hits both alike.
        order = list(ENDPOINTS) if index % 2 == 0 else list(reversed(ENDPOINTS))
        for key in order:
            results[key].append(client.run(base_url + ENDPOINTS[key], endpoint_headers[key], round_seconds))
        index += 1
    return results


def summarise(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    rps = [r["rps"] for r in rounds]
    return {
        "rps": statistics.median(rps),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p95_ms": statistics.median(r["p95_ms"] for r in rounds),
        "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
        "requests": sum(r["requests"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "rounds": len(rounds),
    }


def main() -> int:
    concurrency = env_int("BENCH_CONCURRENCY", 16)
    backend = database_backend()
    with tempfile.TemporaryDirectory(prefix="medspa-bench-") as tmp:
        data_dir = Path(tmp)
        env = server_env(data_dir)
        client = make_client(concurrency, data_dir)
        try:
            common = {"backend": backend, "client": client.name, "concurrency": concurrency}
            emit_machine(BENCH, client=client.name, client_version=client.version, concurrency=concurrency)
            manage(env, "migrate", "--noinput")
            manage(env, "demo")
            # Measure the server as it runs in production: DEBUG off, real secrets, no TLS redirect
            # (there is no TLS proxy in front of it here).
            production = {
                **env,
                "DEBUG": "false",
                "SECRET_KEY": "bench-" + "s" * 60,
                "MEDSPA_FILE_KEY": base64.b64encode(os.urandom(32)).decode(),
                "SECURE_SSL_REDIRECT": "false",
            }
            with running_server(production, data_dir) as base_url:
                token = api_token(base_url)
                headers = {"Authorization": f"Bearer {token}"}
                cold_ms = check_correct(base_url, headers)
                queries = count_queries(env, token)
                results = measure(client, base_url, headers)
        finally:
            client.close()

    summary = {key: summarise(rounds) for key, rounds in results.items()}
    aggregate = "median over rounds (per-round percentiles for latency)"
    for key, path in ENDPOINTS.items():
        s = summary[key]
        extra = {**common, "endpoint": f"GET {path}"}
        emit(
            f"{BENCH}.{key}.rps",
            round(s["rps"], 1),
            "req/s",
            rps_min=round(s["rps_min"], 1),
            rps_max=round(s["rps_max"], 1),
            requests=s["requests"],
            errors=s["errors"],
            rounds=s["rounds"],
            aggregate=aggregate,
            **extra,
        )
        for q in ("p50", "p95", "p99"):
            emit(f"{BENCH}.{key}.{q}", round(s[f"{q}_ms"], 3), "ms", aggregate=aggregate, **extra)
        if queries is not None:
            emit(f"{BENCH}.{key}.db_queries", queries[key], "queries/request", **extra)
    emit(f"{BENCH}.me.first_request", round(cold_ms, 2), "ms", note="first /api/me after start (cold)", **common)
    ratio = summary["me"]["rps"] / summary["healthz"]["rps"]
    # The same ratio per round (each pair ran back to back), less sensitive to drift in machine load.
    paired = statistics.median(m["rps"] / h["rps"] for m, h in zip(results["me"], results["healthz"], strict=True))
    met = ratio >= TARGET_RATIO
    if client.name != "wrk":
        # A Python load generator shares the CPUs with the server: on small machines it caps the
        # fast baseline first, which flatters the ratio. Install wrk for figures worth comparing.
        common["client_note"] = "load generator may be the bottleneck; ratio likely overstated"
    emit(
        f"{BENCH}.ratio",
        round(ratio, 3),
        "ratio",
        definition="median rps(GET /api/me) / median rps(GET /healthz)",
        ratio_paired=round(paired, 3),
        target=TARGET_RATIO,
        met=met,
        load_average_1m_end=round(os.getloadavg()[0], 2),
        **common,
    )
    if summary["me"]["errors"] or summary["healthz"]["errors"]:
        sys.stderr.write("some requests failed during the measurement\n")
        return 1
    if not met and os.environ.get("BENCH_STRICT") == "1":
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load-worker":
        asyncio.run(load_worker_main(int(sys.argv[2])))
    elif len(sys.argv) > 1 and sys.argv[1] == "--count-queries":
        count_queries_main(sys.argv[2])
    else:
        sys.exit(main())
