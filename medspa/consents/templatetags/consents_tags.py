"""`{% consent_icon standing %}`: an appointment's forms at a glance (calendar card, Today row)."""

from __future__ import annotations

from django import template

from medspa.consents.choices import FormStatus

register = template.Library()


@register.inclusion_tag("consents/partials/status_icon.html")
def consent_icon(standing) -> dict:
    """Nothing when the visit needs no forms; a check when all are complete; a warning naming
    each outstanding form and why otherwise. Takes a selectors.Standing (or None)."""
    if standing is None or not standing.forms:
        return {"summary": "none"}
    if standing.ok:
        return {"summary": "complete", "text": "Forms complete"}
    missing = "; ".join(f"{r.name} ({FormStatus(r.status).label.lower()})" for r in standing.outstanding)
    return {"summary": "outstanding", "text": f"Forms outstanding: {missing}"}
