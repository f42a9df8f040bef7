"""Django's ASGI handler on a fixed pool of threads, so database connections persist.

Django's stock handler gives every request a fresh thread for its synchronous code, which
makes `CONN_MAX_AGE` useless (each thread opens its own connection and drops it). Here each
request runs on the least busy of WEB_THREADS long-lived single-thread executors.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler


class PooledThreadASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        size = max(1, int(getattr(settings, "WEB_THREADS", 8)))
        self._executors = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"web{i}") for i in range(size)]
        self._busy = [0] * size

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        index = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            async with ThreadSensitiveContext(executor=self._executors[index]):
                await self.handle(scope, receive, send)
        finally:
            self._busy[index] -= 1
