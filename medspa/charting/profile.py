"""The patient profile's Charts tab and the charting entries of the patient timeline,
registered with patients.tabs / patients.timeline from apps.ready() (patients never imports us)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from medspa.charting import selectors, services
from medspa.charting.choices import ChartStatus
from medspa.charting.forms import NewChartForm
from medspa.core.actors import Actor
from medspa.patients.timeline import TimelineEntry

VIEW = "charting.view"
STATUS_TONES = {
    ChartStatus.DRAFT: "warning",
    ChartStatus.NEEDS_SIGNOFF: "info",
    ChartStatus.MD_SIGNED: "brand",
    ChartStatus.LOCKED: "success",
}
TIMELINE_TITLES = {
    ChartStatus.DRAFT: "Chart started",
    ChartStatus.NEEDS_SIGNOFF: "Chart signed",
    ChartStatus.MD_SIGNED: "Chart co-signed",
    ChartStatus.LOCKED: "Chart signed",
}


def can_see_charts(actor) -> bool:
    return actor is not None and actor.can(VIEW)


def charts_tab(request: HttpRequest, patient) -> str:
    """The tab's HTML: the patient's charts, newest first, and "New chart" for authors."""
    actor = request.actor
    if not can_see_charts(actor):
        # Hidden from the tab bar for this role; opened by its URL it says so, showing nothing.
        return render_to_string("components/tab_no_access.html", {"what": "Charts"}, request=request)
    charts = selectors.patient_charts(actor=actor, patient_id=patient.pk)
    form = None
    if actor.can("charting.edit") and actor.user is not None:
        services.template_library_install(clinic=actor.clinic)  # idempotent: the first visit installs the library
        form = NewChartForm(templates=selectors.template_list(actor=actor).order_by("name"))
    return render_to_string(
        "charting/partials/patient_charts.html",
        {
            "patient": patient,
            "rows": [(chart, STATUS_TONES.get(chart.status, "neutral")) for chart in charts],
            "form": form,
        },
        request=request,
    )


def _title(chart) -> str:
    subject = chart.service.name if chart.service_id else chart.template_version.template.name
    return f"{TIMELINE_TITLES.get(chart.status, 'Chart')} — {subject}"


def patient_timeline_entries(*, actor: Actor, patient_id, limit: int) -> list[TimelineEntry]:
    """The patient's charts for the profile timeline (none for roles without charting.view)."""
    if actor is None or not actor.can(VIEW):
        return []
    entries = []
    for chart in selectors.patient_charts(actor=actor, patient_id=patient_id, limit=limit):
        at = chart.submitted_at if chart.status != ChartStatus.DRAFT and chart.submitted_at else chart.treated_at
        summary = f"{chart.template_version.template.name} · {chart.get_status_display()}"
        link = reverse("chart_detail", kwargs={"chart_id": chart.pk})
        entries.append(TimelineEntry("chart", at, _title(chart), summary, link, chart.provider.full_name))
    return entries
