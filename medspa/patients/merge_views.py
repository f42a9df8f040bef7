"""The merge wizard: pick a duplicate, choose which value of each differing field survives,
confirm. The profile the wizard starts from is the survivor; the duplicate is folded into it.
The compare step can swap the two ("keep the other profile instead"), keeping the values ticked.

Thin like views.py: `services.patient_merge` checks everything again (permission, clinic,
self-merge, already merged, clinical fields).
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from medspa.core.access import requires
from medspa.core.errors import Conflict, DomainError, NotFound
from medspa.core.http import render_page
from medspa.patients import selectors, services
from medspa.patients.models import Patient
from medspa.patients.views import MergedRedirect, _follow_merges, _load, _only

PICK_LIMIT = 10
CHOICES = ("survivor", "duplicate")
SWAPPED = {"survivor": "duplicate", "duplicate": "survivor"}


def _display(patient: Patient, name: str) -> str:
    value = getattr(patient, name)
    if value in (None, "", []):
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if Patient._meta.get_field(name).choices:
        return getattr(patient, f"get_{name}_display")()
    return str(value)


def _differences(actor, survivor: Patient, duplicate: Patient) -> list[dict]:
    """The mergeable fields this actor may see whose values differ between the two profiles."""
    hidden = selectors.hidden_fields(actor)
    rows = []
    for name in services.MERGEABLE_FIELDS:
        if name in hidden or getattr(survivor, name) == getattr(duplicate, name):
            continue
        rows.append(
            {
                "name": name,
                "label": str(Patient._meta.get_field(name).verbose_name).capitalize(),
                "survivor": _display(survivor, name),
                "duplicate": _display(duplicate, name),
                "clinical": name in services.CLINICAL_FIELDS,
            }
        )
    return rows


def _choices(request: HttpRequest, rows: list[dict]) -> dict[str, str]:
    """{field: "survivor"|"duplicate"} from the radios; anything else stays with the survivor."""
    picked = {}
    for row in rows:
        choice = request.POST.get(f"field_{row['name']}", "survivor")
        picked[row["name"]] = choice if choice in CHOICES else "survivor"
    return picked


def _pick_context(request: HttpRequest, survivor: Patient) -> dict:
    # The search text comes only from a POST body: names stay out of URLs and access logs.
    q = (request.POST.get("q") or "").strip()[:100] if request.method == "POST" else ""
    likely = selectors.patient_duplicates_of(actor=request.actor, patient=survivor)
    likely_ids = {p.pk for p, _ in likely}
    results: list = []
    if q:
        found, _ = selectors.patient_search(actor=request.actor, q=q, limit=PICK_LIMIT + 1)
        results = [p for p in found if p.pk != survivor.pk and p.pk not in likely_ids][:PICK_LIMIT]
    return {"patient": survivor, "likely": likely, "results": results, "q": q}


def _refuse(request: HttpRequest, survivor: Patient, message: str, status: int) -> HttpResponse:
    context = _pick_context(request, survivor) | {"error": message}
    return render_page(request, "patients/merge/pick.html", context, status=status)


@requires("patients.merge")
@_follow_merges
def patient_merge_pick_view(request: HttpRequest, patient_id) -> HttpResponse:
    """Step 1: likely duplicates first, then a search for any other profile (POSTed)."""
    survivor = _load(request, patient_id)
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    return render_page(
        request,
        "patients/merge/pick.html",
        _pick_context(request, survivor),
        partial="patients/merge/partials/pick_results.html",
    )


@requires("patients.merge")
def patient_merge_view(request: HttpRequest, patient_id, duplicate_id) -> HttpResponse:
    """Step 2 (GET): the differing fields side by side with a choice each, and what moves.
    Step 3 (POST): the preview of the merged profile. POST with step=confirm: merge.
    POST with step=swap comes from the compare form of the reversed pair: step 2 again."""
    actor = request.actor
    try:
        survivor = _load(request, patient_id)
    except MergedRedirect as merged:
        # The profile the wizard started from was itself merged away: continue from its survivor.
        return redirect("patient_merge", patient_id=merged.survivor_id, duplicate_id=duplicate_id)
    if refused := _only(request, "GET", "HEAD", "POST"):
        return refused
    if str(duplicate_id) == str(survivor.pk):
        return _refuse(request, survivor, "A profile cannot be merged into itself. Pick another profile.", 422)
    try:
        duplicate = selectors.patient_get(actor=actor, patient_id=duplicate_id)
    except NotFound:
        if selectors.merged_survivor_id(actor=actor, patient_id=duplicate_id):
            return _refuse(request, survivor, "That profile was already merged into another one.", 409)
        raise
    rows = _differences(actor, survivor, duplicate)
    context = {
        "patient": survivor,
        "duplicate": duplicate,
        "rows": rows,
        "moves": selectors.patient_merge_moves(actor=actor, survivor=survivor, duplicate=duplicate),
        "can_view_clinical": actor.can("patients.view_clinical"),
    }
    if request.method != "POST":
        return render_page(request, "patients/merge/compare.html", context)
    picked = _choices(request, rows)
    if request.POST.get("step") == "swap":
        # The compare form of the reversed pair was posted here: its "survivor" is this page's
        # duplicate, so each choice flips and the same values stay ticked.
        for row in rows:
            row["choice"] = SWAPPED[picked[row["name"]]]
        return render_page(request, "patients/merge/compare.html", context | {"swapped": True})
    if request.POST.get("step") != "confirm":
        for row in rows:
            row["choice"] = picked[row["name"]]
            row["result"] = row[row["choice"]]
        return render_page(request, "patients/merge/confirm.html", context)
    try:
        merged = services.patient_merge(actor=actor, survivor_id=survivor.pk, duplicate_id=duplicate.pk, fields=picked)
    except Conflict as exc:
        return _refuse(request, survivor, exc.detail, 409)
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return _refuse(request, survivor, exc.detail, exc.status)
    messages.success(request, f"{duplicate.display_name} was merged into {merged.display_name}.")
    return redirect("patient_detail", patient_id=merged.pk)
