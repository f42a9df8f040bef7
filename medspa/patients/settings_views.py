"""Patient settings pages: tags, and the CSV import (check first, then import).

The import never stores the uploaded file: it is read from memory (FILE_UPLOAD_MAX_MEMORY_SIZE
keeps uploads off the disk), checked, and forgotten. To import, the same file is chosen again
and must have the sha256 of the file that was checked, so what is imported is what was reviewed.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from medspa.core.access import requires
from medspa.core.errors import DomainError
from medspa.core.http import render_page
from medspa.core.views import form_with_errors
from medspa.patients import importing, selectors, services
from medspa.patients.forms import ImportForm, TagForm
from medspa.patients.views import _only

# A 50k-row file has many problem rows; the page lists the first ones and counts the rest.
PROBLEM_ROWS_SHOWN = 500


@requires("patients.edit")
def settings_tags_view(request: HttpRequest) -> HttpResponse:
    """The clinic's tags with their patient counts, and a form to add one."""
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    actor = request.actor
    form = TagForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                tag = services.tag_create(actor=actor, name=form.cleaned_data["name"], color=form.cleaned_data["color"])
            except DomainError as exc:
                if exc.status in (401, 403, 404):
                    raise
                form_with_errors(form, exc)
            else:
                messages.success(request, f"Tag “{tag.name}” added.")
                return redirect("settings_tags")
        status = 422
    tags = selectors.tag_list_with_counts(actor=actor)
    return render_page(
        request, "patients/settings/tags.html", {"form": form, "tags": tags, "tab": "tags"}, status=status
    )


def _known_ids(actor, problems) -> set[str]:
    """Which "duplicate of" ids are saved profiles (in a dry run, the first of two rows of
    the same person in one file is not saved yet, so it gets no link)."""
    wanted = {r.duplicate_of for r in problems if r.duplicate_of}
    found = selectors.patients_for(actor).filter(pk__in=wanted).values_list("pk", flat=True)
    return {str(pk) for pk in found}


def _recognised_headers() -> list[tuple[str, str]]:
    return [(field, ", ".join(names)) for field, names in importing.SYNONYMS.items()]


@requires("patients.edit")
def settings_import_view(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST: check the file (a dry run that writes nothing) and show the
    report; POST with step=import and the checked file's digest: import the new rows."""
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    actor = request.actor
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "tab": "import", "recognised": _recognised_headers(), "max_mb": 20}
    if request.method != "POST":
        return render_page(request, "patients/settings/import.html", context)
    committing = request.POST.get("step") == "import"
    report = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            headers, rows, digest = importing.read_csv(upload.read())
            if committing and form.cleaned_data["digest"] != digest:
                form.add_error("file", "This is not the file that was checked. Check it again before importing.")
            else:
                report = importing.import_patients(
                    actor=actor,
                    rows=rows,
                    headers=headers,
                    mapping=form.cleaned_data["mapping"],
                    dry_run=not committing,
                    source_name=upload.name[:200],
                    digest=digest,
                )
        except DomainError as exc:
            if exc.status in (401, 403, 404):
                raise
            form_with_errors(form, exc)
        else:
            if report is not None:
                problems = [r for r in report.rows if r.status != "new"][:PROBLEM_ROWS_SHOWN]
                context |= {
                    "report": report,
                    "digest": digest,
                    "new_count": report.count("new"),
                    "existing_count": report.count("existing"),
                    "error_count": report.count("error"),
                    "problems": problems,
                    "known_ids": _known_ids(actor, problems),
                    "problems_hidden": max(0, len(report.rows) - report.count("new") - PROBLEM_ROWS_SHOWN),
                    "mapping_text": request.POST.get("mapping", ""),
                }
    status = 422 if form.errors else 200
    return render_page(
        request,
        "patients/settings/import.html",
        context,
        partial="patients/settings/partials/import_panel.html",
        status=status,
    )
