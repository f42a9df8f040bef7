"""Patient pages and htmx partials: list and search, create, profile with tabs, quick edit.

Thin like the API: parse, call a selector or service, render. Permissions are marked per
route with `requires(...)` and enforced again by the services and selectors.
"""

from __future__ import annotations

import json
import uuid
from functools import cache, partial, wraps

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect
from django.urls import reverse

from medspa.core.access import requires
from medspa.core.errors import Conflict, DomainError, InvalidInput, NotFound
from medspa.core.http import render_page
from medspa.core.views import form_with_errors
from medspa.patients import selectors, services
from medspa.patients.forms import (
    CommunicationForm,
    ContactForm,
    PatientFilterForm,
    PatientForm,
    RelationshipForm,
)
from medspa.patients.tabs import hidden_tabs, registered_tab

PAGE_SIZE = 25
TIMELINE_PAGE = 30
FAMILY_PICKER_LIMIT = 8
# Tabs of the profile, in order: (key, label, icon). The later ones belong to modules that
# are not built yet and show an honest empty state.
TABS = (
    ("overview", "Overview", "user"),
    ("timeline", "Timeline", "history"),
    ("communications", "Communications", "chat"),
    ("family", "Family", "users"),
    ("appointments", "Appointments", "calendar"),
    ("charts", "Charts", "clipboard"),
    ("photos", "Photos", "sparkles"),
    ("consents", "Consents", "shield"),
    ("billing", "Billing", "card"),
)
TAB_LABELS = {key: label for key, label, _ in TABS}
UNBUILT_TABS = {
    "appointments": "Appointment history and upcoming bookings will appear here once scheduling is available.",
    "charts": "Treatment charts and sign-off will appear here once charting is available.",
    "photos": "Clinical photos and comparisons will appear here once photos are available.",
    "consents": "Signed intake forms and consents will appear here once consents are available.",
    "billing": "Invoices, payments and balances will appear here once checkout is available.",
}


def _reraise_access(exc: DomainError) -> None:
    if exc.status in (401, 403, 404):
        raise exc


class MergedRedirect(Exception):
    """A GET asked for a merged-away profile: carry the survivor's id to `_follow_merges`."""

    def __init__(self, survivor_id):
        self.survivor_id = survivor_id
        super().__init__(str(survivor_id))


def _load(request: HttpRequest, patient_id):
    """The profile, or 404; GETs of a merged profile are sent on to the survivor (via
    `MergedRedirect`)."""
    try:
        return selectors.patient_get(actor=request.actor, patient_id=patient_id)
    except NotFound:
        if request.method == "GET":
            survivor = selectors.merged_survivor_id(actor=request.actor, patient_id=patient_id)
            if survivor:
                raise MergedRedirect(survivor) from None
        raise


def _follow_merges(view):
    """Redirect a GET of a merged-away profile to the same page of the surviving one."""

    @wraps(view)
    def wrapper(request: HttpRequest, patient_id, *args, **kwargs):
        try:
            return view(request, patient_id, *args, **kwargs)
        except MergedRedirect as merged:
            name = request.resolver_match.url_name if request.resolver_match else "patient_detail"
            return redirect(name, patient_id=merged.survivor_id)

    return wrapper


def _hx_trigger(response: HttpResponse, level: str, message: str) -> HttpResponse:
    response["HX-Trigger"] = json.dumps({"toast": {"level": level, "message": message}})
    return response


def _only(request: HttpRequest, *methods: str) -> HttpResponse | None:
    """405 for other methods — checked after the profile loaded, so another clinic's
    profile is a 404 whatever the method."""
    return None if request.method in methods else HttpResponseNotAllowed(methods)


def _tags(actor):
    return list(selectors.tag_list(actor=actor))


# List ---------------------------------------------------------------------------------


# Filters a list URL may carry. The search text never does: it holds names, phone numbers
# and dates of birth, and URLs end up in history, proxies and logs (PRIV-5), so it is POSTed.
URL_FILTERS = ("status", "tag", "created_from", "created_to")


@requires("patients.view")
def patients_list_view(request: HttpRequest) -> HttpResponse:
    """Search-as-you-type list with filters; "Load more" pages by offset.

    GET opens the list with the URL filters; the search form and "Load more" POST (the
    search text in the body). htmx gets the results partial and the URL of the filters."""
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    actor = request.actor
    tags = _tags(actor)
    if request.method == "POST":
        data = request.POST
    else:
        data = QueryDict(mutable=True)
        for name in (*URL_FILTERS, "offset"):
            data.setlist(name, request.GET.getlist(name))
    form = PatientFilterForm(data or None, tags=tags)
    filters = form.cleaned_data if form.is_valid() else {}
    offset = filters.get("offset") or 0
    patients, has_more = selectors.patient_search(
        actor=actor,
        q=filters.get("q", ""),
        status=filters.get("status", ""),
        tag=filters.get("tag", ""),
        created_from=filters.get("created_from"),
        created_to=filters.get("created_to"),
        offset=offset,
        limit=PAGE_SIZE,
    )
    carry = [(name, data[name]) for name in ("q", *URL_FILTERS) if filters.get(name)]
    filtered = any(v for k, v in filters.items() if k != "offset")
    context = {
        "form": form,
        "patients": patients,
        "has_more": has_more,
        "next_offset": offset + PAGE_SIZE,
        "offset": offset,
        "carry": carry,
        "filtered": filtered,
        "can_edit": actor.can("patients.edit"),
    }
    partial = "patients/partials/patient_rows.html" if offset else "patients/partials/patient_results.html"
    response = render_page(request, "patients/list.html", context, partial=partial)
    if request.method == "POST" and getattr(request, "htmx", None) and not offset:
        query = QueryDict(mutable=True)
        for name, value in carry:
            if name in URL_FILTERS:
                query[name] = value
        response["HX-Push-Url"] = reverse("patients_list") + (f"?{query.urlencode()}" if query else "")
    return response


# Create and edit ----------------------------------------------------------------------


@requires("patients.edit")
def patient_create_view(request: HttpRequest) -> HttpResponse:
    """The new-profile form: a page, or the modal body on the list (htmx)."""
    actor = request.actor
    clinical = actor.can("patients.view_clinical")
    form = PatientForm(request.POST or None, tags=_tags(actor), clinical=clinical)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(actor=actor, data=form.service_data())
        except DomainError as exc:
            _reraise_access(exc)
            form_with_errors(form, exc)
        else:
            messages.success(request, f"{patient.display_name} added.")
            url = reverse("patient_detail", kwargs={"patient_id": patient.pk}) + "?created=1"
            if getattr(request, "htmx", None):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
    in_modal = bool(getattr(request, "htmx", None)) and not request.htmx.boosted
    status = 422 if form.errors and in_modal else 200
    return render_page(
        request,
        "patients/create.html",
        {"form": form, "in_modal": in_modal},
        partial="patients/partials/patient_form.html",
        status=status,
    )


@requires("patients.edit")
@_follow_merges
def patient_edit_view(request: HttpRequest, patient_id) -> HttpResponse:
    actor = request.actor
    patient = _load(request, patient_id)
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    clinical = actor.can("patients.view_clinical")
    tags = _tags(actor)
    if request.method == "POST":
        form = PatientForm(request.POST, tags=tags, clinical=clinical)
    else:
        form = PatientForm(initial=PatientForm.initial_for(patient), tags=tags, clinical=clinical)
    status = 200
    if request.method == "POST" and form.is_valid() and form.cleaned_data["version"] is None:
        # Without the version the form was opened at, a save could silently overwrite.
        form.add_error(None, "This form is missing its version; reload the page and try again.")
    elif request.method == "POST" and form.is_valid():
        try:
            services.patient_update(
                actor=actor, patient_id=patient.pk, data=form.service_data(), version=form.cleaned_data["version"]
            )
        except Conflict as exc:
            form.add_error(None, f"{exc.detail} (Your changes were not saved.)")
            status = 409
        except DomainError as exc:
            _reraise_access(exc)
            form_with_errors(form, exc)
        else:
            messages.success(request, "Profile saved.")
            return redirect("patient_detail", patient_id=patient.pk)
    return render_page(request, "patients/edit.html", {"form": form, "patient": patient}, status=status)


# Profile and tabs ---------------------------------------------------------------------


def _profile_context(request: HttpRequest, patient, tab: str) -> dict:
    actor = request.actor
    return {
        "patient": patient,
        # Evaluated (and audited) only when a template shows the header photo, once.
        "photo_url": cache(partial(services.patient_photo_url, actor=actor, patient=patient)),
        "photo_max_mb": settings.FILE_MAX_UPLOAD_BYTES // (1024 * 1024),
        "tab": tab,
        "tabs": [t for t in TABS if t[0] not in hidden_tabs(actor)],
        "tab_template": f"patients/partials/tab_{'unavailable' if tab in UNBUILT_TABS else tab}.html",
        "can_edit": actor.can("patients.edit"),
        "can_view_clinical": actor.can("patients.view_clinical"),
        "can_merge": actor.can("patients.merge"),
        "resembles": cache(partial(_resembles, actor, patient)),
    }


def _resembles(actor, patient):
    """The live profile an online booking's new profile looks like (to review and merge),
    or None."""
    if not patient.possible_duplicate_of_id:
        return None
    return selectors.patients_for(actor).filter(pk=patient.possible_duplicate_of_id).first()


def _render_tab(request: HttpRequest, patient, tab: str, extra: dict, *, status: int = 200) -> HttpResponse:
    context = _profile_context(request, patient, tab) | extra
    return render_page(
        request, "patients/detail.html", context, partial=f"patients/partials/tab_{tab}.html", status=status
    )


def _overview_extra(request: HttpRequest, patient) -> dict:
    duplicates = []
    if request.GET.get("created"):
        duplicates = selectors.patient_duplicates_of(actor=request.actor, patient=patient)
    return {"duplicates": duplicates}


@requires("patients.view")
@_follow_merges
def patient_detail_view(request: HttpRequest, patient_id) -> HttpResponse:
    """The profile: header with safety alerts, and the Overview tab."""
    patient = _load(request, patient_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    return _render_tab(request, patient, "overview", _overview_extra(request, patient))


@requires("patients.view")
@_follow_merges
def patient_timeline_view(request: HttpRequest, patient_id) -> HttpResponse:
    patient = _load(request, patient_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    try:
        offset = max(0, int(request.GET.get("offset") or 0))
    except ValueError:
        offset = 0
    entries, has_more = selectors.patient_timeline(
        actor=request.actor, patient_id=patient.pk, offset=offset, limit=TIMELINE_PAGE
    )
    extra = {"entries": entries, "has_more": has_more, "next_offset": offset + TIMELINE_PAGE, "offset": offset}
    if offset and getattr(request, "htmx", None):
        context = _profile_context(request, patient, "timeline") | extra
        return render_page(request, "patients/partials/timeline_entries.html", context)
    return _render_tab(request, patient, "timeline", extra)


def _communications_extra(request: HttpRequest, patient, form=None) -> dict:
    entries = list(selectors.patient_communications(actor=request.actor, patient_id=patient.pk)[:50])
    return {"communications": entries, "communication_form": form or CommunicationForm()}


@requires("patients.view")
@_follow_merges
def patient_communications_view(request: HttpRequest, patient_id) -> HttpResponse:
    """The communications log tab."""
    patient = _load(request, patient_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    return _render_tab(request, patient, "communications", _communications_extra(request, patient))


@requires("patients.edit")
def patient_communication_create_view(request: HttpRequest, patient_id) -> HttpResponse:
    """Log a call, text, email, desk visit or note; answers with the refreshed tab."""
    patient = _load(request, patient_id)
    if refused := _only(request, "POST"):
        return refused
    form = CommunicationForm(request.POST)
    if form.is_valid():
        try:
            services.communication_create(actor=request.actor, patient_id=patient.pk, **form.cleaned_data)
        except DomainError as exc:
            _reraise_access(exc)
            form_with_errors(form, exc)
        else:
            if not getattr(request, "htmx", None):
                messages.success(request, "Logged.")
                return redirect("patient_communications", patient_id=patient.pk)
            response = _render_tab(request, patient, "communications", _communications_extra(request, patient))
            return _hx_trigger(response, "success", "Logged.")
    extra = _communications_extra(request, patient, form)
    return _render_tab(request, patient, "communications", extra, status=422)


def _family_extra(request: HttpRequest, patient, form=None) -> dict:
    links = list(selectors.patient_relationships(actor=request.actor, patient_id=patient.pk))
    return {"relationships": links, "relationship_form": form or RelationshipForm()}


@requires("patients.view")
@_follow_merges
def patient_family_view(request: HttpRequest, patient_id) -> HttpResponse:
    patient = _load(request, patient_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    return _render_tab(request, patient, "family", _family_extra(request, patient))


@requires("patients.edit")
def patient_family_search_view(request: HttpRequest, patient_id) -> HttpResponse:
    """Profiles to pick for a family link: a radio list for the add form. The typed name is
    POSTed so it never appears in a URL or an access log."""
    patient = _load(request, patient_id)
    if refused := _only(request, "POST"):
        return refused
    q = (request.POST.get("q") or "").strip()[:100]
    candidates: list = []
    if q:
        found, _ = selectors.patient_search(actor=request.actor, q=q, limit=FAMILY_PICKER_LIMIT + 1)
        candidates = [p for p in found if p.pk != patient.pk][:FAMILY_PICKER_LIMIT]
    return render_page(
        request,
        "patients/partials/family_candidates.html",
        {"patient": patient, "candidates": candidates, "q": q},
    )


@requires("patients.edit")
def patient_relationship_create_view(request: HttpRequest, patient_id) -> HttpResponse:
    patient = _load(request, patient_id)
    if refused := _only(request, "POST"):
        return refused
    form = RelationshipForm(request.POST)
    if form.is_valid():
        try:
            services.relationship_create(
                actor=request.actor,
                patient_id=patient.pk,
                related_id=form.cleaned_data["related_id"],
                kind=form.cleaned_data["kind"],
            )
        except NotFound:
            form.add_error("related_id", "That profile could not be found.")
        except DomainError as exc:
            _reraise_access(exc)
            form_with_errors(form, exc)
        else:
            if not getattr(request, "htmx", None):
                messages.success(request, "Family link added.")
                return redirect("patient_family", patient_id=patient.pk)
            return _hx_trigger(
                _render_tab(request, patient, "family", _family_extra(request, patient)),
                "success",
                "Family link added.",
            )
    return _render_tab(request, patient, "family", _family_extra(request, patient, form), status=422)


@requires("patients.edit")
def patient_relationship_delete_view(request: HttpRequest, patient_id) -> HttpResponse:
    """Remove the link (both directions) to the profile named by `related_id`."""
    patient = _load(request, patient_id)
    if refused := _only(request, "POST"):
        return refused
    try:
        related_id = uuid.UUID(request.POST.get("related_id", ""))
    except ValueError:
        raise NotFound() from None
    services.relationship_delete(actor=request.actor, patient_id=patient.pk, related_id=related_id)
    if not getattr(request, "htmx", None):
        messages.success(request, "Family link removed.")
        return redirect("patient_family", patient_id=patient.pk)
    return _hx_trigger(
        _render_tab(request, patient, "family", _family_extra(request, patient)), "success", "Family link removed."
    )


@requires("patients.view")
@_follow_merges
def patient_tab_unavailable_view(request: HttpRequest, patient_id, tab: str) -> HttpResponse:
    """Appointments, charts, photos, consents, billing: the content another module registered
    (patients.tabs), or, while the module is not built, an honest empty state."""
    patient = _load(request, patient_id)
    if refused := _only(request, "GET", "HEAD"):
        return refused
    if registered := registered_tab(tab):
        context = _profile_context(request, patient, tab) | {"tab_html": registered.render(request, patient)}
        context["tab_template"] = "patients/partials/tab_registered.html"
        return render_page(request, "patients/detail.html", context, partial=context["tab_template"])
    label = TAB_LABELS[tab]
    extra = {"unavailable_title": f"{label} not available yet", "unavailable_message": UNBUILT_TABS[tab]}
    context = _profile_context(request, patient, tab) | extra
    return render_page(request, "patients/detail.html", context, partial="patients/partials/tab_unavailable.html")


# Quick edit of contact details --------------------------------------------------------


@requires("patients.edit")
def patient_contact_edit_view(request: HttpRequest, patient_id) -> HttpResponse:
    """GET: the contact form (swapped over the contact card). PATCH/POST: save it with the
    version the form was opened at; a stale version is a 409 with a reload message."""
    patient = _load(request, patient_id)
    if refused := _only(request, "GET", "HEAD", "POST", "PATCH"):
        return refused
    htmx = bool(getattr(request, "htmx", None))
    if request.method in ("GET", "HEAD"):
        form = ContactForm(initial=ContactForm.initial_for(patient))
        return _contact_response(request, patient, form)
    data = request.POST if request.method == "POST" else QueryDict(request.body)
    form = ContactForm(data)
    if not form.is_valid():
        return _contact_response(request, patient, form, status=422)
    try:
        patient = services.patient_update(
            actor=request.actor, patient_id=patient.pk, data=form.service_data(), version=form.cleaned_data["version"]
        )
    except Conflict:
        form.add_error(None, "This profile was changed by someone else. Reload to see the latest details.")
        return _contact_response(request, patient, form, status=409, stale=True)
    except InvalidInput as exc:
        form_with_errors(form, exc)
        return _contact_response(request, patient, form, status=422)
    except DomainError as exc:
        _reraise_access(exc)
        form_with_errors(form, exc)
        return _contact_response(request, patient, form, status=exc.status)
    if not htmx:
        messages.success(request, "Contact details saved.")
        return redirect("patient_detail", patient_id=patient.pk)
    patient = selectors.patient_get(actor=request.actor, patient_id=patient.pk)
    context = _profile_context(request, patient, "overview")
    response = render_page(request, "patients/partials/contact_card.html", context)
    return _hx_trigger(response, "success", "Contact details saved.")


def _contact_response(request, patient, form, *, status: int = 200, stale: bool = False) -> HttpResponse:
    extra = {"contact_form": form, "stale": stale}
    if getattr(request, "htmx", None):
        context = _profile_context(request, patient, "overview") | extra
        return render_page(request, "patients/partials/contact_form.html", context, status=status)
    extra |= _overview_extra(request, patient)
    context = _profile_context(request, patient, "overview") | extra
    return render_page(request, "patients/detail.html", context, status=status)


# Profile photo ------------------------------------------------------------------------

PHOTO_PARTIAL = "patients/partials/photo.html"


def _photo_response(request: HttpRequest, patient, *, error: str = "", message: str = "") -> HttpResponse:
    """The header photo block (htmx) or, without htmx, the profile page (error) or a redirect."""
    htmx = getattr(request, "htmx", None)
    if not error and not htmx:
        messages.success(request, message)
        return redirect("patient_detail", patient_id=patient.pk)
    status = 422 if error else 200
    if htmx:
        context = _profile_context(request, patient, "overview") | {"photo_error": error}
        response = render_page(request, PHOTO_PARTIAL, context, status=status)
        return _hx_trigger(response, "success", message) if message else response
    extra = _overview_extra(request, patient) | {"photo_error": error}
    return _render_tab(request, patient, "overview", extra, status=status)


@requires("patients.edit")
def patient_photo_view(request: HttpRequest, patient_id) -> HttpResponse:
    """POST an image (`photo`) to set or replace the profile photo; errors show inline."""
    patient = _load(request, patient_id)
    if refused := _only(request, "POST"):
        return refused
    replacing = bool(patient.photo_id)
    try:
        upload = request.FILES.get("photo")
        patient = services.patient_photo_set(actor=request.actor, patient_id=patient.pk, upload=upload)
    except InvalidInput as exc:
        error = exc.fields.get("photo") or exc.detail
        return _photo_response(request, patient, error=error)
    patient = selectors.patient_get(actor=request.actor, patient_id=patient.pk)
    return _photo_response(request, patient, message="Photo replaced." if replacing else "Photo added.")


@requires("patients.edit")
def patient_photo_remove_view(request: HttpRequest, patient_id) -> HttpResponse:
    """POST: take the photo off the profile (kept, soft-deleted, for the record)."""
    patient = _load(request, patient_id)
    if refused := _only(request, "POST"):
        return refused
    services.patient_photo_remove(actor=request.actor, patient_id=patient.pk)
    patient = selectors.patient_get(actor=request.actor, patient_id=patient.pk)
    return _photo_response(request, patient, message="Photo removed.")
