"""The one route that hands out stored files: `/files/<signed token>/`.

Classified `authenticated_only` because the permission was checked when the URL was
issued (and audited there); this view still wants a signed-in member of the clinic the
token names, so a URL replayed after sign-out, or by another clinic, serves nothing.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.http import content_disposition_header

from medspa.core.access import authenticated_only
from medspa.core.files import open_signed


@authenticated_only
def file_download_view(request: HttpRequest, token: str) -> HttpResponse:
    """The decrypted file, or 404 for an expired, altered or foreign token."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    stored, data = open_signed(actor=getattr(request, "actor", None), token=token)
    response = HttpResponse(data, content_type=stored.content_type)
    response["Content-Length"] = str(len(data))
    response["Content-Disposition"] = content_disposition_header(False, stored.original_name or "file")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
