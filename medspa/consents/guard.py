"""The treatment guard: a chart for an appointment whose required forms are missing, expired,
revoked or need re-signing shows a blocking warning when opened, and the provider can sign it
only with a written reason (stored on the signature and audited)."""

from __future__ import annotations

from medspa.charting.checklist import Item
from medspa.consents.choices import FormStatus
from medspa.consents.selectors import APPOINTMENT_COLUMNS, standings


def describe(outstanding) -> str:
    """'Missing: Neurotoxin consent; Expired: Medical history' style summary."""
    by_status: dict[str, list[str]] = {}
    for required in outstanding:
        by_status.setdefault(FormStatus(required.status).label, []).append(required.name)
    return "; ".join(f"{status}: {', '.join(names)}" for status, names in by_status.items())


def consent_check(*, actor, chart) -> list[Item]:
    """The sign-step item for the chart's appointment (none for a chart without one)."""
    from medspa.scheduling.models import Appointment

    if not chart.appointment_id:
        return []
    row = Appointment.objects.filter(clinic=actor.clinic, pk=chart.appointment_id).values(*APPOINTMENT_COLUMNS).first()
    if row is None:
        return []
    standing = standings(clinic_id=actor.clinic.pk, appointments=[row])[row["id"]]
    if not standing.forms:
        return []
    outstanding = standing.outstanding
    return [
        Item(
            "consents",
            "Required forms and consents",
            not outstanding,
            describe(outstanding) if outstanding else f"{len(standing.forms)} on file",
            guard=True,
        )
    ]
