"""Auth endpoints of the API: issue and revoke tokens, and who am I."""

from django.http import HttpRequest, JsonResponse
from ninja import Router, Status

from medspa.accounts import services
from medspa.accounts.schemas import MeOut, TokenIn, TokenOut
from medspa.core.errors import NotAuthenticated

router = Router(tags=["auth"])


@router.post("/auth/token", auth=None, response=TokenOut, openapi_extra={"x-access": "public"})
def token_create(request: HttpRequest, payload: TokenIn):
    issued = services.token_issue(
        request=request, email=payload.email, password=payload.password, clinic_slug=payload.clinic, otp=payload.otp
    )
    return {
        "token": issued.raw,
        "expires_at": issued.token.expires_at,
        "clinic": issued.token.clinic.slug,
        "role": issued.role,
    }


@router.post("/auth/logout", response={204: None}, openapi_extra={"x-access": "authenticated"})
def token_logout(request: HttpRequest):
    token = getattr(request, "api_token", None)
    if token is None:
        raise NotAuthenticated("Only API tokens can be revoked here; sign out of the web app instead.")
    services.token_revoke(actor=request.auth, token=token)
    return Status(204, None)


@router.get("/me", response=MeOut, openapi_extra={"x-access": "authenticated"})
def me(request: HttpRequest):
    """Who is calling: user, clinic, role and the sorted permission names.

    Built from trusted server data, so it skips per-response schema validation (hot path);
    a test checks the body against `MeOut`.
    """
    actor = request.auth
    user, clinic = actor.user, actor.clinic
    return JsonResponse(
        {
            "user": {
                "id": str(user.pk),
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
            },
            "clinic": {
                "id": str(clinic.pk),
                "slug": clinic.slug,
                "name": clinic.name,
                "timezone": clinic.timezone,
                "currency": clinic.currency,
            },
            "role": actor.role,
            "permissions": sorted(actor.permissions),
        }
    )
