"""Fixed-window rate limits on the Django cache (local memory when embedded, Redis at scale).

`hit(scope, key, limit, seconds)` counts one attempt and raises `TooManyRequests` (429) once
the window's count passes `limit`. Keys are hashed so no phone number or email is kept in
the cache. Windows are aligned to the clock, so a burst straddling two windows can reach
twice the limit for a moment; that is the usual trade for one atomic increment per check.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

from medspa.core.errors import TooManyRequests


def _cache_key(scope: str, key: str, window: int) -> str:
    digest = hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{window}"


def hit(scope: str, key: str, *, limit: int, seconds: int, message: str = "") -> int:
    """Count one attempt of `key` in `scope`; 429 when over `limit` per `seconds`."""
    window = int(time.time()) // seconds
    name = _cache_key(scope, key, window)
    if cache.add(name, 1, timeout=seconds + 5):
        count = 1
    else:
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.add(name, 1, timeout=seconds + 5)
            count = 1
    if count > limit:
        retry = seconds - int(time.time()) % seconds
        raise TooManyRequests(
            message or "Too many requests. Please wait a moment and try again.",
            code="rate_limited",
            fields={"retry_after": [str(retry)]},
        )
    return count
