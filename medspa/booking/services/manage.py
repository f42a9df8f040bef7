"""What a patient can do with the private manage link of a booked visit: cancel it (inside
the clinic's notice window only after being told it is a late cancellation) or move it to
another free time under the same online rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from medspa.booking.choices import WRITES_PER_IP_PER_MINUTE, BookingState, NotificationKind
from medspa.booking.models import OnlineBooking
from medspa.booking.notifications import notify
from medspa.booking.selectors import booking_for_manage, booking_settings, portal_for
from medspa.booking.services.portal import alternatives
from medspa.core import ratelimit
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput
from medspa.scheduling.choices import OPEN_STATUSES
from medspa.scheduling.services import appointment_cancel, visit_move


def _patient_actor(booking: OnlineBooking) -> Actor:
    return Actor.portal(clinic=booking.clinic, patient_id=booking.patient_id, label="patient (manage link)")


def _open(booking: OnlineBooking) -> list:
    appointments = [a for a in booking.appointments if a.status in OPEN_STATUSES]
    if not appointments:
        raise Conflict("This appointment is no longer open to changes.", code="not_changeable")
    return appointments


def is_late(booking: OnlineBooking, now: datetime | None = None) -> bool:
    """Whether cancelling now falls inside the clinic's cancellation notice window."""
    hours = booking_settings(booking.clinic).cancellation_notice_hours
    first = booking.appointments[0].start_at
    return first - (now or timezone.now()) < timedelta(hours=hours)


def manage_cancel(token: str, *, confirm_late: bool = False, reason: str = "", ip: str = "") -> OnlineBooking:
    """Cancel the visit. Inside the notice window the first attempt is refused with
    `late_cancellation` so the patient is told; confirming marks it a late cancellation."""
    ratelimit.hit("booking.write.ip", ip or "unknown", limit=WRITES_PER_IP_PER_MINUTE, seconds=60)
    with transaction.atomic():
        booking = booking_for_manage(token)
        appointments = _open(booking)
        late = is_late(booking)
        hours = booking_settings(booking.clinic).cancellation_notice_hours
        if late and not confirm_late:
            raise InvalidInput(
                f"Your appointment is less than {hours} hours away, so this is a late cancellation: "
                "the clinic's fee policy applies and any deposit may be kept. Confirm to cancel anyway.",
                code="late_cancellation",
                fields={"confirm_late": ["Confirm the late cancellation."]},
            )
        actor = _patient_actor(booking)
        why = (reason or "").strip()[:300] or "Cancelled by the patient online"
        for appointment in appointments:
            appointment_cancel(actor, appointment.pk, reason=why, late_cancellation=late)
        booking.state = BookingState.CANCELLED
        booking.save(update_fields=["state", "updated_at"])
        audit_record(
            action="online_booking.cancelled",
            actor=actor,
            obj=booking,
            patient_id=booking.patient_id,
            changes={"late": late},
        )
        for appointment in booking.appointments:
            appointment.refresh_from_db(fields=["status", "late_cancellation", "version"])
        notify(booking, NotificationKind.CANCELLED)
        return booking


def manage_reschedule(token: str, *, start: datetime, ip: str = "") -> OnlineBooking:
    """Move the visit to another free time with the same practitioner (online rules); a
    taken time is a 409 with the nearest free times."""
    ratelimit.hit("booking.write.ip", ip or "unknown", limit=WRITES_PER_IP_PER_MINUTE, seconds=60)
    booking = booking_for_manage(token)
    portal = portal_for(booking.clinic.slug, booking.location_id)
    try:
        with transaction.atomic():
            booking = booking_for_manage(token)
            _open(booking)
            moved = visit_move(_patient_actor(booking), booking.visit_id, start=start, online=True)
            booking.appointments = moved
            audit_record(
                action="online_booking.rescheduled",
                actor=_patient_actor(booking),
                obj=booking,
                patient_id=booking.patient_id,
                changes={"start": moved[0].start_at.isoformat()},
            )
            notify(booking, NotificationKind.RESCHEDULED)
            return booking
    except Conflict as taken:
        if taken.code == "slot_unavailable":
            service_ids = [str(a.service_id) for a in booking.appointments if a.status in OPEN_STATUSES]
            taken.fields["alternatives"] = alternatives(portal, service_ids, start, str(booking.hold.provider_id))
        raise
