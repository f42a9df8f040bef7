"""Typed domain errors with a stable `code`, mapped to HTTP once (API and pages)."""


class DomainError(Exception):
    """Base of errors a service raises on purpose; never a 500."""

    status = 400
    code = "bad_request"
    default_detail = "The request could not be processed."

    def __init__(self, detail: str | None = None, *, code: str | None = None, fields: dict | None = None):
        self.detail = detail or self.default_detail
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(self.detail)


class InvalidInput(DomainError):
    status = 422
    code = "invalid"
    default_detail = "Some fields are not valid."


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    default_detail = "Authentication is required."


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_detail = "You do not have permission to do this."

    def __init__(self, detail: str | None = None, *, permission: str = "", **kwargs):
        self.permission = permission
        super().__init__(detail, **kwargs)


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_detail = "Not found."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_detail = "The record was changed by someone else; reload and try again."


class Gone(DomainError):
    """Something that existed has lapsed for good (an expired hold, an expired link)."""

    status = 410
    code = "gone"
    default_detail = "This has expired."


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    default_detail = "Too many attempts. Try again later."


class ServiceUnavailable(DomainError):
    status = 503
    code = "unavailable"
    default_detail = "The service is temporarily unavailable. Try again shortly."


def error_body(detail: str, code: str, fields: dict | None = None) -> dict:
    """The one JSON error shape of the API."""
    return {"detail": detail, "code": code, "fields": fields or {}}
