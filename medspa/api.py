"""The JSON API: one NinjaAPI with default-deny auth, one error shape, app routers mounted."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required, login_required
from django.db import DatabaseError, DataError, OperationalError
from django.http import Http404, HttpRequest
from django.http.request import RawPostDataException
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from medspa.accounts.api import router as accounts_router
from medspa.accounts.auth import BearerTokenAuth, StaffSessionAuth
from medspa.booking.api import router as booking_router
from medspa.catalog.api import router as catalog_router
from medspa.charting.api import router as charting_router
from medspa.consents.api import router as consents_router
from medspa.core.errors import DomainError, PermissionDenied, error_body
from medspa.core.middleware import record_denial
from medspa.patients.api import router as patients_router
from medspa.photos.api import router as photos_router
from medspa.scheduling.api import router as scheduling_router

api = NinjaAPI(
    title="Medspa API",
    version="1",
    description="Staff API of the Medspa practice platform. Authenticate with `POST /api/auth/token`.",
    auth=[BearerTokenAuth(), StaffSessionAuth()],
    urls_namespace="api",
)


def _json(request: HttpRequest, status: int, detail: str, code: str, fields: dict | None = None):
    return api.create_response(request, error_body(detail, code, fields), status=status)


def _location(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload")]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    fields: dict[str, str] = {}
    for error in exc.errors:
        loc = error.get("loc", ())
        if error.get("type") == "json_invalid" or (loc and loc[-1] == "__root__"):
            return _json(request, 400, "The request body is not valid JSON.", "malformed_json")
        fields.setdefault(_location(loc), error.get("msg", "Invalid value."))
    return _json(request, 422, "Some fields are not valid.", "invalid", fields)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    return _json(
        request, 401, "Authentication required: the token is missing, invalid, expired or revoked.", "not_authenticated"
    )


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    if isinstance(exc, PermissionDenied):
        record_denial(request, exc)
    return _json(request, exc.status, exc.detail, exc.code, exc.fields)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _json(request, 404, "Not found.", "not_found")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if exc.status_code == 400:  # the only 400 django-ninja raises: an unparseable body
        return _json(request, 400, "The request body is not valid JSON.", "malformed_json")
    return _json(request, exc.status_code, str(exc.message), "error")


@api.exception_handler(OperationalError)
def on_database_unavailable(request, exc):
    return _json(request, 503, "The database is temporarily unavailable. Try again shortly.", "unavailable")


@api.exception_handler(DataError)
def on_unstorable_value(request, exc):
    """A value the database refuses (a NUL character, a number out of range) is bad input, not an outage."""
    fields = {name: "Remove the NUL character." for name, value in request.GET.items() if "\x00" in value}
    try:
        if b"\\u0000" in request.body or b"\x00" in request.body:
            fields.setdefault("body", "Remove the NUL character.")
    except RawPostDataException:  # a streamed upload: no body to point at
        pass
    return _json(request, 422, "A value in the request cannot be stored.", "invalid", fields)


@api.exception_handler(DatabaseError)
def on_database_error(request, exc):
    return _json(request, 503, "The request could not be completed. Try again shortly.", "unavailable")


api.add_router("/", accounts_router)
api.add_router("/", patients_router)
api.add_router("/", catalog_router)
api.add_router("/", scheduling_router)
api.add_router("/", booking_router)
api.add_router("/", charting_router)
api.add_router("/", photos_router)
api.add_router("/", consents_router)


DOCS_ROUTES = ("api-root", "openapi-view", "openapi-json")


def _staff_only_in_production(view):
    """The schema and docs are open while developing (DEBUG) and staff-only in production."""
    guarded = login_required(view)

    def wrapper(request, *args, **kwargs):
        return (view if settings.DEBUG else guarded)(request, *args, **kwargs)

    return wrapper


def api_urls():
    """The API's URL patterns, exempt from the page login redirect (the API answers 401)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if getattr(pattern, "name", "") in DOCS_ROUTES:
            pattern.callback = _staff_only_in_production(pattern.callback)
        pattern.callback = login_not_required(pattern.callback)
    return patterns, app_name, namespace
