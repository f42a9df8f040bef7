"""The portal's images: the clinic's logo and background, and practitioners' photos.

Every image goes through the private-file pipeline: checked, re-encoded without metadata and
encrypted before anything is written; a bad file is InvalidInput on the upload's field and
changes nothing. A replaced or removed image stays, soft-deleted, so the audit trail can still
name it. The portal shows these images to anyone, so only `settings.manage` may change them."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from medspa.booking.models import BookingSettings, PractitionerProfile
from medspa.booking.selectors import short_name
from medspa.catalog.selectors import provider_candidates
from medspa.core import files
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import InvalidInput, NotFound
from medspa.core.models import StoredFile
from medspa.scheduling.services import as_uuid

SETTINGS = "settings.manage"
BRANDING_IMAGES = ("logo", "background")
PHOTO_KIND = "practitioner_photo"


def _which(which: str) -> str:
    if which not in BRANDING_IMAGES:
        raise InvalidInput("Choose the logo or the background.", fields={"which": ["Unknown image."]})
    return which


def _prepared(upload, field: str) -> files.PreparedFile:
    if upload is None:
        raise InvalidInput("Choose an image to upload.", fields={field: ["Choose an image to upload."]})
    # Decoding is slow and runs in a worker process: before the transaction, not inside it.
    return files.prepare_image(upload=upload, field=field)


def _details(stored: StoredFile, previous) -> dict:
    return {
        "file": str(stored.pk),
        "replaced": str(previous) if previous else None,
        "content_type": stored.content_type,
        "bytes": stored.size,
        "width": stored.width,
        "height": stored.height,
    }


def _retire(actor: Actor, file_id, now) -> None:
    if file_id:
        StoredFile.objects.filter(clinic=actor.clinic, pk=file_id).update(deleted_at=now)


def _settings_locked(actor: Actor) -> BookingSettings:
    current = BookingSettings.objects.select_for_update().filter(clinic=actor.clinic).first()
    if current is None:
        current = BookingSettings(clinic=actor.clinic)
        current.save()
    return current


def branding_image_set(actor: Actor, *, which: str, upload) -> BookingSettings:
    """Set or replace the portal's logo or background image."""
    actor.require(SETTINGS)
    which = _which(which)
    prepared = _prepared(upload, which)
    with files.blob_written(prepared), transaction.atomic():
        current = _settings_locked(actor)
        previous = getattr(current, f"{which}_id")
        now = timezone.now()
        _retire(actor, previous, now)
        stored = files.stored_file_create(actor=actor, prepared=prepared, kind=f"booking_{which}")
        BookingSettings.objects.filter(pk=current.pk).update(**{which: stored, "updated_at": now})
        audit_record(
            action=f"booking.{which}_{'replaced' if previous else 'set'}",
            actor=actor,
            obj=current,
            changes=_details(stored, previous),
        )
    current.refresh_from_db()
    return current


def branding_image_remove(actor: Actor, *, which: str) -> BookingSettings:
    """Take the logo or background off the portal. No image: no change."""
    actor.require(SETTINGS)
    which = _which(which)
    with transaction.atomic():
        current = _settings_locked(actor)
        previous = getattr(current, f"{which}_id")
        if previous is None:
            return current
        now = timezone.now()
        _retire(actor, previous, now)
        BookingSettings.objects.filter(pk=current.pk).update(**{which: None, "updated_at": now})
        audit_record(action=f"booking.{which}_removed", actor=actor, obj=current, changes={"file": str(previous)})
    current.refresh_from_db()
    return current


def _practitioner(actor: Actor, user_id):
    user = provider_candidates(actor=actor).filter(pk=as_uuid(user_id, "user_id")).first()
    if user is None:
        raise NotFound("Practitioner not found.", fields={"user_id": ["Not a practitioner here."]})
    return user


def _profile_locked(actor: Actor, user) -> PractitionerProfile:
    """The practitioner's profile, created with their short name when they have none yet."""
    profile = PractitionerProfile.objects.select_for_update().filter(clinic=actor.clinic, user=user).first()
    if profile is None:
        profile = PractitionerProfile.objects.create(clinic=actor.clinic, user=user, display_name=short_name(user))
    return profile


def practitioner_photo_set(actor: Actor, *, user_id, upload) -> PractitionerProfile:
    """Set or replace the photo the portal shows for a practitioner."""
    actor.require(SETTINGS)
    user = _practitioner(actor, user_id)
    prepared = _prepared(upload, "photo")
    with files.blob_written(prepared), transaction.atomic():
        profile = _profile_locked(actor, user)
        previous = profile.photo_id
        now = timezone.now()
        _retire(actor, previous, now)
        stored = files.stored_file_create(actor=actor, prepared=prepared, kind=PHOTO_KIND)
        PractitionerProfile.objects.filter(pk=profile.pk).update(photo=stored, updated_at=now)
        audit_record(
            action="booking.practitioner_photo_replaced" if previous else "booking.practitioner_photo_set",
            actor=actor,
            obj=profile,
            changes=_details(stored, previous),
        )
    profile.refresh_from_db()
    return profile


def practitioner_photo_remove(actor: Actor, *, user_id) -> PractitionerProfile | None:
    """Take a practitioner's photo off the portal. No photo: no change."""
    actor.require(SETTINGS)
    user = _practitioner(actor, user_id)
    with transaction.atomic():
        profile = PractitionerProfile.objects.select_for_update().filter(clinic=actor.clinic, user=user).first()
        if profile is None or profile.photo_id is None:
            return profile
        previous = profile.photo_id
        now = timezone.now()
        _retire(actor, previous, now)
        PractitionerProfile.objects.filter(pk=profile.pk).update(photo=None, updated_at=now)
        audit_record(
            action="booking.practitioner_photo_removed", actor=actor, obj=profile, changes={"file": str(previous)}
        )
    profile.refresh_from_db()
    return profile
