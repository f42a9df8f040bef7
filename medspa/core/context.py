"""Per-request facts (IP, user agent, request id) that the audit log records.

Set by `RequestContextMiddleware` so services can audit without taking the request.
"""

import contextvars
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestInfo:
    ip: str | None = None
    user_agent: str = ""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("medspa_request", default=None)


def current_request_info() -> RequestInfo:
    return _current.get() or RequestInfo(request_id="")


def set_request_info(info: RequestInfo) -> contextvars.Token:
    return _current.set(info)


def reset_request_info(token: contextvars.Token) -> None:
    _current.reset(token)
