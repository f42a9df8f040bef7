"""Medical-director sign-off pages and the provider's "My charts to sign" list.

Thin callers of charting.services / charting.selectors: the queue, the read-only review
page with its four actions (sign, sign & next, request information, return), and the
provider's batch "Sign & send to MD". Every rule lives in the services.
"""

from __future__ import annotations

import uuid
from datetime import UTC

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from medspa.charting import selectors, services
from medspa.charting.checklist import guard_items
from medspa.charting.choices import (
    FACE_ZONES,
    STRUCTURED_TYPES,
    ChartStatus,
    FieldType,
    ProductType,
)
from medspa.charting.presentation import answer_text, face_markers, zone_label, zone_markers
from medspa.core.access import requires
from medspa.core.errors import Conflict, DomainError, InvalidInput
from medspa.core.http import render_page
from medspa.core.permissions import Role

SIGN_MD = "charting.sign_md"
SIGN = "charting.sign"


def chart_url(chart_id) -> str:
    """The provider's chart page (built in charting.urls), or its path while it is not routed."""
    try:
        return reverse("chart_detail", kwargs={"chart_id": chart_id})
    except NoReverseMatch:
        return f"/charts/{chart_id}/"


# Queue ----------------------------------------------------------------------------------


class ReviewFilterForm(forms.Form):
    provider = forms.ChoiceField(label="Provider", required=False)
    service = forms.ChoiceField(label="Service", required=False)
    day_from = forms.DateField(label="Treated from", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    day_to = forms.DateField(label="Treated to", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, providers=(), service_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "All providers"), *providers]
        self.fields["service"].choices = [("", "All services"), *service_choices]

    def clean(self):
        data = super().clean()
        start, end = data.get("day_from"), data.get("day_to")
        if start and end and start > end:
            self.add_error("day_to", "The end date is before the start date.")
        return data


def _filter_choices(actor) -> tuple[list, list]:
    """Providers and services that have charts waiting (what the filters can narrow to)."""
    waiting = selectors.review_queue(actor=actor)
    providers, service_choices = {}, {}
    for chart in waiting:
        providers[str(chart.provider_id)] = chart.provider.get_full_name() or chart.provider.email
        if chart.service_id:
            service_choices[str(chart.service_id)] = chart.service.name
    return (
        sorted(providers.items(), key=lambda item: item[1].lower()),
        sorted(service_choices.items(), key=lambda item: item[1].lower()),
    )


@requires(SIGN_MD)
@require_GET
def chart_review_queue_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    providers, service_choices = _filter_choices(actor)
    form = ReviewFilterForm(request.GET or None, providers=providers, service_choices=service_choices)
    filters = {}
    filtered = False
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "provider_id": data["provider"] or None,
            "service_id": data["service"] or None,
            "day_from": data["day_from"],
            "day_to": data["day_to"],
        }
        filtered = any(filters.values())
    queue = selectors.review_queue(actor=actor, **filters)
    page = Paginator(queue, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_page(
        request,
        "charting/review/queue.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": filtered,
            "total": selectors.review_queue_count(actor=actor),
        },
        partial="charting/review/partials/queue_rows.html",
    )


# Review page ----------------------------------------------------------------------------


def _sections(chart) -> list[dict]:
    """The template's sections with the chart's answers, as the MD reads them."""
    answers = (chart.content or {}).get("fields", {})
    out = []
    for section in chart.template_version.sections:
        rows = []
        for field in section["fields"]:
            structured = field["type"] in STRUCTURED_TYPES
            rows.append(
                {
                    "label": field["label"],
                    "type": field["type"],
                    "structured": structured,
                    "required": field.get("required", False),
                    "unit": field.get("unit", ""),
                    "long": field["type"] == FieldType.LONG_TEXT,
                    "value": "" if structured else answer_text(field, answers.get(field["key"])),
                }
            )
        out.append({"title": section["title"], "rows": rows})
    return out


def _face(chart, products: dict) -> dict:
    """Injection points placed on the static face diagram, plus totals by zone and product."""
    content = chart.content or {}
    points = []
    for row in content.get("injections", []):
        x, y = row.get("x"), row.get("y")
        if x is None or y is None:
            _, x, y = FACE_ZONES.get(row["zone"], ("", 0.5, 0.5))
        points.append(
            {
                "label": zone_label(row["zone"], row.get("label", "")),
                "units": row["units"],
                "product": products.get(row.get("product_id") or "", {}).get("name", ""),
                "depth": row.get("depth", ""),
                "technique": row.get("technique", ""),
            }
        )
    totals = selectors.chart_totals(chart=chart)
    by_zone = []
    for key, units in totals["by_zone"].items():
        by_zone.append({"label": zone_label(key, key), "units": units})
    return {
        "points": points,
        "by_zone": by_zone,
        "by_product": totals["products"],
        "total_units": totals["total_units"],
        "zones": zone_markers(),
        "markers": face_markers(content),
    }


def _signatures(chart) -> list[dict]:
    roles = dict(Role.choices)
    return [
        {
            "kind": sig.get_kind_display(),
            "signer": sig.signer_name,
            "role": roles.get(sig.signer_role, sig.signer_role),
            "meaning": sig.meaning,
            "signed_at_utc": sig.signed_at.astimezone(UTC),
            "content_hash": sig.content_hash,
            "override_reason": sig.override_reason,
            "missing": sig.missing,
            "amendment": sig.amendment_id is not None,
        }
        for sig in selectors.chart_signatures(chart=chart)
    ]


def _next_in_queue(actor, *, after=None):
    """The oldest chart still waiting (other than `after`), or None."""
    queue = selectors.review_queue(actor=actor)
    if after is not None:
        queue = queue.exclude(pk=after)
    return queue.first()


def _consents_tab_url(patient_id) -> str:
    try:
        return reverse("patient_consents", kwargs={"patient_id": patient_id})
    except NoReverseMatch:
        return ""


def _review_context(request, chart, **extra) -> dict:
    actor = request.actor
    content = chart.content or {}
    product_rows = content.get("products", [])
    product_types = dict(ProductType.choices)
    products = {p["id"]: p for p in product_rows}
    face = _face(chart, products)
    injected = {p["id"]: p["injected_units"] for p in face["by_product"]}
    patient = chart.patient
    waiting = list(selectors.review_queue(actor=actor).values_list("pk", flat=True)) if actor.can(SIGN_MD) else []
    position = waiting.index(chart.pk) + 1 if chart.pk in waiting else None
    photos_url = ""
    if actor.can("photos.view"):
        try:
            photos_url = reverse("photos:chart_photos", kwargs={"chart_id": chart.pk})
        except NoReverseMatch:
            photos_url = ""
    return {
        "chart": chart,
        "patient": patient,
        "allergies": list(patient.allergies.all()),
        "alerts": patient.medical_alerts or [],
        "sections": _sections(chart),
        "face": face,
        "has_face": bool(face["points"]),
        "products": [
            {
                **p,
                "type_label": product_types.get(p.get("product_type", ""), ""),
                "injected_units": injected.get(p["id"], "0"),
            }
            for p in product_rows
        ],
        "aftercare": content.get("aftercare", ""),
        "notes": content.get("notes", ""),
        "photos_url": photos_url,
        "guards": guard_items(actor=actor, chart=chart, unmet_only=False),
        "consents_tab_url": _consents_tab_url(chart.patient_id),
        "signatures": _signatures(chart),
        "review_notes": selectors.chart_review_notes(chart=chart),
        "amendments": selectors.chart_amendments(chart=chart),
        "in_queue": chart.status == ChartStatus.NEEDS_SIGNOFF,
        "can_act": chart.status == ChartStatus.NEEDS_SIGNOFF and actor.can(SIGN_MD),
        "position": position,
        "queue_size": len(waiting),
        "sign_errors": {},
        "info_errors": {},
        "return_errors": {},
        "comment_info": "",
        "comment_return": "",
        "conflict": "",
        **extra,
    }


def _render_review(request, chart, *, status: int = 200, **extra) -> HttpResponse:
    return render_page(request, "charting/review/review.html", _review_context(request, chart, **extra), status=status)


@requires(SIGN_MD)
def chart_review_view(request: HttpRequest, chart_id) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        # Another clinic's chart is a 404 whatever the method (nothing about it is revealed).
        selectors.chart_get(actor=request.actor, chart_id=chart_id, audit="")
        return HttpResponseNotAllowed(["GET"])
    chart = selectors.chart_get(actor=request.actor, chart_id=chart_id, via="review")
    return _render_review(request, chart)


def _errors(exc: DomainError) -> dict:
    return {"detail": exc.detail, **exc.fields}


def _act(request, chart_id, action, *, errors_key: str, extra: dict | None = None):
    """Run an MD action on a queued chart. Returns (chart, None) on success, or (None,
    response) showing the refusal inline: 422 for input, 409 once the chart left the queue."""
    actor = request.actor
    # A chart of another clinic is a 404 before anything is validated.
    chart = selectors.chart_get(actor=actor, chart_id=chart_id, audit="")
    try:
        done = action(chart)
    except InvalidInput as exc:
        chart = selectors.chart_get(actor=actor, chart_id=chart.pk, audit="")
        return None, _render_review(request, chart, status=422, **{errors_key: _errors(exc)}, **(extra or {}))
    except Conflict as exc:
        chart = selectors.chart_get(actor=actor, chart_id=chart.pk, audit="")
        message = (
            "This chart is no longer waiting for sign-off — someone may have signed or returned it already."
            if exc.code == "not_in_queue"
            else exc.detail
        )
        return None, _render_review(request, chart, status=409, conflict=message)
    return done, None


@requires(SIGN_MD)
@require_POST
def chart_review_sign_view(request: HttpRequest, chart_id) -> HttpResponse:
    """Co-sign with the password; "Sign & next" opens the next chart waiting (or the queue)."""
    actor = request.actor
    chart, refused = _act(
        request,
        chart_id,
        lambda c: services.chart_md_sign(actor=actor, chart_id=c.pk, password=request.POST.get("password", "")),
        errors_key="sign_errors",
    )
    if refused:
        return refused
    patient = chart.patient.display_name
    if request.POST.get("then") == "next":
        following = _next_in_queue(actor, after=chart.pk)
        if following is not None:
            messages.success(request, f"Signed {patient}'s chart. Here is the next one.")
            return redirect("chart_review", chart_id=following.pk)
        messages.success(request, f"Signed {patient}'s chart. The queue is empty.")
        return redirect("chart_review_queue")
    messages.success(request, f"Signed {patient}'s chart.")
    return redirect("chart_review", chart_id=chart.pk)


@requires(SIGN_MD)
@require_POST
def chart_review_request_info_view(request: HttpRequest, chart_id) -> HttpResponse:
    """Ask the provider a question; the chart stays in the queue."""
    comment = request.POST.get("comment", "")
    chart, refused = _act(
        request,
        chart_id,
        lambda c: services.chart_request_info(actor=request.actor, chart_id=c.pk, comment=comment),
        errors_key="info_errors",
        extra={"comment_info": comment},
    )
    if refused:
        return refused
    messages.success(request, "Question sent to the provider. The chart stays in your queue.")
    return redirect("chart_review", chart_id=chart.pk)


@requires(SIGN_MD)
@require_POST
def chart_review_return_view(request: HttpRequest, chart_id) -> HttpResponse:
    """Send the chart back to its provider as a draft, with the MD's comment."""
    comment = request.POST.get("comment", "")
    chart, refused = _act(
        request,
        chart_id,
        lambda c: services.chart_return(actor=request.actor, chart_id=c.pk, comment=comment),
        errors_key="return_errors",
        extra={"comment_return": comment},
    )
    if refused:
        return refused
    messages.success(request, f"Returned {chart.patient.display_name}'s chart to {chart.provider.get_full_name()}.")
    return redirect("chart_review_queue")


# Provider: my charts to sign ------------------------------------------------------------


def _incomplete(actor, chart_ids) -> list[dict]:
    """Which of the chosen drafts have checklist items missing (to say which stopped the batch)."""
    found = []
    for chart_id in chart_ids:
        try:
            chart = selectors.chart_get(actor=actor, chart_id=chart_id, audit="")
        except DomainError:
            continue
        missing = [f"{i.label}: {i.detail}" for i in selectors.chart_checklist(actor=actor, chart=chart) if not i.ok]
        if missing:
            found.append({"chart": chart, "missing": missing, "url": chart_url(chart.pk)})
    return found


def _valid_ids(values) -> list[str]:
    ids = []
    for value in values:
        try:
            ids.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return ids


@requires(SIGN)
def chart_my_drafts_view(request: HttpRequest) -> HttpResponse:
    """GET: the provider's drafts; POST: sign the ticked ones together (all or none)."""
    actor = request.actor
    errors: dict = {}
    incomplete: list[dict] = []
    chosen: list[str] = []
    status = 200
    if request.method == "POST":
        chosen = _valid_ids(request.POST.getlist("chart_ids"))
        try:
            signed = services.charts_sign_many(actor=actor, chart_ids=chosen, password=request.POST.get("password", ""))
        except InvalidInput as exc:
            errors = _errors(exc)
            status = 422
            if exc.code == "incomplete":
                incomplete = _incomplete(actor, chosen)
        except Conflict as exc:
            errors = {"detail": f"{exc.detail} Reload the list and try again."}
            status = 409
        else:
            to_md = sum(1 for c in signed if c.status == ChartStatus.NEEDS_SIGNOFF)
            text = f"Signed {len(signed)} chart{'s' if len(signed) != 1 else ''}"
            text += f"; {to_md} sent to the medical director." if to_md else "."
            messages.success(request, text)
            return redirect("chart_my_drafts")
    elif request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    drafts = selectors.my_drafts(actor=actor)
    rows = [{"chart": c, "url": chart_url(c.pk), "checked": str(c.pk) in chosen} for c in drafts]
    return render_page(
        request,
        "charting/review/my_drafts.html",
        {"rows": rows, "errors": errors, "incomplete": incomplete},
        status=status,
    )
