"""Route-level permission declarations, checked again inside services.

`requires(...)` marks a page view with the permissions that open it (any one of them) and
refuses other actors with 403; the permission-matrix test reads the marks, so every new
route is classified. `authenticated_only` marks routes open to any signed-in staff member.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest

from medspa.core.errors import PermissionDenied

PUBLIC = "public"
AUTHENTICATED = "authenticated"


def requires(*permissions: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            actor = getattr(request, "actor", None)
            if actor is None or not any(actor.can(p) for p in permissions):
                raise PermissionDenied(permission="|".join(permissions))
            return view(request, *args, **kwargs)

        wrapper.required_permissions = tuple(permissions)  # type: ignore[attr-defined]
        return wrapper

    return decorator


def authenticated_only(view: Callable) -> Callable:
    """Any signed-in staff member (with or without a clinic) may open this route."""
    view.access = AUTHENTICATED  # type: ignore[attr-defined]
    return view


def public(view: Callable) -> Callable:
    """No sign-in needed; also exempts the view from LoginRequiredMiddleware."""
    from django.contrib.auth.decorators import login_not_required

    view = login_not_required(view)
    view.access = PUBLIC  # type: ignore[attr-defined]
    return view
