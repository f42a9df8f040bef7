"""Patient settings pages: tags. The CSV import pages are in `import_views`."""

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
from medspa.patients import selectors, services
from medspa.patients.forms import TagForm
from medspa.patients.views import _only


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
