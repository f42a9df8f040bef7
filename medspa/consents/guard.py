"""The treatment guard: a chart for an appointment whose required forms are missing, expired,
revoked or need re-signing shows a blocking warning when opened, and the provider can sign it
only with a written reason (stored on the signature and audited)."""

from __future__ import annotations

from django.urls import reverse

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
    url = kiosk_url(actor, chart.patient_id) if outstanding else ""
    return [
        Item(
            "consents",
            "Required forms and consents",
            not outstanding,
            describe(outstanding) if outstanding else f"{len(standing.forms)} on file",
            guard=True,
            action_url=url,
            action_label="Fill in on a tablet" if url else "",
        )
    ]


def kiosk_url(actor, patient_id) -> str:
    """The kiosk set-up for this patient (it ticks what today's visit lacks), for staff who
    may hand over the tablet."""
    return f"{reverse('kiosk')}?patient_id={patient_id}" if actor.can("consents.send") else ""


def appointment_consent_flags(*, actor, rows: list[dict]) -> dict:
    """The consent mark of each appointment that requires forms: "ok" when all are on file,
    "warn" naming what is outstanding (only for actors who may see consents)."""
    if actor.clinic is None or not actor.can("consents.view"):
        return {}
    flags = {}
    patients = {str(r["id"]): r["patient_id"] for r in rows}
    for appointment_id, standing in standings(clinic_id=actor.clinic.pk, appointments=rows).items():
        if not standing.forms:
            continue
        outstanding = standing.outstanding
        url = kiosk_url(actor, patients[str(appointment_id)]) if outstanding else ""
        flags[str(appointment_id)] = {
            "key": "consents",
            "state": "warn" if outstanding else "ok",
            "label": ("Forms outstanding — " + describe(outstanding)) if outstanding else "Forms on file",
            "url": url,
            "action": "Fill in on a tablet" if url else "",
        }
    return flags
