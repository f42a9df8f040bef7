"""API authentication: bearer tokens for clients, the staff session for browser calls."""

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from medspa.accounts.models import ApiToken
from medspa.accounts.selectors import actor_for_token
from medspa.core.audit import audit_record
from medspa.core.choices import AuditOutcome
from medspa.core.errors import PermissionDenied


def _authorize(actor, permissions: tuple[str, ...]):
    """Route-level check, before the body is parsed or any record is loaded (AUTHZ-3)."""
    if permissions and not any(actor.can(p) for p in permissions):
        raise PermissionDenied(permission="|".join(permissions))
    return actor


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the token acts only in its own clinic."""

    def __init__(self, permissions: tuple[str, ...] = ()):
        super().__init__()
        self.permissions = permissions

    def authenticate(self, request, token):
        found = actor_for_token(token)
        if found is None:
            audit_record(
                action="auth.token_rejected",
                outcome=AuditOutcome.FAILURE,
                summary=f"{request.method} {request.path}"[:200],
                changes={"prefix": token[:8]},
            )
            return None
        actor, api_token = found
        if api_token.last_used_at is None or (timezone.now() - api_token.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
        request.actor = actor
        request.api_token = api_token
        return _authorize(actor, self.permissions)


class StaffSessionAuth(SessionAuth):
    """The browser's session (CSRF-checked); the actor comes from ActorMiddleware."""

    def __init__(self, permissions: tuple[str, ...] = ()):
        super().__init__(csrf=True)
        self.permissions = permissions

    def authenticate(self, request, key):
        actor = getattr(request, "actor", None)
        if actor is None or not request.user.is_authenticated:
            return None
        return _authorize(actor, self.permissions)


def needs(*permissions: str) -> dict:
    """Operation options for a route open to actors holding any of `permissions`.

    Checked right after authentication (403 + audit), and published in the OpenAPI
    schema as `x-permissions` for the generated access tests.
    """
    return {
        "auth": [BearerTokenAuth(permissions), StaffSessionAuth(permissions)],
        "openapi_extra": {"x-permissions": list(permissions)},
    }
