"""Reads of online booking. The public ones (`portal_for`, `public_*`) return only what a
stranger may see — the menu, practitioners' public profiles, free times — never staff or
patient data; the booking ones need the booking's secret token or its manage link."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from medspa.booking.choices import BookingKind
from medspa.booking.models import BookingSettings, OnlineBooking, PractitionerProfile
from medspa.booking.tokens import manage_booking_id, secret_hash
from medspa.catalog.choices import Concern, DepositKind, TreatmentType
from medspa.catalog.selectors import provider_candidates, services_for
from medspa.core.actors import Actor
from medspa.core.errors import Gone, InvalidInput, NotFound, PermissionDenied
from medspa.core.models import Clinic, Location
from medspa.scheduling.availability.loader import Search, from_minute
from medspa.scheduling.selectors import booking_rules, online_slots, visit_appointments
from medspa.scheduling.services import as_uuid

MAX_AVAILABILITY_DAYS = 14
MONEY = Decimal("0.01")
DISABLED = "Online booking is not available for this clinic. Please call us to book."


@dataclass
class Portal:
    """One clinic's portal as the public sees it, at one location."""

    clinic: Clinic
    settings: BookingSettings
    locations: list[Location]
    location: Location
    actor: Actor
    rules: dict = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.location.timezone)


def booking_settings(clinic: Clinic) -> BookingSettings:
    """The clinic's settings row (defaults until someone saves the settings page)."""
    return BookingSettings.objects.filter(clinic=clinic).first() or BookingSettings(clinic=clinic)


def portal_for(slug: str, location_id=None) -> Portal:
    """The open portal of the clinic with this slug (404 when unknown or turned off), at the
    given location or the clinic's first active one."""
    clinic = Clinic.objects.filter(slug=str(slug or "")[:60], is_active=True).first()
    if clinic is None:
        raise NotFound(DISABLED, code="portal_unavailable")
    settings = booking_settings(clinic)
    if not settings.enabled:
        raise NotFound(DISABLED, code="portal_unavailable")
    locations = list(Location.objects.filter(clinic=clinic, is_active=True).order_by("name"))
    if not locations:
        raise NotFound(DISABLED, code="portal_unavailable")
    location = locations[0]
    if location_id:
        wanted = str(as_uuid(location_id, "location_id"))
        location = next((loc for loc in locations if str(loc.pk) == wanted), None)
        if location is None:
            raise NotFound("That location does not take online bookings.", fields={"location_id": ["Unknown."]})
    actor = Actor.portal(clinic=clinic)
    return Portal(clinic, settings, locations, location, actor, booking_rules(actor, location.pk))


def deposit_for(settings: BookingSettings, service) -> Decimal:
    """The deposit a service asks online: its own rule, else the clinic-wide one."""
    kind, value = service.deposit_kind, service.deposit_value
    if kind == DepositKind.NONE:
        kind, value = settings.deposit_kind, settings.deposit_value
    if kind == DepositKind.FIXED:
        amount = Decimal(value)
    elif kind == DepositKind.PERCENT:
        amount = Decimal(service.price) * Decimal(value) / 100
    else:
        return Decimal("0")
    return min(amount, Decimal(service.price) if service.price else amount).quantize(MONEY, ROUND_HALF_UP)


def portal_deposit(settings: BookingSettings, service_ids) -> Decimal:
    """The deposit a visit of these services asks online (the sum of each service's)."""
    actor = Actor.system(clinic=settings.clinic)
    services = services_for(actor=actor, include_inactive=True).filter(pk__in=list(service_ids))
    return sum((deposit_for(settings, s) for s in services), start=Decimal("0"))


@dataclass(frozen=True)
class ServiceFilters:
    q: str = ""
    category_id: str = ""
    concern: str = ""
    treatment_type: str = ""
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    max_minutes: int | None = None


def public_services(portal: Portal, filters: ServiceFilters = ServiceFilters()) -> list[dict]:
    """The online menu at the portal's location, filtered; each with its public facts.
    An unknown concern or treatment type is a 422; NUL characters in the search are dropped."""
    if filters.concern and filters.concern not in Concern.values:
        raise InvalidInput("Unknown concern.", fields={"concern": ["Unknown."]})
    if filters.treatment_type and filters.treatment_type not in TreatmentType.values:
        raise InvalidInput("Unknown treatment type.", fields={"treatment_type": ["Unknown."]})
    filters = dataclasses.replace(filters, q=filters.q.replace("\x00", "").strip())
    services = services_for(
        actor=portal.actor,
        location=portal.location.pk,
        online_only=True,
        include_addons=False,
        concern=filters.concern,
        treatment_type=filters.treatment_type,
        category=as_uuid(filters.category_id, "category_id") if filters.category_id else None,
    ).select_related("category", "consultation_service")
    if filters.q:
        services = services.filter(name__icontains=filters.q[:80])
    if filters.min_price is not None:
        services = services.filter(price__gte=filters.min_price)
    if filters.max_price is not None:
        services = services.filter(price__lte=filters.max_price)
    if filters.max_minutes is not None:
        services = services.filter(duration_minutes__lte=filters.max_minutes)
    services = services.prefetch_related("addons")
    return [_service_json(portal, s) for s in services]


def _service_json(portal: Portal, service) -> dict:
    consultation = service.consultation_service
    return {
        "id": str(service.pk),
        "name": service.name,
        "description": service.description,
        "category": service.category.name if service.category else "",
        "category_id": str(service.category_id) if service.category_id else None,
        "duration_minutes": service.duration_minutes,
        "price": str(service.price),
        "deposit": str(deposit_for(portal.settings, service)),
        "concerns": list(service.concerns or []),
        "treatment_type": service.treatment_type,
        "requires_consultation": (
            {
                "service_id": str(consultation.pk),
                "name": consultation.name,
                "within_months": service.consultation_valid_months,
            }
            if consultation
            else None
        ),
        "addons": [
            {"id": str(a.pk), "name": a.name, "duration_minutes": a.duration_minutes, "price": str(a.price)}
            for a in service.addons.all()
            if a.active and a.bookable_online and a.deleted_at is None
        ],
    }


def _online_here(portal: Portal):
    return services_for(actor=portal.actor, location=portal.location.pk, online_only=True, include_addons=False)


def public_service_map(portal: Portal, service_ids) -> dict:
    """The chosen online services at the portal's location by id, in the order given (422
    for anything else)."""
    wanted = [str(as_uuid(s, "service_ids")) for s in service_ids]
    found = {str(s.pk): s for s in _online_here(portal).select_related("consultation_service").filter(pk__in=wanted)}
    missing = [s for s in wanted if s not in found]
    if missing or not wanted:
        raise InvalidInput(
            "That service cannot be booked online here.",
            code="service_unavailable",
            fields={"service_ids": ["Unknown."]},
        )
    return {pk: found[pk] for pk in wanted}


def chosen_services(portal: Portal, service_ids) -> dict[str, dict]:
    """The public facts of the chosen services only, by id in the order given (422 as above)."""
    services = public_service_map(portal, service_ids)
    rows = _online_here(portal).filter(pk__in=list(services)).select_related("category", "consultation_service")
    facts = {str(s.pk): _service_json(portal, s) for s in rows.prefetch_related("addons")}
    return {pk: facts[pk] for pk in services}


def public_practitioners(portal: Portal, service_ids=()) -> list[dict]:
    """Practitioners shown by name online (all, or those performing every chosen service)."""
    people = provider_candidates(actor=portal.actor)
    for service_id in service_ids:
        people = people.filter(catalog_services=as_uuid(service_id, "service_ids"))
    people = list(people.distinct())
    profiles = {str(p.user_id): p for p in PractitionerProfile.objects.filter(clinic=portal.clinic, user__in=people)}
    result = []
    for person in people:
        profile = profiles.get(str(person.pk))
        if profile is not None and not profile.listed:
            continue
        result.append(
            {
                "id": str(person.pk),
                "display_name": profile.display_name if profile else short_name(person),
                "credentials": profile.credentials if profile else "",
                "bio": profile.bio if profile else "",
                "has_photo": bool(profile and profile.photo_id),
            }
        )
    return result


def practitioner_photo(portal: Portal, user_id):
    """The stored photo of a practitioner named on this portal, or None."""
    profile = (
        PractitionerProfile.objects.filter(clinic=portal.clinic, user_id=as_uuid(user_id, "user_id"), listed=True)
        .select_related("photo")
        .first()
    )
    return profile.photo if profile else None


def practitioner_profiles(actor: Actor, users) -> dict:
    """The clinic's portal profiles of these users, by user id (staff settings)."""
    if not actor.can("settings.manage"):
        raise PermissionDenied(permission="settings.manage")
    rows = PractitionerProfile.objects.filter(clinic=actor.clinic, user__in=list(users)).select_related("photo")
    return {p.user_id: p for p in rows}


def short_name(user) -> str:
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    return f"{first} {last[:1]}." if first and last else (first or "Practitioner")


def practitioner_names(portal: Portal) -> dict[str, str]:
    return {p["id"]: p["display_name"] for p in public_practitioners(portal)}


def public_availability(
    portal: Portal, service_ids, *, practitioner_id=None, start: date, days: int = 7, addon_ids=()
) -> list[dict]:
    """Free start times per local day over `days` days from `start`, each with the
    practitioners free then. The engine's online rules apply."""
    if not 1 <= days <= MAX_AVAILABILITY_DAYS:
        raise InvalidInput(f"Ask for 1 to {MAX_AVAILABILITY_DAYS} days.", fields={"days": ["Out of range."]})
    public_service_map(portal, service_ids)
    zone = portal.zone
    begin = datetime.combine(start, time(0), tzinfo=zone)
    end = datetime.combine(start + timedelta(days=days), time(0), tzinfo=zone)
    providers = None  # "anyone": every practitioner performing the services, named online or not
    if practitioner_id:
        wanted = str(as_uuid(practitioner_id, "practitioner_id"))
        if wanted not in practitioner_names(portal):
            raise NotFound("That practitioner is not available online.", fields={"practitioner_id": ["Unknown."]})
        providers = frozenset({wanted})
    search = Search(
        service_ids=tuple(str(as_uuid(s, "service_ids")) for s in service_ids),
        location_id=portal.location.pk,
        start=begin,
        end=end,
        provider_ids=providers,
        online=True,
        addon_ids=tuple(str(as_uuid(a, "addon_ids")) for a in addon_ids),
        now=timezone.now(),
    )
    slots, _context = online_slots(portal.actor, search)
    by_day: dict[date, dict[int, list[str]]] = {}
    for start_minute, _end, provider in slots:
        local = from_minute(start_minute).astimezone(zone)
        by_day.setdefault(local.date(), {}).setdefault(start_minute, []).append(provider)
    result = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        times = by_day.get(day, {})
        result.append(
            {
                "date": day.isoformat(),
                "times": [
                    {
                        "start": from_minute(minute).astimezone(zone).isoformat(),
                        "label": from_minute(minute).astimezone(zone).strftime("%-I:%M %p"),
                        "practitioner_ids": sorted(set(who)),
                    }
                    for minute, who in sorted(times.items())
                ],
            }
        )
    return result


def booking_for_token(portal: Portal | None, token: str, *, for_update: bool = False) -> OnlineBooking:
    """The booking this secret token continues (404 for anything else, another clinic's too)."""
    rows = OnlineBooking.objects.select_related("hold", "location", "clinic")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    booking = rows.filter(token_hash=secret_hash(str(token or "")[:200])).first()
    if booking is None or (portal is not None and booking.clinic_id != portal.clinic.pk):
        raise NotFound("This booking link is not valid.", code="booking_not_found")
    return booking


def booking_for_manage(token: str) -> OnlineBooking:
    """The booked visit a manage link names: 404 when forged, 410 once the visit has ended."""
    booking_id = manage_booking_id(str(token or "")[:500])
    booking = None
    if booking_id:
        booking = (
            OnlineBooking.objects.select_related("clinic", "location", "visit")
            .filter(pk=as_uuid(booking_id, "token"), visit__isnull=False)
            .first()
        )
    if booking is None:
        raise NotFound("This link is not valid.", code="manage_link_invalid")
    appointments = visit_appointments(Actor.system(clinic=booking.clinic), booking.visit_id)
    if not appointments or appointments[-1].end_at <= timezone.now():
        raise Gone("This link has expired: the appointment is over.", code="manage_link_expired")
    booking.appointments = appointments
    return booking


def booking_summary(booking: OnlineBooking) -> dict:
    """What the patient may see of their own booking: services, times, where, with whom, the
    deposit and state — never their details or anything else from their record."""
    hold = booking.hold
    actor = Actor.system(clinic=booking.clinic)
    names = {p["id"]: p["display_name"] for p in _all_practitioner_names(actor)}
    services = dict(
        services_for(actor=actor, include_inactive=True).filter(pk__in=hold.service_ids).values_list("pk", "name")
    )
    zone = ZoneInfo(booking.location.timezone)
    appointments = getattr(booking, "appointments", None)
    if appointments is None and booking.visit_id:
        appointments = visit_appointments(actor, booking.visit_id)
    items = (
        [
            {
                "service": a.service.name,
                "start": a.start_at.astimezone(zone).isoformat(),
                "end": a.end_at.astimezone(zone).isoformat(),
                "status": a.status,
            }
            for a in appointments
        ]
        if appointments
        else [
            {"service": services.get(as_uuid(pk, "service_ids"), ""), "start": None, "end": None}
            for pk in hold.service_ids
        ]
    )
    start = (appointments[0].start_at if appointments else hold.start_at).astimezone(zone)
    end = (appointments[-1].end_at if appointments else hold.end_at).astimezone(zone)
    return {
        "state": booking.state,
        "kind": booking.kind,
        "clinic": booking.clinic.name,
        "location": {"name": booking.location.name, "address": _address(booking.location)},
        "practitioner": names.get(str(hold.provider_id), "Your practitioner"),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "timezone": booking.location.timezone,
        "services": items,
        "deposit": str(booking.deposit_amount),
        "currency": booking.clinic.currency,
        "hold_expires_at": hold.expires_at.isoformat() if booking.state in ("holding", "awaiting_payment") else None,
        "is_link": booking.kind == BookingKind.LINK,
    }


def _all_practitioner_names(actor: Actor) -> list[dict]:
    profiles = {str(p.user_id): p.display_name for p in PractitionerProfile.objects.filter(clinic=actor.clinic)}
    return [
        {"id": str(u.pk), "display_name": profiles.get(str(u.pk)) or short_name(u)}
        for u in provider_candidates(actor=actor)
    ]


def _address(location: Location) -> str:
    parts = [location.address_line1, location.address_line2, location.city, location.region, location.postal_code]
    return ", ".join(p for p in parts if p)


def pending_bookings(actor: Actor, start: datetime, end: datetime):
    """Bookings still in progress (time held) meeting [start, end), for the staff calendar."""
    if not (actor.can("scheduling.view") or actor.can("scheduling.view_own")):
        raise PermissionDenied(permission="scheduling.view")
    return (
        OnlineBooking.objects.filter(
            clinic=actor.clinic,
            state__in=["holding", "awaiting_payment"],
            hold__start_at__lt=end,
            hold__end_at__gt=start,
            hold__expires_at__gt=timezone.now(),
        )
        .select_related("hold")
        .order_by("hold__start_at")
    )
