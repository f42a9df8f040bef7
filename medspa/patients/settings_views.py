"""Patient settings pages: tags, and the CSV import (check first, then import).

The import never stores the uploaded file: it is read from memory (FILE_UPLOAD_MAX_MEMORY_SIZE
keeps uploads off the disk), checked, and forgotten. To import, the same file is chosen again
and must have the sha256 of the file that was checked, so what is imported is what was reviewed.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize

from medspa.core.access import requires
from medspa.core.errors import DomainError, NotFound
from medspa.core.http import render_page
from medspa.core.views import form_with_errors
from medspa.patients import importing, selectors, services
from medspa.patients.forms import ImportForm, TagForm
from medspa.patients.views import _only

# A 50k-row file has many problem rows; the page lists the first ones and counts the rest.
PROBLEM_ROWS_SHOWN = 500


def _save_tag(request: HttpRequest, form: TagForm, save, success: str) -> HttpResponse | None:
    """On a POST with a valid form, run `save(actor=, name=, color=)`: back to the tag list
    with a toast, or None with the refusal on the form (permission and not-found propagate)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        tag = save(actor=request.actor, name=form.cleaned_data["name"], color=form.cleaned_data["color"])
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        form_with_errors(form, exc)
        return None
    messages.success(request, success.format(tag.name))
    return redirect("settings_tags")


def _status(request: HttpRequest) -> int:
    # A POST that reaches the page again was refused (a saved one redirects).
    return 422 if request.method == "POST" else 200


@requires("patients.edit")
def settings_tags_view(request: HttpRequest) -> HttpResponse:
    """The clinic's tags with their patient counts, and a form to add one."""
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    actor = request.actor
    form = TagForm(request.POST or None)
    if done := _save_tag(request, form, services.tag_create, "Tag “{}” added."):
        return done
    tags = selectors.tag_list_with_counts(actor=actor)
    return render_page(
        request, "patients/settings/tags.html", {"form": form, "tags": tags, "tab": "tags"}, status=_status(request)
    )


def _tag_with_count(actor, tag_id):
    """The clinic's tag with its `patient_count`, or 404 (another clinic's tag looks missing)."""
    tag = selectors.tag_list_with_counts(actor=actor).filter(pk=tag_id).first()
    if tag is None:
        raise NotFound()
    return tag


@requires("patients.edit")
def settings_tag_edit_view(request: HttpRequest, tag_id) -> HttpResponse:
    """Rename or recolour a tag; a name already used in the clinic is an inline error."""
    actor = request.actor
    tag = _tag_with_count(actor, tag_id)
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    form = TagForm(request.POST or None, initial={"name": tag.name, "color": tag.color})
    if done := _save_tag(request, form, partial(services.tag_update, tag_id=tag.pk), "Tag “{}” saved."):
        return done
    return render_page(
        request, "patients/settings/tag_edit.html", {"form": form, "tag": tag, "tab": "tags"}, status=_status(request)
    )


@requires("patients.edit")
def settings_tag_delete_view(request: HttpRequest, tag_id) -> HttpResponse:
    """GET: how many patients carry the tag, and a confirm button. POST: delete it."""
    actor = request.actor
    tag = _tag_with_count(actor, tag_id)
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    if request.method == "POST":
        untagged = services.tag_delete(actor=actor, tag_id=tag.pk)
        messages.success(request, f"Tag “{tag.name}” deleted and taken off {untagged} patient{pluralize(untagged)}.")
        return redirect("settings_tags")
    return render_page(request, "patients/settings/tag_delete.html", {"tag": tag, "tab": "tags"})


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
