"""The patient's way through the portal: hold a time, give details and accept the policy,
pay the deposit when one is due, and get a booked (or requested) visit.

Each call is one transaction, scoped to the portal's clinic, and acts only on the booking
whose secret token the caller holds. Holds, bookings and contacts are rate limited; a
submitted booking is never made twice — repeating a step returns the booking as it is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from medspa.booking.choices import (
    BOOKINGS_PER_CONTACT_PER_HOUR,
    DONE_STATES,
    HOLDS_PER_SESSION,
    OPEN_STATES,
    WRITES_PER_IP_PER_MINUTE,
    BookingKind,
    BookingState,
    DepositStatus,
    NotificationKind,
)
from medspa.booking.hooks import AFTER_BOOKING
from medspa.booking.models import DepositPayment, OnlineBooking, PolicyAcceptance
from medspa.booking.notifications import notify
from medspa.booking.payments import processor
from medspa.booking.selectors import (
    Portal,
    booking_for_token,
    portal_deposit,
    practitioner_names,
    public_availability,
    public_service_map,
)
from medspa.booking.tokens import new_secret, session_hash
from medspa.booking.validation import Details, clean_details
from medspa.core import ratelimit
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, Gone, InvalidInput, NotFound, TooManyRequests
from medspa.patients.choices import PatientSource
from medspa.patients.selectors import ContactMatch, patient_match_contact
from medspa.patients.services import patient_create
from medspa.scheduling.choices import AppointmentStatus, BookingSource
from medspa.scheduling.selectors import had_service_since, upcoming_visit_count
from medspa.scheduling.services import HoldRequest, as_uuid, hold_book, hold_place, hold_release


@dataclass
class HeldBooking:
    booking: OnlineBooking
    token: str  # the booking's secret: shown once


def portal_hold(
    portal: Portal,
    *,
    service_ids: list,
    start: datetime,
    practitioner_id=None,
    addon_ids: list | None = None,
    session_key: str = "",
    ip: str = "",
) -> HeldBooking:
    """Hold a time for the hold minutes of the clinic's settings. Taken times are a 409 whose
    `fields.alternatives` lists the nearest free times."""
    ratelimit.hit("booking.write.ip", ip or "unknown", limit=WRITES_PER_IP_PER_MINUTE, seconds=60)
    services = public_service_map(portal, service_ids)
    if practitioner_id:
        practitioner_id = str(as_uuid(practitioner_id, "practitioner_id"))
        if practitioner_id not in practitioner_names(portal):
            raise NotFound("That practitioner is not available online.", fields={"practitioner_id": ["Unknown."]})
    owner = session_hash(session_key) if session_key else _ip_owner(ip)
    live = OnlineBooking.objects.filter(
        clinic=portal.clinic, session_hash=owner, state__in=OPEN_STATES, hold__expires_at__gt=timezone.now()
    ).count()
    if live >= HOLDS_PER_SESSION:
        raise TooManyRequests(
            f"You are already holding {live} times. Finish or release one before holding another.",
            code="too_many_holds",
        )
    try:
        with transaction.atomic():
            hold = hold_place(
                portal.actor,
                HoldRequest(
                    service_ids=list(services),
                    start=start,
                    minutes=portal.settings.hold_minutes,
                    provider_id=practitioner_id,
                    location_id=portal.location.pk,
                    addon_ids=list(addon_ids or []),
                    source=BookingSource.ONLINE,
                ),
            )
            token, digest = new_secret()
            booking = OnlineBooking.objects.create(
                clinic=portal.clinic,
                kind=BookingKind.PORTAL,
                hold=hold,
                location=portal.location,
                token_hash=digest,
                session_hash=owner,
                deposit_amount=portal_deposit(portal.settings, list(services)),
            )
            audit_record(action="online_booking.held", actor=portal.actor, obj=booking)
            return HeldBooking(booking, token)
    except Conflict as taken:
        taken.fields["alternatives"] = alternatives(portal, list(services), start, practitioner_id)
        taken.detail = "Sorry — that time was just taken. Here are the nearest free times."
        raise


def alternatives(portal: Portal, service_ids: list, near: datetime, practitioner_id=None, count: int = 6) -> list:
    """The free times nearest to `near` over its day and the next two."""
    local_day = near.astimezone(portal.zone).date()
    days = public_availability(portal, service_ids, practitioner_id=practitioner_id, start=local_day, days=3)
    times = [t for day in days for t in day["times"]]
    times.sort(key=lambda t: abs(datetime.fromisoformat(t["start"]) - near))
    return sorted(times[:count], key=lambda t: t["start"])


def _ip_owner(ip: str) -> str:
    return hashlib.sha256(f"ip:{ip or 'unknown'}".encode()).hexdigest()


def portal_release(portal: Portal, token: str) -> OnlineBooking:
    """The patient let the held time go (picked another, or left)."""
    with transaction.atomic():
        booking = booking_for_token(portal, token, for_update=True)
        if booking.state in OPEN_STATES:
            hold_release(portal.actor, booking.hold_id)
            booking.state = BookingState.RELEASED
            booking.save(update_fields=["state", "updated_at"])
        return booking


def _live(booking: OnlineBooking) -> None:
    """Refuse to continue a booking whose hold lapsed (410) or that was let go."""
    if booking.state in (BookingState.EXPIRED, BookingState.RELEASED, BookingState.CANCELLED):
        raise Gone("This time is no longer held for you. Please pick a time again.", code="hold_expired")
    if booking.hold.expires_at <= timezone.now() and booking.state in OPEN_STATES:
        raise Gone("Your hold on this time has expired. Please pick a time again.", code="hold_expired")


def portal_submit(
    portal: Portal,
    token: str,
    *,
    details: dict,
    accept_policy: bool,
    policy_version: int | None = None,
    ip: str = "",
    user_agent: str = "",
) -> OnlineBooking:
    """Details and the policy: books the visit, or asks for the deposit first. Repeating it
    after the booking was made returns the booking unchanged."""
    ratelimit.hit("booking.write.ip", ip or "unknown", limit=WRITES_PER_IP_PER_MINUTE, seconds=60)
    if str(details.get("website") or "").strip():  # the honeypot field people never see
        raise InvalidInput("We could not accept this booking.", code="rejected")
    with transaction.atomic():
        booking = booking_for_token(portal, token, for_update=True)
        if booking.state in DONE_STATES:
            return booking
        _live(booking)
        clean = clean_details(details, region=portal.location.country)
        if not accept_policy:
            raise InvalidInput(
                "Please read and accept the cancellation policy.",
                code="policy_not_accepted",
                fields={"accept_policy": ["Required."]},
            )
        if policy_version is not None and int(policy_version) != portal.settings.policy_version:
            raise Conflict("The clinic's policy just changed. Please read it again.", code="policy_changed")
        for contact in filter(None, (clean.phone, clean.email)):
            ratelimit.hit(
                "booking.contact",
                contact,
                limit=BOOKINGS_PER_CONTACT_PER_HOUR,
                seconds=3600,
                message="Too many bookings for these contact details. Please call the clinic.",
            )
        match = _check_rules(portal, booking, clean)
        _keep_details(booking, clean)
        _record_acceptance(portal, booking, ip, user_agent)
        if booking.deposit_amount > 0:
            _ask_deposit(portal, booking)
            return booking
        return _finalize(portal, booking, clean, match)


def deposit_pay(portal: Portal, token: str, *, outcome: str = "", ip: str = "") -> tuple[OnlineBooking, str]:
    """Complete the pending deposit with the payment backend; on success the visit is booked.
    Returns the booking and, when the payment failed, why (the hold stays until it lapses)."""
    ratelimit.hit("booking.write.ip", ip or "unknown", limit=WRITES_PER_IP_PER_MINUTE, seconds=60)
    with transaction.atomic():
        booking = booking_for_token(portal, token, for_update=True)
        if booking.state in DONE_STATES:
            return booking, ""
        _live(booking)
        if booking.state != BookingState.AWAITING_PAYMENT:
            raise InvalidInput("Give your details and accept the policy first.", code="details_required")
        deposit = booking.deposits.filter(status=DepositStatus.PENDING).order_by("-created_at").first()
        if deposit is None:
            deposit = _new_deposit(portal, booking)
        clean = Details(booking.first_name, booking.last_name, booking.phone, booking.email, booking.notes)
        match = _check_rules(portal, booking, clean)
        result = processor().complete(reference=deposit.reference, outcome=outcome)
        deposit.status = DepositStatus.SUCCEEDED if result.succeeded else DepositStatus.FAILED
        deposit.save(update_fields=["status", "updated_at"])
        audit_record(
            action="online_booking.deposit_" + deposit.status,
            actor=portal.actor,
            obj=deposit,
            changes={"amount": str(deposit.amount), "test_mode": deposit.test_mode},
        )
        if not result.succeeded:
            _new_deposit(portal, booking)  # a fresh attempt for the retry
            return booking, result.message or "The payment did not go through."
        return _finalize(portal, booking, clean, match), ""


def _ask_deposit(portal: Portal, booking: OnlineBooking) -> None:
    if not booking.deposits.filter(status=DepositStatus.PENDING).exists():
        _new_deposit(portal, booking)
    booking.state = BookingState.AWAITING_PAYMENT
    booking.save(update_fields=["state", "first_name", "last_name", "phone", "email", "notes", "updated_at"])


def _new_deposit(portal: Portal, booking: OnlineBooking) -> DepositPayment:
    backend = processor()
    reference = backend.start(
        amount=booking.deposit_amount, currency=portal.clinic.currency, description="Booking deposit"
    )
    return DepositPayment.objects.create(
        clinic=portal.clinic,
        booking=booking,
        amount=booking.deposit_amount,
        currency=portal.clinic.currency,
        processor=backend.name,
        reference=reference,
        test_mode=backend.test_mode,
    )


def _keep_details(booking: OnlineBooking, clean: Details) -> None:
    booking.first_name, booking.last_name = clean.first_name, clean.last_name
    booking.phone, booking.email, booking.notes = clean.phone, clean.email, clean.notes


def _record_acceptance(portal: Portal, booking: OnlineBooking, ip: str, user_agent: str) -> None:
    text = policy_text(portal)
    PolicyAcceptance.objects.create(
        clinic=portal.clinic,
        booking=booking,
        policy_text=text,
        policy_sha256=hashlib.sha256(text.encode()).hexdigest(),
        policy_version=portal.settings.policy_version,
        notice_hours=portal.settings.cancellation_notice_hours,
        accepted_at=timezone.now(),
        ip_address=ip or None,
        user_agent=(user_agent or "")[:500],
    )


def policy_text(portal: Portal) -> str:
    """The cancellation policy exactly as the patient reads it (notice hours filled in)."""
    return portal.settings.cancellation_policy.replace("{hours}", str(portal.settings.cancellation_notice_hours))


def _system(portal: Portal) -> Actor:
    return Actor.system(clinic=portal.clinic, label="online booking")


def _check_rules(portal: Portal, booking: OnlineBooking, clean: Details) -> ContactMatch:
    """The clinic's limits for the person booking: future bookings and consultations.
    Returns who the details belong to (read once, used again to book)."""
    system = _system(portal)
    match = patient_match_contact(
        actor=system, first_name=clean.first_name, last_name=clean.last_name, phone=clean.phone, email=clean.email
    )
    patient = match.patient
    if patient is not None and upcoming_visit_count(system, patient.pk) >= portal.settings.max_future_bookings:
        raise InvalidInput(
            "You already have the most upcoming appointments we can book online. Please call us, or cancel one first.",
            code="too_many_bookings",
        )
    services = public_service_map(portal, booking.hold.service_ids)
    for service in services.values():
        consultation = service.consultation_service
        if consultation is None:
            continue
        months = service.consultation_valid_months or 12
        since = timezone.now() - timedelta(days=round(months * 30.44))
        if patient is None or not had_service_since(system, patient.pk, consultation.pk, since):
            raise InvalidInput(
                f"{service.name} needs a {consultation.name} with us within the last {months} months first. "
                f"You can book the {consultation.name} instead.",
                code="consultation_required",
                fields={"service_ids": ["Consultation required."], "consultation_service_id": [str(consultation.pk)]},
            )
    return match


def patient_for_details(portal: Portal, clean: Details, match: ContactMatch | None = None):
    """(patient, is new): the profile these details certainly belong to, or a new one with
    source "online booking", flagged when it resembles another profile. Nothing about an
    existing profile is revealed to the person booking."""
    system = _system(portal)
    if match is None:
        match = patient_match_contact(
            actor=system, first_name=clean.first_name, last_name=clean.last_name, phone=clean.phone, email=clean.email
        )
    if match.patient is not None:
        return match.patient, False
    patient = patient_create(
        actor=system,
        data={"first_name": clean.first_name, "last_name": clean.last_name, "phone": clean.phone, "email": clean.email},
        source=PatientSource.ONLINE_BOOKING,
        possible_duplicate_of=match.resembles,
    )
    return patient, True


def _finalize(portal: Portal, booking: OnlineBooking, clean: Details, match: ContactMatch) -> OnlineBooking:
    """Make the visit: the matched patient or a new profile (flagged when it resembles
    another), requested when new patients need approval, then tell the patient."""
    system = _system(portal)
    match = patient_match_contact(
        actor=system, first_name=clean.first_name, last_name=clean.last_name, phone=clean.phone, email=clean.email
    )
    patient, new = match.patient, match.patient is None
    if new:
        patient = patient_create(
            actor=system,
            data={
                "first_name": clean.first_name,
                "last_name": clean.last_name,
                "phone": clean.phone,
                "email": clean.email,
            },
            source=PatientSource.ONLINE_BOOKING,
            possible_duplicate_of=match.resembles,
        )
    approval = new and portal.settings.require_approval_new_patients
    status = AppointmentStatus.REQUESTED if approval else AppointmentStatus.SCHEDULED
    visit = hold_book(portal.actor, booking.hold_id, patient=patient, status=status, notes=clean.notes)
    booking.patient, booking.visit, booking.new_patient = patient, visit, new
    booking.state = BookingState.REQUESTED if approval else BookingState.BOOKED
    _keep_details(booking, clean)
    booking.save()
    audit_record(
        action="online_booking.booked",
        actor=portal.actor,
        obj=booking,
        patient_id=patient.pk,
        changes={"state": booking.state, "new_patient": new, "deposit": str(booking.deposit_amount)},
    )
    notify(booking, NotificationKind.REQUESTED if approval else NotificationKind.CONFIRMATION)
    for hook in AFTER_BOOKING:
        hook(booking, portal.settings)
    return booking
