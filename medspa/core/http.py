"""One helper for thin htmx views: a partial for htmx requests, the full page otherwise."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def render_page(
    request: HttpRequest, template: str, context: dict | None = None, *, partial: str | None = None, status: int = 200
) -> HttpResponse:
    """Render `partial` when htmx asked for a fragment and one is given, else the page."""
    htmx = getattr(request, "htmx", None)
    # A history restore (back button after htmx's cache missed) needs the whole page.
    fragment = bool(htmx) and not htmx.boosted and not htmx.history_restore_request
    response = render(request, partial if (partial and fragment) else template, context or {}, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def run_action(request: HttpRequest, action, success: str) -> bool:
    """Run a service for a POST button: a toast on success, the refusal as a toast otherwise.

    Authentication, permission and not-found refusals propagate (403/404 pages, audited).
    """
    from django.contrib import messages

    from medspa.core.errors import DomainError

    try:
        action()
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        messages.error(request, exc.detail)
        return False
    messages.success(request, success)
    return True


def download_response(data: bytes, *, content_type: str, filename: str) -> HttpResponse:
    """A private download (a PDF, an exported photo): an attachment with a sanitised name,
    never sniffed, never cached — it is health data."""
    from django.utils.http import content_disposition_header

    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
