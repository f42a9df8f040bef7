"""Display helpers for patient templates."""

from django import template

from medspa.patients.choices import AllergySeverity, PatientStatus
from medspa.patients.normalize import national

register = template.Library()

STATUS_TONES = {
    PatientStatus.ACTIVE: "success",
    PatientStatus.INACTIVE: "neutral",
    PatientStatus.DISCHARGED: "info",
    PatientStatus.DECEASED: "neutral",
}
SEVERITY_TONES = {
    AllergySeverity.SEVERE: "danger",
    AllergySeverity.MODERATE: "warning",
    AllergySeverity.MILD: "info",
    AllergySeverity.UNKNOWN: "neutral",
}


@register.filter
def national_phone(e164: str) -> str:
    """'+14155550134' -> '(415) 555-0134'; a value that does not parse is shown as stored."""
    try:
        return national(e164)
    except Exception:  # noqa: BLE001 - display only
        return e164


@register.filter
def status_tone(status: str) -> str:
    return STATUS_TONES.get(status, "neutral")


@register.filter
def severity_tone(severity: str) -> str:
    return SEVERITY_TONES.get(severity, "neutral")


@register.filter
def alert_count(patient) -> int:
    """Medical alerts plus allergies (uses the prefetched allergies)."""
    return len(patient.medical_alerts or []) + len(patient.allergies.all())
