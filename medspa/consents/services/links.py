"""Sending forms to patients: one link per form, for one patient and one version, expiring,
submitting once. A booked visit sends whatever its required forms lack; a job reminds the
patient the day before; staff send any form by hand or hand a tablet over (kiosk).

The token is 256 random bits; only its SHA-256 is stored, so the link exists only in the
message the patient received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from medspa.booking.tokens import new_secret, secret_hash
from medspa.consents.choices import SubmissionVia
from medspa.consents.models import Form, FormLink
from medspa.consents.selectors import as_uuid, current_version, standings
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, Gone, InvalidInput, NotFound
from medspa.core.outbox import outbox_enqueue
from medspa.patients.models import Patient

SEND = "consents.send"
LINK_DAYS = 7
MAX_LINK_DAYS = 60
KIOSK_MINUTES = 120
REMIND_WITHIN = timedelta(hours=48)
CHANNELS = ("email", "copy")


def link_path(token: str) -> str:
    return f"/f/{token}/"


@dataclass(frozen=True)
class SentLink:
    link: FormLink
    token: str

    @property
    def path(self) -> str:
        return link_path(self.token)


def _create(
    form: Form,
    patient,
    *,
    appointment=None,
    expires_at,
    via=SubmissionVia.LINK,
    actor: Actor,
    channel: str = "",
    sent_to: str = "",
) -> SentLink:
    version = current_version(form)
    if version is None or not form.active:
        raise Conflict(f"{form.name} is not published.", code="form_not_published")
    token, digest = new_secret()
    link = FormLink.objects.create(
        clinic=form.clinic,
        token_hash=digest,
        form=form,
        version=version,
        patient=patient,
        appointment=appointment,
        expires_at=expires_at,
        via=via,
        channel=channel,
        sent_by=actor.user,
        sent_to=sent_to,
    )
    return SentLink(link, token)


def _email(clinic, patient, sent: list[SentLink], *, reminder: bool = False, appointment=None) -> None:
    """One email listing the forms to fill, each with its link (sent when the caller commits)."""
    lines = [f"Hello {patient.preferred_name or patient.first_name},", ""]
    if appointment is not None:
        zone = ZoneInfo(appointment.location.timezone)
        when = appointment.start_at.astimezone(zone).strftime("%A %B %-d at %-I:%M %p")
        lines.append(
            f"Before your visit on {when}, please complete:"
            if not reminder
            else f"Your visit is on {when}. These forms are still waiting for you:"
        )
    else:
        lines.append("Please complete:")
    lines.append("")
    for item in sent:
        lines.append(f"• {item.link.form.name}: " + "{base_url}" + item.path)
    lines += [
        "",
        "Each link is private to you. It takes a few minutes, and you can stop and come back.",
        "",
        clinic.name,
    ]
    subject = "Reminder: forms for your visit at {clinic}" if reminder else "Forms for your visit at {clinic}"
    outbox_enqueue(
        clinic=clinic,
        topic="email.send",
        payload={"to": [patient.email], "subject": subject.format(clinic=clinic.name), "body": "\n".join(lines)},
        key=("form-reminder:" if reminder else "form-links:") + ",".join(str(s.link.pk) for s in sent),
    )


def _patient(actor: Actor, patient_id) -> Patient:
    patient = Patient.objects.filter(clinic=actor.clinic, pk=as_uuid(patient_id)).first()
    if patient is None:
        raise NotFound()
    return patient


def _appointment(actor: Actor, appointment_id, patient):
    from medspa.scheduling.models import Appointment

    if appointment_id in (None, ""):
        return None
    appointment = (
        Appointment.objects.select_related("location").filter(clinic=actor.clinic, pk=as_uuid(appointment_id)).first()
    )
    if appointment is None:
        raise NotFound()
    if appointment.patient_id != patient.pk:
        raise InvalidInput(fields={"appointment_id": "That appointment is another patient's."})
    return appointment


def _form(actor: Actor, form_id) -> Form:
    form = Form.objects.filter(clinic=actor.clinic, pk=as_uuid(form_id)).first()
    if form is None:
        raise NotFound()
    return form


def form_send(
    *, actor: Actor, form_id, patient_id, appointment_id=None, channel: str = "email", days: int = LINK_DAYS
) -> SentLink:
    """Send one form to one patient: by email, or (`copy`) only make the link for staff to
    pass on. The link works for `days` days (1–60) and submits once."""
    actor.require(SEND)
    if channel not in CHANNELS:
        raise InvalidInput(fields={"channel": "Choose email or copy."})
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_LINK_DAYS:
        raise InvalidInput(fields={"days": f"Links last 1 to {MAX_LINK_DAYS} days."})
    with transaction.atomic():
        form = _form(actor, form_id)
        patient = _patient(actor, patient_id)
        appointment = _appointment(actor, appointment_id, patient)
        if channel == "email" and not patient.email:
            raise InvalidInput("The patient has no email address.", fields={"channel": "No email address on file."})
        sent = _create(
            form,
            patient,
            appointment=appointment,
            expires_at=timezone.now() + timedelta(days=days),
            actor=actor,
            channel=channel,
            sent_to=patient.email if channel == "email" else "",
        )
        if channel == "email":
            _email(actor.clinic, patient, [sent], appointment=appointment)
        audit_record(
            action="form.sent",
            actor=actor,
            obj=sent.link,
            patient_id=str(patient.pk),
            changes={"form": str(form.pk), "channel": channel},
        )
    return sent


def _open_links(clinic, patient_id) -> dict:
    """The patient's links that can still be used, by form id."""
    now = timezone.now()
    rows = FormLink.objects.filter(
        clinic=clinic,
        patient_id=patient_id,
        submission__isnull=True,
        cancelled_at__isnull=True,
        expires_at__gt=now,
        via=SubmissionVia.LINK,
    ).select_related("version")
    return {row.form_id: row for row in rows}


def forms_send_for_visit(*, clinic, appointments) -> list[SentLink]:
    """After a visit is booked (inside its transaction): email the patient a link to every
    required form that is missing, expired or needs re-signing, unless an unused link to the
    current version is already out. Links last until a day after the visit (at least 3 days)."""
    if not appointments:
        return []
    first = min(appointments, key=lambda a: a.start_at)
    patient = first.patient
    rows = [
        {
            "id": a.pk,
            "patient_id": a.patient_id,
            "service_id": a.service_id,
            "provider_id": a.provider_id,
            "start_at": a.start_at,
        }
        for a in appointments
    ]
    outstanding = {}
    for standing in standings(clinic_id=clinic.pk, appointments=rows).values():
        for required in standing.outstanding:
            outstanding.setdefault(required.form_id, required)
    if not outstanding or not patient.email:
        return []
    system = Actor.system(clinic=clinic, label="forms for a booked visit")
    already = _open_links(clinic, patient.pk)
    forms = {f.pk: f for f in Form.objects.filter(clinic=clinic, pk__in=list(outstanding), active=True)}
    now = timezone.now()
    expires = min(
        max(max(a.end_at for a in appointments) + timedelta(days=1), now + timedelta(days=3)),
        now + timedelta(days=MAX_LINK_DAYS),
    )
    sent = []
    for form_id in outstanding:
        form = forms.get(form_id)
        open_link = already.get(form_id)
        if form is None or (open_link is not None and open_link.version.number == form.current_version):
            continue
        sent.append(
            _create(
                form,
                patient,
                appointment=first,
                expires_at=expires,
                actor=system,
                channel="email",
                sent_to=patient.email,
            )
        )
    if sent:
        _email(clinic, patient, sent, appointment=first)
        audit_record(
            action="form.sent",
            actor=system,
            object_type="patients.patient",
            object_id=str(patient.pk),
            patient_id=str(patient.pk),
            changes={"forms": [str(s.link.form_id) for s in sent], "auto": True},
        )
    return sent


def forms_remind_due(*, now=None) -> int:
    """Remind, once, every patient whose visit starts within 48 hours and whose forms are still
    open: a fresh link per form (the old ones keep working until they lapse). Returns how many
    reminders were queued."""
    from medspa.scheduling.choices import AppointmentStatus

    now = now or timezone.now()
    due = (
        FormLink.objects.filter(
            via=SubmissionVia.LINK,
            submission__isnull=True,
            cancelled_at__isnull=True,
            reminded_at__isnull=True,
            expires_at__gt=now,
            appointment__start_at__gt=now,
            appointment__start_at__lte=now + REMIND_WITHIN,
            appointment__status__in=(AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED),
        )
        .select_related("clinic", "form", "patient", "appointment__location")
        .order_by("clinic_id", "patient_id")
    )
    groups: dict = {}
    for link in due:
        groups.setdefault((link.clinic_id, link.patient_id, link.appointment_id), []).append(link)
    count = 0
    for links in groups.values():
        first = links[0]
        if not first.patient.email:
            continue
        with transaction.atomic():
            system = Actor.system(clinic=first.clinic, label="form reminders")
            fresh = [
                _create(
                    link.form,
                    first.patient,
                    appointment=first.appointment,
                    expires_at=link.expires_at,
                    actor=system,
                    channel="email",
                    sent_to=first.patient.email,
                )
                for link in links
                if link.form.active and link.form.current_version
            ]
            FormLink.objects.filter(pk__in=[link.pk for link in links]).update(reminded_at=now)
            FormLink.objects.filter(pk__in=[s.link.pk for s in fresh]).update(reminded_at=now)
            if fresh:
                _email(first.clinic, first.patient, fresh, reminder=True, appointment=first.appointment)
                count += 1
    return count


def kiosk_start(*, actor: Actor, patient_id, form_ids, appointment_id=None) -> list[SentLink]:
    """Links for the forms a patient fills on a tablet in the clinic, valid two hours."""
    actor.require(SEND)
    if not isinstance(form_ids, list | tuple) or not form_ids or len(form_ids) > 20:
        raise InvalidInput(fields={"form_ids": "Choose the forms to fill in."})
    with transaction.atomic():
        patient = _patient(actor, patient_id)
        appointment = _appointment(actor, appointment_id, patient)
        forms = []
        for form_id in dict.fromkeys(str(f) for f in form_ids):
            form = _form(actor, form_id)
            if not form.active or not form.current_version:
                raise InvalidInput(fields={"form_ids": f"{form.name} is not published."})
            forms.append(form)
        expires = timezone.now() + timedelta(minutes=KIOSK_MINUTES)
        sent = [
            _create(form, patient, appointment=appointment, expires_at=expires, via=SubmissionVia.KIOSK, actor=actor)
            for form in forms
        ]
        audit_record(
            action="form.kiosk_started",
            actor=actor,
            object_type="patients.patient",
            object_id=str(patient.pk),
            patient_id=str(patient.pk),
            changes={"forms": [str(f.pk) for f in forms]},
        )
    return sent


def link_cancel(*, actor: Actor, link_id) -> FormLink:
    actor.require(SEND)
    with transaction.atomic():
        link = FormLink.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(link_id)).first()
        if link is None:
            raise NotFound()
        if link.cancelled_at is None and link.submission_id is None:
            link.cancelled_at = timezone.now()
            link.save(update_fields=["cancelled_at", "updated_at"])
            audit_record(action="form_link.cancelled", actor=actor, obj=link, patient_id=str(link.patient_id))
    return link


def link_resolve(token: str, *, for_update: bool = False) -> FormLink:
    """The link a token opens. Unknown or malformed: 404. Cancelled or past its expiry: 410.
    A link already submitted still resolves (the page shows the confirmation)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotFound()
    rows = FormLink.objects.select_related("form", "version", "patient", "clinic", "appointment")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    link = rows.filter(token_hash=secret_hash(token)).first()
    if link is None:
        raise NotFound()
    if link.submission_id is None and (link.cancelled_at is not None or link.expires_at <= timezone.now()):
        raise Gone("This link has expired. Ask the clinic to send you a new one.", code="link_expired")
    return link


KIOSK_EVENTS = frozenset({"kiosk.finished", "kiosk.unlocked", "kiosk.unlock_failed"})


def kiosk_record(*, actor: Actor, event: str, patient_id: str = "", outcome: str = "success", changes=None) -> None:
    """Record what happened on a tablet in kiosk mode (the queue finished, the staff member
    unlocked it, or failed to): the session's lock is the view's; the record is ours."""
    if event not in KIOSK_EVENTS:
        raise ValueError(f"Unknown kiosk event {event!r}")
    with transaction.atomic():
        audit_record(
            action=event,
            actor=actor,
            outcome=outcome,
            object_type="patients.patient" if patient_id else "",
            object_id=patient_id,
            patient_id=patient_id,
            changes=changes or None,
        )
