"""Settings → Import: upload a CSV, watch the check run, review it, import, watch again.

The upload is stored encrypted in a `PatientImport` row (never as a plaintext file: uploads
stay in memory, see FILE_UPLOAD_MAX_MEMORY_SIZE) and a background job checks it. The job
page refreshes its progress partial every second and on the job's live event; "Import"
queues the import of the same stored file, verified by its sha256.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from medspa.core.access import requires
from medspa.core.errors import DomainError
from medspa.core.http import render_page
from medspa.core.views import form_with_errors
from medspa.patients import importing, selectors
from medspa.patients.forms import IMPORT_MAX_BYTES, ImportForm
from medspa.patients.views import _only

log = logging.getLogger(__name__)
PAGE = "patients/settings/import.html"


def _recognised_headers() -> list[tuple[str, str]]:
    return [(field, ", ".join(names)) for field, names in importing.SYNONYMS.items()]


def _page_context(**extra) -> dict:
    return {"tab": "import", "recognised": _recognised_headers(), "max_mb": IMPORT_MAX_BYTES // (1024 * 1024)} | extra


def _queue(job) -> None:
    """Hand the job to the worker; if the queue is unreachable the sweeper runs it later."""
    from medspa.patients.tasks import patient_import_task

    try:
        patient_import_task(str(job.clinic_id), str(job.pk))
    except Exception:
        log.exception("could not queue patient import %s; the sweeper will", job.pk)


def _job_context(actor, job) -> dict:
    problems = (job.report or {}).get("problems", []) if not job.is_active else []
    wanted = {p["duplicate_of"] for p in problems if p.get("duplicate_of")}
    known = selectors.patients_for(actor).filter(pk__in=wanted).values_list("pk", flat=True) if wanted else []
    return {
        "job": job,
        "problems": problems,
        "problems_hidden": (job.report or {}).get("hidden", 0),
        "known_ids": {str(pk) for pk in known},
        "live_event": importing.live_event_name(job.pk),
    }


def _job_response(request: HttpRequest, job, *, status: int = 200, error: str = "") -> HttpResponse:
    """The job panel for htmx (with the job's address pushed to the history), else the page."""
    if not getattr(request, "htmx", None) and request.method == "POST" and not error:
        return redirect("settings_import_job", import_id=job.pk)
    context = _page_context(**_job_context(request.actor, job), error=error)
    response = render_page(request, PAGE, context, partial="patients/settings/partials/import_job.html", status=status)
    if request.method == "POST" and not error:
        response["HX-Push-Url"] = reverse("settings_import_job", args=[job.pk])
    return response


@requires("patients.edit")
def settings_import_view(request: HttpRequest) -> HttpResponse:
    """GET: the upload form and the clinic's recent imports. POST: store the file and queue
    its check (nothing is written to patients); a file we cannot read is an inline error."""
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    actor = request.actor
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = importing.import_job_start(
                actor=actor, content=upload.read(), source_name=upload.name, mapping=form.cleaned_data["mapping"]
            )
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            form_with_errors(form, exc)
        else:
            _queue(job)
            return _job_response(request, importing.import_job_get(actor=actor, import_id=job.pk))
    context = _page_context(form=form, recent=importing.import_jobs_recent(actor=actor))
    return render_page(
        request,
        PAGE,
        context,
        partial="patients/settings/partials/import_panel.html",
        status=422 if form.errors else 200,
    )


@requires("patients.edit")
def settings_import_job_view(request: HttpRequest, import_id) -> HttpResponse:
    """GET: the job's progress, report or result (htmx polls the partial while it runs).
    POST: import the checked file; `digest` must be the sha256 shown with the report."""
    actor = request.actor
    job = importing.import_job_get(actor=actor, import_id=import_id)
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    if request.method != "POST":
        return _job_response(request, job)
    try:
        job = importing.import_job_commit(actor=actor, import_id=job.pk, sha256=request.POST.get("digest", ""))
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        message = "; ".join(str(v) for v in exc.fields.values()) or exc.detail
        return _job_response(request, job, status=exc.status, error=message)
    _queue(job)
    return _job_response(request, importing.import_job_get(actor=actor, import_id=job.pk))
