"""The chart's printable PDF as a page route (the API has the same at /api/charts/{id}/pdf)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from medspa.charting import selectors
from medspa.charting.export import chart_pdf
from medspa.core.access import requires
from medspa.core.http import download_response


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    return download_response(data, content_type="application/pdf", filename=filename)


@requires("charting.view")
def chart_pdf_view(request: HttpRequest, chart_id) -> HttpResponse:
    """GET: download the signed chart as a PDF (audited as `chart.exported`); a draft is 409.
    Another clinic's chart is 404 whatever the method, before a wrong method is 405."""
    if request.method not in ("GET", "HEAD"):
        selectors.chart_get(actor=request.actor, chart_id=chart_id, audit="")
        return HttpResponseNotAllowed(["GET", "HEAD"])
    data, filename = chart_pdf(actor=request.actor, chart_id=chart_id)
    return pdf_response(data, filename)
