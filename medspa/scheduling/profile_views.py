"""The patient profile's Appointments tab, registered with patients.tabs from apps.ready()
(patients never imports scheduling)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from medspa.scheduling import selectors
from medspa.scheduling.choices import AppointmentStatus

STATUS_TONES = {
    AppointmentStatus.REQUESTED: "warning",
    AppointmentStatus.SCHEDULED: "info",
    AppointmentStatus.CONFIRMED: "brand",
    AppointmentStatus.ARRIVED: "success",
    AppointmentStatus.IN_PROGRESS: "success",
    AppointmentStatus.COMPLETED: "neutral",
    AppointmentStatus.CANCELLED: "danger",
    AppointmentStatus.NO_SHOW: "danger",
}


def can_see_appointments(actor) -> bool:
    return actor is not None and (actor.can(selectors.VIEW) or actor.can(selectors.VIEW_OWN))


def appointments_tab(request: HttpRequest, patient) -> str:
    """The tab's HTML: upcoming and past appointments (403 for roles without a calendar)."""
    found = selectors.patient_appointments(request.actor, patient.pk)
    rows = {
        "upcoming": [(item, STATUS_TONES.get(item.appointment.status, "neutral")) for item in found.upcoming],
        "past": [(item, STATUS_TONES.get(item.appointment.status, "neutral")) for item in found.past],
    }
    return render_to_string(
        "scheduling/partials/patient_appointments.html",
        {"patient": patient, "found": found, "rows": rows},
        request=request,
    )
