"""The one list convention of the API: `{"items": [...], "next": <cursor or null>}`.

Cursors are opaque to clients; today they carry an offset, which lets a list change its
paging strategy later without changing a client.
"""

from __future__ import annotations

import base64
import binascii
import json

from medspa.core.errors import InvalidInput

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Deeper than this, narrow the search instead; it also keeps offsets inside database integers.
MAX_OFFSET = 100_000


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The offset a cursor stands for; a tampered or foreign cursor is a 422, never a 500."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded.encode()))["o"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidInput(fields={"cursor": "This cursor is not valid."}) from exc
    if not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(fields={"cursor": "This cursor is not valid."})
    return offset


def page_body(items: list, *, offset: int, limit: int, has_more: bool) -> dict:
    return {"items": items, "next": encode_cursor(offset + limit) if has_more else None}


def clamp_offset(offset: int | None) -> int:
    return max(0, min(int(offset or 0), MAX_OFFSET))


def clamp_limit(limit: int | None) -> int:
    return max(1, min(int(limit or DEFAULT_LIMIT), MAX_LIMIT))
