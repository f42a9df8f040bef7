"""The waitlist: joining, leaving, and booking an offered opening in one click."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from medspa.catalog.selectors import booking_catalog
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound
from medspa.scheduling.choices import (
    BookingSource,
    TimeOfDay,
    WaitlistStatus,
)
from medspa.scheduling.models import (
    Visit,
    WaitlistEntry,
    WaitlistOffer,
)
from medspa.scheduling.services.appointments import book
from medspa.scheduling.services.common import (
    BOOK,
    BookingRequest,
    as_uuid,
    bookable_patient,
    default_location,
    location_of,
)


def waitlist_join(
    actor: Actor,
    *,
    patient_id,
    service_id,
    date_from: date,
    date_to: date,
    provider_id=None,
    location_id=None,
    times_of_day: list[str] | None = None,
    notes: str = "",
) -> WaitlistEntry:
    """Put a patient on the waitlist for a service (optionally one provider) between two dates,
    at some times of day; openings are offered in the order entries joined."""
    actor.require(BOOK)
    patient = bookable_patient(actor, patient_id)
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if date_to < date_from:
        errors["date_to"] = ["Must be on or after the first date."]
    if date_to < today:
        errors["date_to"] = ["Must not be in the past."]
    if (date_to - date_from).days > 366:
        errors["date_to"] = ["At most a year."]
    times = list(dict.fromkeys(times_of_day or []))
    if any(t not in TimeOfDay.values for t in times):
        errors["times_of_day"] = [f"Use {', '.join(TimeOfDay.values)}."]
    if len(notes or "") > 500:
        errors["notes"] = ["At most 500 characters."]
    if errors:
        raise InvalidInput("Some fields are not valid.", fields=errors)
    location = location_of(actor, default_location(actor, location_id))
    catalog = booking_catalog(actor=actor, location_id=location.pk)
    service = catalog.services.get(str(as_uuid(service_id, "service_id")))
    if service is None or service.is_addon:
        raise InvalidInput("Unknown service.", fields={"service_id": ["Unknown or inactive service."]})
    provider = str(as_uuid(provider_id, "practitioner_id")) if provider_id else None
    if provider and provider not in catalog.providers.get(service.id, set()):
        raise InvalidInput(
            "This practitioner does not perform the service.", fields={"practitioner_id": ["Does not perform it."]}
        )
    with transaction.atomic():
        entry = WaitlistEntry.objects.create(
            clinic=actor.clinic,
            patient=patient,
            service_id=service.id,
            provider_id=provider,
            location=location,
            date_from=date_from,
            date_to=date_to,
            times_of_day=times,
            notes=notes or "",
            created_by=actor.user,
        )
        audit_record(action="waitlist.joined", actor=actor, obj=entry, patient_id=patient.pk)
        return entry


def waitlist_remove(actor: Actor, *, entry_id) -> WaitlistEntry:
    actor.require(BOOK)
    with transaction.atomic():
        entry = WaitlistEntry.objects.filter(clinic=actor.clinic, pk=as_uuid(entry_id, "id")).first()
        if entry is None:
            raise NotFound()
        entry.status = WaitlistStatus.REMOVED
        entry.save(update_fields=["status", "updated_at"])
        audit_record(action="waitlist.removed", actor=actor, obj=entry, patient_id=entry.patient_id)
        return entry


def book_offer(actor: Actor, *, offer_id) -> Visit:
    """One click from a waitlist offer to a booking (the offer's time, provider and service)."""
    offers = WaitlistOffer.objects.filter(clinic=actor.clinic, pk=as_uuid(offer_id, "id"))
    offer = offers.select_related("entry").first()
    if offer is None:
        raise NotFound()
    if offer.booked:
        raise Conflict("This opening was already booked.", code="offer_booked")
    with transaction.atomic():
        visit = book(
            actor,
            BookingRequest(
                patient_id=offer.entry.patient_id,
                service_ids=[offer.entry.service_id],
                provider_id=offer.provider_id,
                start=offer.start_at,
                location_id=offer.location_id,
                source=BookingSource.PHONE,
            ),
        )
        WaitlistOffer.objects.filter(pk=offer.pk).update(booked=True)
        WaitlistEntry.objects.filter(pk=offer.entry_id).update(
            status=WaitlistStatus.BOOKED, booked_appointment=visit.booked[0]
        )
        _release_others(actor, offer)
        return visit


def _release_others(actor: Actor, offer: WaitlistOffer) -> None:
    """The same time was offered to other entries: those without another open offer go back
    to waiting, so the next opening can reach them."""
    siblings = WaitlistOffer.objects.filter(
        clinic=actor.clinic, provider_id=offer.provider_id, start_at=offer.start_at, booked=False
    ).exclude(pk=offer.pk)
    entry_ids = set(siblings.values_list("entry_id", flat=True))
    still_offered = set(
        WaitlistOffer.objects.filter(
            clinic=actor.clinic, entry_id__in=entry_ids, booked=False, start_at__gte=timezone.now()
        )
        .exclude(provider_id=offer.provider_id, start_at=offer.start_at)
        .values_list("entry_id", flat=True)
    )
    WaitlistEntry.objects.filter(
        clinic=actor.clinic, pk__in=entry_ids - still_offered, status=WaitlistStatus.OFFERED
    ).update(status=WaitlistStatus.WAITING)
