"""API authentication: bearer tokens for clients, the staff session for browser calls."""

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from medspa.accounts.models import ApiToken
from medspa.accounts.selectors import actor_for_token
from medspa.core.audit import audit_record
from medspa.core.choices import AuditOutcome


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the token acts only in its own clinic."""

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
        return actor


class StaffSessionAuth(SessionAuth):
    """The browser's session (CSRF-checked); the actor comes from ActorMiddleware."""

    def authenticate(self, request, key):
        actor = getattr(request, "actor", None)
        if actor is None or not request.user.is_authenticated:
            return None
        return actor
