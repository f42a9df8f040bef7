"""Attach the staff actor to WebSocket connections, as ActorMiddleware does for HTTP."""

from channels.db import database_sync_to_async

from medspa.accounts.selectors import actor_for_user
from medspa.accounts.sessions import ACTIVE_CLINIC_KEY, session_is_current


class ActorWebSocketMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        scope["actor"] = await self._actor(scope)
        return await self.app(scope, receive, send)

    @staticmethod
    @database_sync_to_async
    def _actor(scope):
        user = scope.get("user")
        session = scope.get("session")
        if user is None or not user.is_authenticated or session is None or not session_is_current(session, user):
            return None
        actor, _ = actor_for_user(user, session.get(ACTIVE_CLINIC_KEY))
        return actor
