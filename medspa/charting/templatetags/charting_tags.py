"""`{% chart_button appointment %}`: the calendar's and the Today page's way into a chart."""

from __future__ import annotations

from django import template
from django.urls import reverse

from medspa.charting import selectors
from medspa.core.permissions import Role

register = template.Library()
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})


@register.inclusion_tag("charting/partials/chart_button.html", takes_context=True)
def chart_button(context, appointment, lookup: bool = True, size: str = "sm") -> dict:
    """ "Chart" (opens or starts the chart) for the appointment's provider or a manager holding
    charting.edit; "Open chart" for other readers when a chart exists (`lookup=False` skips
    that query, for lists). A courtesy only: the services decide."""
    actor = context.get("actor")
    out = {"appointment": appointment, "size": size, "open_url": "", "can_start": False}
    if actor is None or getattr(actor, "clinic", None) is None:
        return out
    author = actor.can("charting.edit") and (
        appointment.provider_id == getattr(actor.user, "pk", None) or actor.role in MANAGERS
    )
    if author:
        out["can_start"] = True
        out["csrf_token"] = context.get("csrf_token")
    elif lookup and actor.can("charting.view"):
        chart = selectors.chart_for_appointment(actor=actor, appointment_id=appointment.pk)
        if chart is not None:
            out["open_url"] = reverse("chart_detail", kwargs={"chart_id": chart.pk})
    return out
