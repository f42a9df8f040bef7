"""Staff side of online booking: the settings page, practitioners' public profiles,
finish-your-booking links, and the sweep that ends lapsed bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from medspa.booking.choices import OPEN_STATES, BookingKind, BookingState, NotificationKind
from medspa.booking.models import BookingSettings, OnlineBooking, PractitionerProfile
from medspa.booking.notifications import notify
from medspa.booking.selectors import booking_settings, portal_deposit
from medspa.booking.tokens import new_secret
from medspa.booking.validation import clean_details
from medspa.catalog.selectors import provider_candidates
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound
from medspa.scheduling.choices import BookingSource, HoldStatus
from medspa.scheduling.services import HoldRequest, as_uuid, hold_place, hold_release, holds_expire, policy_update
from medspa.scheduling.settings_selectors import policy_values as booking_rules_values

SETTINGS_FIELDS = (
    "enabled",
    "hold_minutes",
    "link_hold_minutes",
    "require_approval_new_patients",
    "max_future_bookings",
    "cancellation_notice_hours",
    "cancellation_policy",
    "deposit_kind",
    "deposit_value",
    "intake_form_required",
    "headline",
    "meta_description",
    "primary_color",
)


def settings_update(actor: Actor, *, values: dict, version: int | None = None) -> BookingSettings:
    """Change the clinic's online booking settings. A new policy text (or notice hours) is a
    new policy version, so every later acceptance names the text it agreed to."""
    actor.require("settings.manage")
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise InvalidInput("Unknown settings.", fields={name: ["Unknown."] for name in sorted(unknown)})
    with transaction.atomic():
        current = BookingSettings.objects.select_for_update().filter(clinic=actor.clinic).first()
        current = current or BookingSettings(clinic=actor.clinic)
        if version is not None and current.pk and int(version) != current.version:
            raise Conflict("Someone else changed these settings; reload the page.", code="stale")
        before = {name: getattr(current, name) for name in SETTINGS_FIELDS}
        for name, value in values.items():
            setattr(current, name, value)
        try:
            current.full_clean(exclude=["clinic", "logo", "background"])
        except ValidationError as error:
            raise InvalidInput("Some settings are not valid.", fields=getattr(error, "message_dict", {})) from None
        changed = {
            n: [str(before[n]), str(getattr(current, n))] for n in SETTINGS_FIELDS if before[n] != getattr(current, n)
        }
        if "cancellation_policy" in changed or "cancellation_notice_hours" in changed:
            current.policy_version += 1 if current.pk else 0
        if current.pk:
            current.version += 1
        current.save()
        audit_record(action="booking.settings_updated", actor=actor, obj=current, changes=changed)
        return current


def settings_save(actor: Actor, *, values: dict, online_rules: dict, version: int | None = None) -> BookingSettings:
    """The settings page in one transaction: the portal's settings and the online notice and
    window of the clinic's booking rules (changed only when they differ); either both save or
    neither does."""
    with transaction.atomic():
        saved = settings_update(actor, values=values, version=version)
        current = booking_rules_values(actor)
        if any(current.get(name) != value for name, value in online_rules.items()):
            policy_update(actor, **online_rules)
        return saved


def profile_update(actor: Actor, *, user_id, display_name: str, credentials: str = "", bio: str = "", listed=True):
    """Set how a practitioner appears on the portal."""
    actor.require("settings.manage")
    user = provider_candidates(actor=actor).filter(pk=as_uuid(user_id, "user_id")).first()
    if user is None:
        raise NotFound("Practitioner not found.", fields={"user_id": ["Not a practitioner here."]})
    with transaction.atomic():
        profile = PractitionerProfile.objects.filter(clinic=actor.clinic, user=user).first()
        profile = profile or PractitionerProfile(clinic=actor.clinic, user=user)
        profile.display_name = (display_name or "").strip()
        profile.credentials = (credentials or "").strip()
        profile.bio = (bio or "").strip()
        profile.listed = bool(listed)
        try:
            profile.full_clean(exclude=["clinic", "user", "photo"])
        except ValidationError as error:
            raise InvalidInput("Check the profile.", fields=getattr(error, "message_dict", {})) from None
        profile.save()
        audit_record(action="booking.profile_updated", actor=actor, obj=profile)
        return profile


@dataclass
class FinishLink:
    booking: OnlineBooking
    token: str

    @property
    def path(self) -> str:
        return f"/book/finish/{self.token}/"


def link_create(
    actor: Actor,
    *,
    first_name: str,
    phone: str,
    service_ids: list,
    start: datetime,
    practitioner_id=None,
    location_id=None,
    email: str = "",
) -> FinishLink:
    """Staff hold a time for a patient on the phone and get a private link for them to add
    their details, accept the policy and pay any deposit under the portal's rules. The hold
    lasts the settings' link hold minutes and lapses like any other."""
    clean = clean_details({"first_name": first_name, "last_name": "-", "phone": phone, "email": email})
    if not clean.phone:
        raise InvalidInput("Enter the patient's mobile number.", fields={"phone": ["Required."]})
    settings = booking_settings(actor.clinic)
    with transaction.atomic():
        hold = hold_place(
            actor,
            HoldRequest(
                service_ids=list(service_ids or []),
                start=start,
                minutes=settings.link_hold_minutes,
                provider_id=practitioner_id,
                location_id=location_id,
                source=BookingSource.ADMIN,
            ),
        )
        token, digest = new_secret()
        booking = OnlineBooking.objects.create(
            clinic=actor.clinic,
            kind=BookingKind.LINK,
            hold=hold,
            location_id=hold.location_id,
            token_hash=digest,
            first_name=clean.first_name,
            phone=clean.phone,
            contact_email=clean.email,
            deposit_amount=portal_deposit(settings, hold.service_ids),
            created_by=actor.user,
        )
        audit_record(action="online_booking.link_created", actor=actor, obj=booking)
        notify(booking, NotificationKind.FINISH_LINK, link_token=token)
        return FinishLink(booking, token)


def link_cancel(actor: Actor, booking_id) -> OnlineBooking:
    """Staff withdraw a finish-your-booking link that is still open; its time is released."""
    with transaction.atomic():
        booking = (
            OnlineBooking.objects.select_for_update()
            .filter(clinic=actor.clinic, pk=as_uuid(booking_id, "booking_id"))
            .first()
        )
        if booking is None:
            raise NotFound("Booking not found.")
        hold_release(actor, booking.hold_id)
        if booking.state in OPEN_STATES:
            booking.state = BookingState.RELEASED
            booking.save(update_fields=["state", "updated_at"])
            audit_record(action="online_booking.link_cancelled", actor=actor, obj=booking)
        return booking


def bookings_expire(now=None) -> int:
    """System sweep: lapsed holds give their time back; their unfinished bookings expire."""
    now = now or timezone.now()
    holds_expire(now)
    return OnlineBooking.objects.filter(
        state__in=OPEN_STATES, hold__status__in=[HoldStatus.EXPIRED, HoldStatus.RELEASED]
    ).update(state=BookingState.EXPIRED, updated_at=now)
