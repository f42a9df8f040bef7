"""Charts for the generated matrices: a complete SOAP draft written by the clinic's owner
(so the owner's base bodies can save and sign it) and the clinic's SOAP template."""

from __future__ import annotations

from medspa.charting import services
from medspa.charting.models import ChartTemplate
from medspa.core.actors import Actor
from medspa.core.permissions import Role

SOAP = {
    "fields": {
        "subjective": "Wants softer frown lines",
        "objective": "Dynamic glabellar lines",
        "assessment": "Good candidate",
        "plan": "Neurotoxin in two weeks",
    }
}


def build(clinic, owner, patient_id) -> dict:
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    services.template_library_install(clinic=clinic)
    template = ChartTemplate.objects.get(clinic=clinic, key="soap-note")
    chart = services.chart_create(actor=actor, patient_id=patient_id, template_id=template.pk)
    services.chart_save(actor=actor, chart_id=chart.pk, content=SOAP, version=chart.version)
    return {"chart_id": chart.pk, "template_id": template.pk}


TEMPLATE_SECTIONS = [
    {
        "title": "Matrix",
        "fields": [{"key": "note", "label": "Note", "type": "short_text", "required": True}],
    }
]
