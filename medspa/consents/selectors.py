"""Reads of forms and consents: the forms, a patient's submissions, the standing of every form
a visit requires, the photo permissions a patient has given. Reads of a submission (what a
patient signed) are audited.

A required form counts for an appointment when the patient (or a profile merged into them)
has a submission of it that is not revoked, answers a version at or after the form's last
material change, and has not expired by the appointment's start.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from medspa.consents.choices import FormStatus, PhotoPermission
from medspa.consents.models import Form, FormLink, FormRequirement, FormRevocation, FormSubmission, FormVersion
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import NotFound
from medspa.patients.models import Patient

VIEW = "consents.view"


def as_uuid(value):
    """A UUID from `value`, or NotFound (a malformed id looks exactly like a missing one)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise NotFound() from None


def forms_for(actor: Actor) -> QuerySet[Form]:
    actor.require(VIEW)
    return Form.objects.filter(clinic=actor.clinic)


def form_list(*, actor: Actor, include_retired: bool = True) -> QuerySet[Form]:
    forms = forms_for(actor)
    return forms if include_retired else forms.filter(active=True)


def form_get(*, actor: Actor, form_id) -> Form:
    form = forms_for(actor).filter(pk=as_uuid(form_id)).first()
    if form is None:
        raise NotFound()
    return form


def form_for_update(*, actor: Actor, form_id) -> Form:
    """The form row locked for a write (inside the caller's transaction); 404 otherwise."""
    form = Form.objects.select_for_update().filter(clinic=actor.clinic, pk=as_uuid(form_id)).first()
    if form is None:
        raise NotFound()
    return form


def form_versions(*, actor: Actor, form: Form) -> QuerySet[FormVersion]:
    actor.require(VIEW)
    return FormVersion.objects.filter(clinic=actor.clinic, form=form).order_by("-number")


def current_version(form: Form) -> FormVersion | None:
    if not form.current_version:
        return None
    return FormVersion.objects.filter(clinic_id=form.clinic_id, form=form, number=form.current_version).first()


def form_requirements(*, actor: Actor, form: Form) -> QuerySet[FormRequirement]:
    actor.require(VIEW)
    return FormRequirement.objects.filter(clinic=actor.clinic, form=form).select_related("service", "provider")


def submissions_for(actor: Actor) -> QuerySet[FormSubmission]:
    actor.require(VIEW)
    return FormSubmission.objects.filter(clinic=actor.clinic)


def form_submissions(*, actor: Actor, form_id) -> QuerySet[FormSubmission]:
    form = form_get(actor=actor, form_id=form_id)
    rows = submissions_for(actor).filter(form=form).select_related("patient", "version").order_by("-submitted_at")
    audit_record(action="form.submissions_listed", actor=actor, obj=form)
    return rows


def submission_get(*, actor: Actor, submission_id, audit: str = "form_submission.viewed", via: str = "page"):
    """One submission with its version (the read is audited; `audit=""` when the caller audits)."""
    submission = (
        submissions_for(actor)
        .select_related("form", "version", "patient", "appointment")
        .filter(pk=as_uuid(submission_id))
        .first()
    )
    if submission is None:
        raise NotFound()
    if audit:
        audit_record(
            action=audit, actor=actor, obj=submission, patient_id=str(submission.patient_id), changes={"via": via}
        )
    return submission


def record_ids(clinic_id, patient_ids) -> dict:
    """For each patient, the ids of their profile and every profile merged into it."""
    owner = {pid: pid for pid in patient_ids}
    frontier = list(patient_ids)
    for _ in range(20):
        if not frontier:
            break
        rows = list(
            Patient.all_objects.filter(clinic_id=clinic_id, merged_into__in=frontier).values_list("pk", "merged_into")
        )
        for pk, into in rows:
            owner[pk] = owner[into]
        frontier = [pk for pk, _ in rows]
    return owner


def patient_submissions(*, actor: Actor, patient_id) -> list[FormSubmission]:
    """The patient's submissions (through merges), newest first, each with `revoked_at`."""
    owner = record_ids(actor.clinic.pk, [as_uuid(patient_id)])
    rows = list(
        submissions_for(actor)
        .filter(patient_id__in=list(owner))
        .select_related("form", "version")
        .order_by("-submitted_at")
    )
    revoked = dict(
        FormRevocation.objects.filter(clinic=actor.clinic, submission__in=rows).values_list(
            "submission_id", "revoked_at"
        )
    )
    for row in rows:
        row.revoked_at = revoked.get(row.pk)
    audit_record(
        action="form_submission.listed",
        actor=actor,
        object_type="patients.patient",
        object_id=str(patient_id),
        patient_id=str(patient_id),
    )
    return rows


def patient_links(*, actor: Actor, patient_id) -> QuerySet[FormLink]:
    actor.require(VIEW)
    return (
        FormLink.objects.filter(clinic=actor.clinic, patient_id=as_uuid(patient_id), cancelled_at__isnull=True)
        .select_related("form", "version", "appointment")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class Required:
    """One required form's standing for one appointment."""

    form_id: uuid.UUID
    name: str
    kind: str
    status: str
    submission_id: uuid.UUID | None = None
    expires_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status == FormStatus.COMPLETE


@dataclass(frozen=True)
class Standing:
    """Every required form of one appointment and the summary shown as its icon."""

    forms: tuple[Required, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.forms)

    @property
    def outstanding(self) -> list[Required]:
        return [r for r in self.forms if not r.ok]

    @property
    def summary(self) -> str:
        """'none' (nothing required), 'complete', or the worst outstanding status."""
        if not self.forms:
            return "none"
        return "complete" if self.ok else "missing"


def _standing(required_forms, history, revoked, start) -> Standing:
    results = []
    for form in required_forms:
        subs = history.get(form["id"], [])
        status, chosen = FormStatus.MISSING, None
        for sub in subs:  # newest first
            if sub["id"] in revoked:
                status, chosen = (FormStatus.REVOKED, sub) if chosen is None else (status, chosen)
                continue
            if sub["version__number"] < form["material_version"]:
                status, chosen = (FormStatus.OUTDATED, sub) if chosen is None else (status, chosen)
                continue
            if sub["expires_at"] is not None and sub["expires_at"] <= start:
                status, chosen = (FormStatus.EXPIRED, sub) if chosen is None else (status, chosen)
                continue
            status, chosen = FormStatus.COMPLETE, sub
            break
        results.append(
            Required(
                form_id=form["id"],
                name=form["name"],
                kind=form["kind"],
                status=status,
                submission_id=chosen["id"] if chosen else None,
                expires_at=chosen["expires_at"] if chosen else None,
            )
        )
    return Standing(tuple(results))


def standings(*, clinic_id, appointments: list[dict]) -> dict:
    """{appointment id: Standing} for rows with `id`, `patient_id`, `service_id`,
    `provider_id` and `start_at`, in four queries however many appointments there are."""
    if not appointments:
        return {}
    # Ids as UUIDs whatever the caller holds (a freshly created row may carry strings).
    appointments = [
        {**a, **{k: _uuid_or_none(a[k]) for k in ("patient_id", "service_id", "provider_id")}} for a in appointments
    ]
    rules = list(
        FormRequirement.objects.filter(clinic_id=clinic_id, form__active=True, form__current_version__gt=0).values(
            "service_id", "provider_id", "form_id", "form__name", "form__kind", "form__material_version"
        )
    )
    if not rules:
        return {a["id"]: Standing(()) for a in appointments}
    owner = record_ids(clinic_id, list({a["patient_id"] for a in appointments}))
    history: dict = defaultdict(lambda: defaultdict(list))
    subs = (
        FormSubmission.objects.filter(
            clinic_id=clinic_id, patient_id__in=list(owner), form_id__in={r["form_id"] for r in rules}
        )
        .order_by("-submitted_at")
        .values("id", "patient_id", "form_id", "version__number", "expires_at")
    )
    ids = []
    for sub in subs:
        history[owner[sub["patient_id"]]][sub["form_id"]].append(sub)
        ids.append(sub["id"])
    revoked = (
        set(
            FormRevocation.objects.filter(clinic_id=clinic_id, submission_id__in=ids).values_list(
                "submission_id", flat=True
            )
        )
        if ids
        else set()
    )
    result = {}
    for a in appointments:
        seen, required = set(), []
        for r in rules:
            if r["form_id"] in seen:
                continue
            if r["service_id"] not in (None, a["service_id"]) or r["provider_id"] not in (None, a["provider_id"]):
                continue
            seen.add(r["form_id"])
            required.append(
                {
                    "id": r["form_id"],
                    "name": r["form__name"],
                    "kind": r["form__kind"],
                    "material_version": r["form__material_version"],
                }
            )
        required.sort(key=lambda f: f["name"])
        result[a["id"]] = _standing(required, history[a["patient_id"]], revoked, a["start_at"])
    return result


def _uuid_or_none(value):
    return None if value in (None, "") else as_uuid(value)


APPOINTMENT_COLUMNS = ("id", "patient_id", "service_id", "provider_id", "start_at")


def appointment_standing(*, actor: Actor, appointment_id) -> Standing:
    """The required forms of one appointment of the actor's clinic (404 for any other)."""
    from medspa.scheduling.models import Appointment

    actor.require(VIEW)
    row = (
        Appointment.objects.filter(clinic=actor.clinic, pk=as_uuid(appointment_id)).values(*APPOINTMENT_COLUMNS).first()
    )
    if row is None:
        raise NotFound()
    return standings(clinic_id=actor.clinic.pk, appointments=[row])[row["id"]]


def standings_for(*, clinic_id, appointments) -> dict:
    """Standings for appointment model instances (the calendar and Today pages)."""
    rows = [{c: getattr(a, c) for c in APPOINTMENT_COLUMNS} for a in appointments]
    return standings(clinic_id=clinic_id, appointments=rows)


def photo_permissions(*, clinic_id, patient_id, at: datetime | None = None) -> dict[str, bool]:
    """What the patient's newest unrevoked photo release allows, permission by permission
    (all False without one). A revocation takes effect at once."""
    from medspa.consents.choices import FormKind

    owner = record_ids(clinic_id, [patient_id])
    at = at or timezone.now()
    latest = (
        FormSubmission.objects.filter(
            clinic_id=clinic_id, patient_id__in=list(owner), form__kind=FormKind.PHOTO_RELEASE
        )
        .exclude(revocations__isnull=False)
        .filter(models_expiry(at))
        .order_by("-submitted_at")
        .values("answers", "version__definition")
        .first()
    )
    granted = dict.fromkeys(PhotoPermission.values, False)
    if latest is None:
        return granted
    for section in latest["version__definition"]["sections"]:
        for field in section["fields"]:
            permission = field.get("permission")
            if permission and latest["answers"].get(field["key"]) == "yes":
                granted[permission] = True
    return granted


def models_expiry(at: datetime):
    from django.db.models import Q

    return Q(expires_at__isnull=True) | Q(expires_at__gt=at)
