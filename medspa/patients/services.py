"""Writes to patient records: create, edit (with version check), status, soft delete,
relationships (both directions), tags and the communications log."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from medspa.core import files
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from medspa.core.models import StoredFile
from medspa.patients.choices import (
    INVERSE_RELATIONSHIP,
    CommunicationKind,
    Direction,
    PatientSource,
    PatientStatus,
    RelationshipKind,
)
from medspa.patients.models import Allergy, Communication, Patient, PatientTag, Relationship, Tag
from medspa.patients.normalize import InvalidPhone, digits, name_key, national_digits, to_e164

# Fields anyone with patients.edit may write.
DEMOGRAPHIC_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "sex_at_birth",
    "email",
    "phone",
    "alternate_phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
    "status",
    "profile_type",
    "referral_source",
    "medical_alerts",
    "notes",
    "email_reminders",
    "sms_reminders",
    "marketing_emails",
    "marketing_sms",
    "photo_marketing_consent",
    "clinical_photo_consent",
)
# Fields that also need patients.view_clinical to read or write.
CLINICAL_FIELDS = (
    "medications",
    "medical_history",
    "clinical_notes",
    "skin_type",
    "aesthetic_concerns",
    "preferred_treatment_areas",
)
PHONE_FIELDS = ("phone", "alternate_phone", "emergency_contact_phone")
LIST_FIELDS = ("medical_alerts", "medications", "aesthetic_concerns", "preferred_treatment_areas")


def _clean(actor: Actor, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validate and normalise incoming values; raise InvalidInput with every field error."""
    errors: dict[str, str] = {}
    unknown = set(data) - set(DEMOGRAPHIC_FIELDS) - set(CLINICAL_FIELDS) - {"tags", "allergies", "primary_contact_id"}
    if unknown:
        errors.update(dict.fromkeys(sorted(unknown), "Unknown field."))
    if any(name in data for name in CLINICAL_FIELDS) and not actor.can("patients.view_clinical"):
        raise PermissionDenied("Clinical fields need clinical access.", permission="patients.view_clinical")
    clean = dict(data)
    for name in ("first_name", "last_name"):
        if name in clean or creating:
            clean[name] = (clean.get(name) or "").strip()
            if not clean[name]:
                errors[name] = "This field is required."
    if clean.get("email"):
        clean["email"] = clean["email"].strip().lower()
        try:
            validate_email(clean["email"])
        except ValidationError:
            errors["email"] = "Enter a valid email address."
    for name in PHONE_FIELDS:
        if name in clean:
            try:
                clean[name] = to_e164(clean[name] or "", region=clean.get("country") or "US")
            except InvalidPhone as exc:
                errors[name] = str(exc)
    dob = clean.get("date_of_birth")
    if isinstance(dob, date) and dob > timezone.localdate():
        errors["date_of_birth"] = "Date of birth cannot be in the future."
    for name in LIST_FIELDS:
        if name in clean:
            values = clean[name] or []
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                errors[name] = "Give a list of short texts."
            else:
                clean[name] = [v.strip()[:200] for v in values if v and v.strip()][:50]
    if "status" in clean and clean["status"] not in PatientStatus.values:
        errors["status"] = "Choose a valid status."
    if "tags" in clean:
        wanted = {str(t) for t in clean["tags"] or []}
        found = {str(pk) for pk in Tag.objects.filter(clinic=actor.clinic, pk__in=wanted).values_list("pk", flat=True)}
        if wanted - found:
            errors["tags"] = "Unknown tag."
    contact = clean.get("primary_contact_id")
    if contact and not Patient.objects.filter(clinic=actor.clinic, pk=contact).exists():
        errors["primary_contact_id"] = "Unknown profile."
    if errors:
        raise InvalidInput(fields=errors)
    return clean


def _search_columns(patient: Patient) -> None:
    patient.first_key = name_key(patient.first_name)[:80]
    patient.last_key = name_key(patient.last_name)[:80]
    patient.preferred_key = name_key(patient.preferred_name)[:80]
    patient.phone_digits = national_digits(patient.phone)
    patient.phone_last4 = digits(patient.phone)[-4:]
    patient.alt_phone_digits = national_digits(patient.alternate_phone)
    patient.email_lower = (patient.email or "").lower()


def _validated(patient: Patient) -> None:
    try:
        patient.full_clean(exclude=["clinic", "merged_into", "primary_contact"])
    except ValidationError as exc:
        raise InvalidInput(fields={k: " ".join(v) for k, v in exc.message_dict.items()}) from exc


def _set_tags(actor: Actor, patient: Patient, tag_ids) -> None:
    PatientTag.objects.filter(clinic=actor.clinic, patient=patient).exclude(tag_id__in=tag_ids).delete()
    existing = set(PatientTag.objects.filter(patient=patient).values_list("tag_id", flat=True))
    PatientTag.objects.bulk_create(
        [PatientTag(clinic=actor.clinic, patient=patient, tag_id=t) for t in tag_ids if t not in existing]
    )


def _set_allergies(actor: Actor, patient: Patient, allergies: list[dict]) -> None:
    errors = {}
    rows = []
    for index, item in enumerate(allergies or []):
        substance = str(item.get("substance", "")).strip()
        if not substance:
            errors[f"allergies.{index}.substance"] = "Name the substance."
            continue
        rows.append(
            Allergy(
                clinic=actor.clinic,
                patient=patient,
                substance=substance[:120],
                reaction=str(item.get("reaction", ""))[:200],
                severity=item.get("severity") or "unknown",
            )
        )
    for row in rows:
        try:
            row.full_clean(exclude=["clinic", "patient"])
        except ValidationError as exc:
            errors.update({f"allergies.{k}": " ".join(v) for k, v in exc.message_dict.items()})
    if errors:
        raise InvalidInput(fields=errors)
    Allergy.objects.filter(clinic=actor.clinic, patient=patient).delete()
    Allergy.objects.bulk_create(rows)


def patient_create(
    *,
    actor: Actor,
    data: dict[str, Any],
    source: str = PatientSource.STAFF,
    possible_duplicate_of: Patient | None = None,
) -> Patient:
    """Create a profile; only first and last name are required. Duplicates warn, never block;
    a profile created online whose details resemble another is flagged for staff to review."""
    actor.require("patients.edit")
    clean = _clean(actor, data, creating=True)
    tags = clean.pop("tags", None)
    allergies = clean.pop("allergies", None)
    if source not in PatientSource.values:
        raise InvalidInput("Unknown source.", fields={"source": ["Unknown."]})
    with transaction.atomic():
        patient = Patient(clinic=actor.clinic, source=source, possible_duplicate_of=possible_duplicate_of, **clean)
        _search_columns(patient)
        _validated(patient)
        patient.save()
        if tags:
            _set_tags(actor, patient, list(tags))
        if allergies:
            _set_allergies(actor, patient, allergies)
        audit_record(
            action="patient.created", actor=actor, obj=patient, patient_id=patient.pk, changes={"fields": sorted(clean)}
        )
    return patient


def patient_update(*, actor: Actor, patient_id, data: dict[str, Any], version: int | None) -> Patient:
    """Change a profile. A stale `version` (someone saved in between) is refused with 409."""
    actor.require("patients.edit")
    clean = _clean(actor, data, creating=False)
    tags = clean.pop("tags", None)
    allergies = clean.pop("allergies", None)
    with transaction.atomic():
        patient = Patient.objects.select_for_update().filter(clinic=actor.clinic, pk=patient_id).first()
        if patient is None:
            raise NotFound()
        if version is not None and patient.version != version:
            raise Conflict("Someone else changed this profile; reload it and try again.", code="stale_version")
        changes = {k: [getattr(patient, k), v] for k, v in clean.items() if getattr(patient, k) != v}
        for name, value in clean.items():
            setattr(patient, name, value)
        if "status" in changes:
            patient.status_changed_at = timezone.now()
        _search_columns(patient)
        _validated(patient)
        patient.version = F("version") + 1
        patient.save()
        patient.refresh_from_db()
        if tags is not None:
            _set_tags(actor, patient, list(tags))
            changes["tags"] = "updated"
        if allergies is not None:
            _set_allergies(actor, patient, allergies)
            changes["allergies"] = "updated"
        visible = {k: v for k, v in changes.items() if k not in CLINICAL_FIELDS}
        visible.update({k: "changed" for k in changes if k in CLINICAL_FIELDS})
        action = "patient.status_changed" if set(changes) == {"status"} else "patient.updated"
        audit_record(action=action, actor=actor, obj=patient, patient_id=patient.pk, changes=visible)
    return patient


def patient_delete(*, actor: Actor, patient_id) -> None:
    """Soft-delete: the profile disappears from lists and search but is kept for the record."""
    actor.require("patients.edit")
    with transaction.atomic():
        updated = Patient.objects.filter(clinic=actor.clinic, pk=patient_id).update(
            deleted_at=timezone.now(), version=F("version") + 1
        )
        if not updated:
            raise NotFound()
        audit_record(
            action="patient.deleted",
            actor=actor,
            object_type="patients.patient",
            object_id=str(patient_id),
            patient_id=patient_id,
        )


def relationship_create(*, actor: Actor, patient_id, related_id, kind: str) -> Relationship:
    """Link two profiles; the inverse link (parent <-> child …) is written in the same step."""
    actor.require("patients.edit")
    if kind not in RelationshipKind.values:
        raise InvalidInput(fields={"kind": "Choose a valid relationship."})
    if str(patient_id) == str(related_id):
        raise InvalidInput(fields={"related_id": "A profile cannot be related to itself."})
    with transaction.atomic():
        pair = list(Patient.objects.filter(clinic=actor.clinic, pk__in=[patient_id, related_id]))
        if len(pair) != 2:
            raise NotFound()
        try:
            with transaction.atomic():
                link = Relationship.objects.create(
                    clinic=actor.clinic, patient_id=patient_id, related_id=related_id, kind=kind
                )
                Relationship.objects.create(
                    clinic=actor.clinic,
                    patient_id=related_id,
                    related_id=patient_id,
                    kind=INVERSE_RELATIONSHIP[RelationshipKind(kind)],
                )
        except IntegrityError as exc:
            raise Conflict("These profiles are already linked.") from exc
        audit_record(
            action="patient.relationship_added",
            actor=actor,
            obj=link,
            patient_id=patient_id,
            changes={"related": str(related_id), "kind": kind},
        )
    return link


def relationship_delete(*, actor: Actor, patient_id, related_id) -> None:
    actor.require("patients.edit")
    with transaction.atomic():
        removed, _ = Relationship.objects.filter(
            clinic=actor.clinic, patient_id__in=[patient_id, related_id], related_id__in=[patient_id, related_id]
        ).delete()
        if not removed:
            raise NotFound()
        audit_record(
            action="patient.relationship_removed",
            actor=actor,
            object_type="patients.relationship",
            object_id=str(related_id),
            patient_id=patient_id,
        )


def communication_create(
    *, actor: Actor, patient_id, kind: str, body: str, direction: str = Direction.OUTBOUND, occurred_at=None
) -> Communication:
    """Log a call, text, email, desk visit or note against the patient."""
    actor.require("patients.edit")
    errors = {}
    if kind not in CommunicationKind.values:
        errors["kind"] = "Choose a valid kind."
    if direction not in Direction.values:
        errors["direction"] = "Choose inbound, outbound or internal."
    body = (body or "").strip()
    if not body:
        errors["body"] = "Write what happened."
    elif len(body) > 5000:
        errors["body"] = "Keep it under 5,000 characters."
    if occurred_at and occurred_at > timezone.now() + timezone.timedelta(minutes=5):
        errors["occurred_at"] = "This time is in the future."
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        if not Patient.objects.filter(clinic=actor.clinic, pk=patient_id).exists():
            raise NotFound()
        entry = Communication.objects.create(
            clinic=actor.clinic,
            patient_id=patient_id,
            kind=kind,
            direction=direction,
            staff=actor.user,
            body=body,
            occurred_at=occurred_at or timezone.now(),
        )
        audit_record(
            action="patient.communication_logged",
            actor=actor,
            obj=entry,
            patient_id=patient_id,
            changes={"kind": kind, "direction": direction},
        )
    return entry


def _tag_values(name: str, color: str) -> tuple[str, str]:
    """A tag's trimmed name and lower-case colour, or InvalidInput naming every bad field."""
    name = (name or "").strip()
    color = color or ""
    errors = {}
    if not name or len(name) > 40:
        errors["name"] = "Give the tag a name of up to 40 characters."
    if not (len(color) == 7 and color.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in color[1:])):
        errors["color"] = "Use a hex colour like #a855f7."
    if errors:
        raise InvalidInput(fields=errors)
    return name, color.lower()


def _refuse_taken_tag_name(actor: Actor, name: str, *, other_than=None) -> None:
    # Names are unique per clinic ignoring case ("VIP" and "vip" would read as one tag).
    taken = Tag.objects.filter(clinic=actor.clinic, name__iexact=name)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    if taken.exists():
        raise Conflict("A tag with this name exists.", fields={"name": "Already in use."})


def tag_create(*, actor: Actor, name: str, color: str = "#a855f7") -> Tag:
    actor.require("patients.edit")
    name, color = _tag_values(name, color)
    with transaction.atomic():
        _refuse_taken_tag_name(actor, name)
        tag = Tag.objects.create(clinic=actor.clinic, name=name, color=color)
        audit_record(action="patient.tag_created", actor=actor, obj=tag)
    return tag


def tag_update(*, actor: Actor, tag_id, name: str, color: str) -> Tag:
    """Rename and/or recolour a tag. Another clinic's tag is NotFound; a name another tag of
    the clinic has (in any case) is a Conflict on `name`; nothing is written on bad input."""
    actor.require("patients.edit")
    name, color = _tag_values(name, color)
    with transaction.atomic():
        tag = Tag.objects.select_for_update().filter(clinic=actor.clinic, pk=tag_id).first()
        if tag is None:
            raise NotFound()
        _refuse_taken_tag_name(actor, name, other_than=tag.pk)
        changes = {k: [getattr(tag, k), v] for k, v in (("name", name), ("color", color)) if getattr(tag, k) != v}
        if not changes:
            return tag
        tag.name, tag.color = name, color
        try:
            with transaction.atomic():
                tag.save(update_fields=["name", "color", "updated_at"])
        except IntegrityError as exc:  # a concurrent rename or create took the name
            raise Conflict("A tag with this name exists.", fields={"name": "Already in use."}) from exc
        audit_record(action="patient.tag_updated", actor=actor, obj=tag, changes=changes)
    return tag


def tag_delete(*, actor: Actor, tag_id) -> int:
    """Delete a tag and take it off every profile that carries it (closed profiles too).
    Returns how many profiles lost the tag; the audit event records the name and that count."""
    actor.require("patients.edit")
    with transaction.atomic():
        tag = Tag.objects.select_for_update().filter(clinic=actor.clinic, pk=tag_id).first()
        if tag is None:
            raise NotFound()
        untagged, _ = PatientTag.objects.filter(clinic=actor.clinic, tag=tag).delete()
        audit_record(
            action="patient.tag_deleted",
            actor=actor,
            obj=tag,
            changes={"name": tag.name, "color": tag.color, "patients": untagged},
        )
        tag.delete()
    return untagged


MERGEABLE_FIELDS = tuple(f for f in DEMOGRAPHIC_FIELDS + CLINICAL_FIELDS if f != "status")


def patient_merge(*, actor: Actor, survivor_id, duplicate_id, fields: dict[str, str] | None = None) -> Patient:
    """Fold `duplicate` into `survivor` in one transaction.

    `fields` picks, per profile field, which profile's value wins ("survivor" by default,
    or "duplicate"). Every record pointing at the duplicate moves to the survivor through
    the merge registry; the duplicate is kept, soft-deleted, with `merged_into` set.
    """
    from medspa.patients import merge

    actor.require("patients.merge")
    fields = fields or {}
    errors = {}
    if str(survivor_id) == str(duplicate_id):
        errors["duplicate_id"] = "A profile cannot be merged into itself."
    for name, choice in fields.items():
        if name not in MERGEABLE_FIELDS:
            errors[f"fields.{name}"] = "This field cannot be chosen."
        elif choice not in ("survivor", "duplicate"):
            errors[f"fields.{name}"] = 'Choose "survivor" or "duplicate".'
        elif name in CLINICAL_FIELDS and not actor.can("patients.view_clinical"):
            errors[f"fields.{name}"] = "Clinical fields need clinical access."
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        pair = {
            str(p.pk): p
            for p in Patient.all_objects.select_for_update().filter(
                clinic=actor.clinic, pk__in=[survivor_id, duplicate_id]
            )
        }
        survivor, duplicate = pair.get(str(survivor_id)), pair.get(str(duplicate_id))
        if survivor is None or duplicate is None:
            raise NotFound()
        if duplicate.merged_into_id or survivor.merged_into_id:
            raise Conflict("One of these profiles was already merged into another.", code="already_merged")
        if duplicate.deleted_at or survivor.deleted_at:
            raise NotFound()
        taken = {name: getattr(duplicate, name) for name, choice in fields.items() if choice == "duplicate"}
        moved = {}
        for (label, field), entry in merge.registered().items():
            moved[f"{label}.{field}"] = entry.mover(entry.model, field, duplicate, survivor)
        if duplicate.photo_id and not survivor.photo_id:
            # The survivor had no photo: it takes the duplicate's (a photo has one profile).
            Patient.all_objects.filter(pk=duplicate.pk).update(photo=None)
            survivor.photo_id = duplicate.photo_id
            moved["patients.patient.photo"] = 1
        for name, value in taken.items():
            setattr(survivor, name, value)
        _search_columns(survivor)
        survivor.version = F("version") + 1
        survivor.save()
        Patient.all_objects.filter(pk=duplicate.pk).update(
            merged_into=survivor, deleted_at=timezone.now(), version=F("version") + 1
        )
        changes = {"duplicate": str(duplicate.pk), "fields_taken": sorted(taken), "moved": moved}
        audit_record(action="patient.merged", actor=actor, obj=survivor, patient_id=survivor.pk, changes=changes)
        audit_record(
            action="patient.merged_away",
            actor=actor,
            obj=duplicate,
            patient_id=duplicate.pk,
            changes={"survivor": str(survivor.pk)},
        )
    survivor.refresh_from_db()
    return survivor


# Profile photo -------------------------------------------------------------------------

PHOTO_KIND = "patient_photo"


def patient_photo_set(*, actor: Actor, patient_id, upload) -> Patient:
    """Set or replace the profile photo from an uploaded image.

    The image is checked, re-encoded without metadata and encrypted before anything is
    written; a bad file is InvalidInput on `photo` and changes nothing. A replaced photo
    stays, soft-deleted, so the audit trail can still name it.
    """
    actor.require("patients.edit")
    if not Patient.objects.filter(clinic=actor.clinic, pk=patient_id).exists():
        raise NotFound()
    # Decoding is slow and runs in a worker process: before the transaction, not inside it.
    prepared = files.prepare_image(upload=upload, field="photo")
    with files.blob_written(prepared), transaction.atomic():
        patient = Patient.objects.select_for_update().filter(clinic=actor.clinic, pk=patient_id).first()
        if patient is None:
            raise NotFound()
        previous = patient.photo_id
        now = timezone.now()
        if previous:
            StoredFile.objects.filter(clinic=actor.clinic, pk=previous).update(deleted_at=now)
        stored = files.stored_file_create(actor=actor, prepared=prepared, kind=PHOTO_KIND)
        Patient.objects.filter(pk=patient.pk).update(photo=stored, updated_at=now)
        audit_record(
            action="patient.photo_replaced" if previous else "patient.photo_set",
            actor=actor,
            obj=patient,
            patient_id=patient.pk,
            changes={
                "file": str(stored.pk),
                "replaced": str(previous) if previous else None,
                "content_type": stored.content_type,
                "bytes": stored.size,
                "width": stored.width,
                "height": stored.height,
            },
        )
    patient.refresh_from_db()
    return patient


def patient_photo_remove(*, actor: Actor, patient_id) -> Patient:
    """Take the photo off the profile (the file is kept, soft-deleted). No photo: no change."""
    actor.require("patients.edit")
    with transaction.atomic():
        patient = Patient.objects.select_for_update().filter(clinic=actor.clinic, pk=patient_id).first()
        if patient is None:
            raise NotFound()
        previous = patient.photo_id
        if previous is None:
            return patient
        now = timezone.now()
        StoredFile.objects.filter(clinic=actor.clinic, pk=previous).update(deleted_at=now)
        Patient.objects.filter(pk=patient.pk).update(photo=None, updated_at=now)
        audit_record(
            action="patient.photo_removed",
            actor=actor,
            obj=patient,
            patient_id=patient.pk,
            changes={"file": str(previous)},
        )
    patient.refresh_from_db()
    return patient


def patient_photo_url(*, actor: Actor, patient: Patient) -> str | None:
    """A short-lived signed URL of the profile photo, or None without one.

    For anyone who may see the profile (`patients.view`); `patient` comes from the
    access-checked selector. Issuing the URL is audited (a read of a photo).
    """
    actor.require("patients.view")
    if not patient.photo_id or patient.clinic_id != actor.clinic_id:
        return None
    stored = StoredFile.objects.filter(clinic=actor.clinic, pk=patient.photo_id).first()
    if stored is None:
        return None
    return files.signed_url(actor=actor, stored=stored, permission="patients.view", patient_id=patient.pk)
