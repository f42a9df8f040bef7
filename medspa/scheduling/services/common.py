"""Shared pieces of the scheduling services: ids, permissions, the booking request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from medspa.core.actors import Actor
from medspa.core.errors import InvalidInput, NotFound, PermissionDenied
from medspa.core.models import Location
from medspa.patients.selectors import patients_for
from medspa.scheduling.choices import (
    AppointmentStatus,
    BookingSource,
)

BOOK, BOOK_OWN, MANAGE = "scheduling.book", "scheduling.book_own", "scheduling.manage"
PORTAL = "booking.portal"
RELEASED = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW})


def as_uuid(value, field_name: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise InvalidInput("Not a valid id.", fields={field_name: ["Not a valid id."]}) from None


def require_booking(actor: Actor, provider_id, *, patient_id=None) -> None:
    """Booking for anyone needs scheduling.book; a provider with book_own only for themself;
    a patient acting through the booking portal only on their own appointments."""
    if actor.can(BOOK):
        return
    if actor.can(BOOK_OWN) and actor.user is not None and str(actor.user.pk) == str(provider_id):
        return
    if actor.can(PORTAL) and actor.patient_id and patient_id is not None and str(patient_id) == str(actor.patient_id):
        return
    raise PermissionDenied(permission=BOOK)


@dataclass
class BookingRequest:
    patient_id: object
    service_ids: list
    provider_id: object
    start: datetime
    location_id: object = None
    room_id: object = None
    addon_ids: list = field(default_factory=list)
    notes: str = ""
    source: str = BookingSource.ADMIN
    double_book: bool = False
    online: bool = False
    status: str = AppointmentStatus.SCHEDULED


def default_location(actor: Actor, location_id=None):
    """The given location's id, or the clinic's only active location when none is given."""
    if location_id:
        return as_uuid(location_id, "location_id")
    locations = list(Location.objects.filter(clinic=actor.clinic, is_active=True).values_list("pk", flat=True)[:2])
    if len(locations) == 1:
        return locations[0]
    raise InvalidInput("Choose a location.", fields={"location_id": ["Required when the clinic has several."]})


def location_of(actor: Actor, location_id) -> Location:
    location = Location.objects.filter(clinic=actor.clinic, pk=as_uuid(location_id, "location_id")).first()
    if location is None:
        raise NotFound("Location not found.", fields={"location_id": ["Unknown location."]})
    return location


def require_practitioner(actor: Actor, user_id) -> None:
    from medspa.catalog.selectors import provider_candidates

    if not provider_candidates(actor=Actor.system(clinic=actor.clinic)).filter(pk=user_id).exists():
        raise InvalidInput("Not a practitioner of this clinic.", fields={"provider_id": ["Not a practitioner here."]})


def bookable_patient(actor: Actor, patient_id):
    """The live profile to book for (one light read), or 404 — another clinic's looks missing."""
    patient = (
        patients_for(actor)
        .filter(pk=as_uuid(patient_id, "patient_id"))
        .only("id", "clinic_id", "profile_type", "first_name", "preferred_name", "last_name")
        .first()
    )
    if patient is None:
        raise NotFound("Patient not found.", fields={"patient_id": ["Unknown patient."]})
    return patient
