"""Messages to patients about their online bookings.

Every notice is a `BookingNotification` record per channel: email goes out through the
outbox (console backend by default) with the visit as an iCalendar attachment; SMS records
wait for the messaging module. Staff decisions on requested bookings reach this module as
`scheduling.request_decided` outbox messages.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone

from medspa.booking.choices import BookingState, Channel, NotificationKind, NotificationStatus
from medspa.booking.models import BookingNotification, OnlineBooking
from medspa.booking.tokens import manage_token
from medspa.core.actors import Actor
from medspa.core.mail import deliver_email
from medspa.core.models import OutboxMessage
from medspa.core.outbox import outbox_enqueue, outbox_handler
from medspa.scheduling import ics
from medspa.scheduling.choices import AppointmentStatus
from medspa.scheduling.selectors import visit_appointments

SUBJECTS = {
    NotificationKind.CONFIRMATION: "Your appointment at {clinic} is confirmed",
    NotificationKind.REQUESTED: "Your appointment request at {clinic} was received",
    NotificationKind.APPROVED: "Your appointment at {clinic} is confirmed",
    NotificationKind.CANCELLED: "Your appointment at {clinic} is cancelled",
    NotificationKind.RESCHEDULED: "Your appointment at {clinic} has moved",
    NotificationKind.FINISH_LINK: "Finish booking your appointment at {clinic}",
}
OPENINGS = {
    NotificationKind.CONFIRMATION: "You're booked.",
    NotificationKind.REQUESTED: "We received your request. The clinic will confirm it shortly; we'll email you.",
    NotificationKind.APPROVED: "Good news: the clinic confirmed your appointment.",
    NotificationKind.CANCELLED: "Your appointment has been cancelled.",
    NotificationKind.RESCHEDULED: "Your appointment has a new time.",
    NotificationKind.FINISH_LINK: "We're holding a time for you. Open the link to finish booking.",
}


def manage_path(booking: OnlineBooking) -> str:
    return f"/book/manage/{manage_token(booking.pk)}/"


def visit_ics(booking: OnlineBooking, appointments=None, *, cancelled: bool = False) -> str:
    """The visit as an iCalendar file (one event per appointment) for the patient's calendar."""
    appointments = appointments or visit_appointments(Actor.system(clinic=booking.clinic), booking.visit_id)
    events = [
        ics.Event(
            uid=f"{a.pk}@medspa",
            start=a.start_at,
            end=a.end_at,
            summary=f"{a.service.name} — {booking.clinic.name}",
            stamp=timezone.now(),
            sequence=a.version,
            location=booking.location.name,
            status="CANCELLED" if cancelled or a.status == AppointmentStatus.CANCELLED else "CONFIRMED",
        )
        for a in appointments
    ]
    return ics.calendar(booking.clinic.name, events, prodid="-//Medspa//Online booking//EN")


def notify(booking: OnlineBooking, kind: str, *, link_token: str = "") -> list[BookingNotification]:
    """Record the notice for each channel the patient gave and queue the email (in the
    caller's transaction: it is sent exactly when the change commits)."""
    records = []
    email = booking.email or booking.contact_email
    if email:
        records.append(_email(booking, kind, email, link_token))
    if booking.phone:
        records.append(
            BookingNotification.objects.create(
                clinic=booking.clinic,
                booking=booking,
                kind=kind,
                channel=Channel.SMS,
                to=booking.phone,
                status=NotificationStatus.WAITING_FOR_CHANNEL,
            )
        )
    return records


def _email(booking: OnlineBooking, kind: str, to: str, link_token: str) -> BookingNotification:
    record = BookingNotification.objects.create(
        clinic=booking.clinic, booking=booking, kind=kind, channel=Channel.EMAIL, to=to
    )
    lines = [f"Hello {booking.first_name or 'there'},", "", OPENINGS[kind], ""]
    attachments = []
    if booking.visit_id:
        appointments = visit_appointments(Actor.system(clinic=booking.clinic), booking.visit_id)
        zone = ZoneInfo(booking.location.timezone)
        for a in appointments:
            when = a.start_at.astimezone(zone).strftime("%A %B %-d, %Y at %-I:%M %p")
            lines.append(f"• {a.service.name} — {when}")
        lines += ["", f"Where: {booking.location.name}"]
        if kind != NotificationKind.CANCELLED:
            lines += ["", "View, reschedule or cancel: {base_url}" + manage_path(booking)]
        attachments.append(
            {
                "filename": "appointment.ics",
                "content": visit_ics(booking, appointments, cancelled=kind == NotificationKind.CANCELLED),
                "mimetype": "text/calendar",
            }
        )
    if link_token:
        lines += ["Finish your booking: {base_url}" + f"/book/finish/{link_token}/"]
    lines += ["", booking.clinic.name]
    outbox_enqueue(
        clinic=booking.clinic,
        topic="booking.notice",
        payload={
            "to": [to],
            "subject": SUBJECTS[kind].format(clinic=booking.clinic.name),
            "body": "\n".join(lines),
            "attachments": attachments,
            "notification_id": str(record.pk),
        },
        key=f"booking-notice:{record.pk}",
    )
    return record


@outbox_handler("scheduling.request_decided")
def request_decided(message: OutboxMessage) -> None:
    """Staff approved or declined a requested appointment: tell the patient who booked it
    online (once per booking, however many of its appointments were decided)."""
    payload = message.payload
    booking = OnlineBooking.objects.filter(clinic=message.clinic, visit_id=payload["visit_id"]).first()
    if booking is None or booking.state != BookingState.REQUESTED:
        return
    approved = payload["status"] in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)
    booking.state = BookingState.BOOKED if approved else BookingState.CANCELLED
    booking.save(update_fields=["state", "updated_at"])
    notify(booking, NotificationKind.APPROVED if approved else NotificationKind.CANCELLED)


@outbox_handler("booking.notice")
def send_notice(message: OutboxMessage) -> None:
    """Send a booking email and mark its notification sent."""
    deliver_email(message)
    BookingNotification.objects.filter(clinic=message.clinic, pk=message.payload["notification_id"]).update(
        status=NotificationStatus.SENT, sent_at=timezone.now()
    )
