"""A live event raised outside the web process reaches the right browsers' WebSockets.

Runs the real ASGI server (uvicorn) in a subprocess against the test database, connects a
real WebSocket client with a signed-in session cookie, and raises the event from this
process through the worker's task — the embedded setup, where the in-memory channel
layer cannot cross processes and the database relay must carry the event.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
import websockets
from django.db import connection

from medspa.core.tasks import live_publish_task

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "MEDSPA_DATA_DIR": str(tmp_path), "DEBUG": "true"}
    env.pop("REDIS_URL", None)
    env.pop("PYTEST_CURRENT_TEST", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "medspa.asgi:application",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--ws",
            "websockets-sansio",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


async def listen(port, cookie, received, ready):
    headers = {"Cookie": f"medspa_session={cookie}", "Origin": f"http://127.0.0.1:{port}"}
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/live/", additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv()) == {"type": "pong"}
        ready.set()
        try:
            while True:
                received.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=4)))
        except TimeoutError:
            return


def test_worker_event_reaches_only_its_clinic(server, clinic, other_clinic, owner, other_clinic_owner, login):
    mine = login(owner).cookies["medspa_session"].value
    theirs = login(other_clinic_owner).cookies["medspa_session"].value
    got_mine, got_theirs = [], []

    async def scenario():
        ready = [asyncio.Event(), asyncio.Event()]
        tasks = [
            asyncio.create_task(listen(server, mine, got_mine, ready[0])),
            asyncio.create_task(listen(server, theirs, got_theirs, ready[1])),
        ]
        await asyncio.wait_for(asyncio.gather(ready[0].wait(), ready[1].wait()), timeout=10)
        await asyncio.to_thread(live_publish_task, str(clinic.pk), "appointment.updated", {"id": "abc"})
        await asyncio.gather(*tasks)

    asyncio.run(scenario())
    assert got_mine == [{"type": "event", "event": "appointment.updated", "payload": {"id": "abc"}}]
    assert got_theirs == []


def test_socket_without_session_is_refused(server):
    async def scenario():
        with pytest.raises(websockets.exceptions.WebSocketException):
            async with websockets.connect(
                f"ws://127.0.0.1:{server}/ws/live/", additional_headers={"Origin": f"http://127.0.0.1:{server}"}
            ) as ws:
                await asyncio.wait_for(ws.recv(), timeout=5)

    asyncio.run(scenario())
