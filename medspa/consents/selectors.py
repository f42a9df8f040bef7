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

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from medspa.booking.tokens import secret_hash
from medspa.consents.choices import FormKind, FormStatus, PhotoPermission
from medspa.consents.models import Form, FormLink, FormRequirement, FormRevocation, FormSubmission, FormVersion
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import NotFound, PermissionDenied
from medspa.patients.models import Patient

VIEW = "consents.view"
CLINICAL = "patients.view_clinical"
# Forms whose answers are clinical information (the profile's clinical fields are, too).
CLINICAL_KINDS = frozenset({FormKind.INTAKE, FormKind.ASSESSMENT})


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


def submission_get(
    *, actor: Actor, submission_id, audit: str = "form_submission.viewed", via: str = "page", content: bool = True
):
    """One submission with its version (the read is audited; `audit=""` when the caller audits).
    Medical history and assessments are clinical: showing their answers (`content`) also needs
    `patients.view_clinical` (consents, releases and policies need only `consents.view`); a
    caller that withholds the answers asks with `content=False`."""
    submission = (
        submissions_for(actor)
        .select_related("form", "version", "patient", "appointment")
        .filter(pk=as_uuid(submission_id))
        .first()
    )
    if submission is None:
        raise NotFound()
    if content and not content_visible(actor, submission):
        raise PermissionDenied("Medical history and assessments are clinical information.", permission=CLINICAL)
    if audit:
        audit_record(
            action=audit, actor=actor, obj=submission, patient_id=str(submission.patient_id), changes={"via": via}
        )
    return submission


def content_visible(actor: Actor, submission: FormSubmission) -> bool:
    """Whether the actor may see the submission's answers (clinical forms need clinical access)."""
    return submission.form.kind not in CLINICAL_KINDS or actor.can(CLINICAL)


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


def link_form_id(token) -> uuid.UUID | None:
    """The form a link's token opens (None for no such link), whatever the link's state: a
    token only ever answers for its own form."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return FormLink.objects.filter(token_hash=secret_hash(token)).values_list("form_id", flat=True).first()


def revocation_times(*, actor: Actor, submissions) -> dict:
    """{submission id: when it was revoked} for those of `submissions` that were."""
    actor.require(VIEW)
    return dict(
        FormRevocation.objects.filter(clinic=actor.clinic, submission__in=[s.pk for s in submissions]).values_list(
            "submission_id", "revoked_at"
        )
    )


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


ID, NUMBER, EXPIRES = 0, 1, 2  # positions in a submission history row


def _standing(required_forms, history, revoked, start) -> Standing:
    results = []
    for form in required_forms:
        subs = history.get(form["id"], [])
        status, chosen = FormStatus.MISSING, None
        for sub in subs:  # newest first
            if sub[ID] in revoked:
                status, chosen = (FormStatus.REVOKED, sub) if chosen is None else (status, chosen)
                continue
            if sub[NUMBER] < form["material_version"]:
                status, chosen = (FormStatus.OUTDATED, sub) if chosen is None else (status, chosen)
                continue
            if sub[EXPIRES] is not None and sub[EXPIRES] <= start:
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
                submission_id=chosen[ID] if chosen else None,
                expires_at=chosen[EXPIRES] if chosen else None,
            )
        )
    return Standing(tuple(results))


def standings(*, clinic_id, appointments: list[dict]) -> dict:
    """{appointment id: Standing} for rows with `id`, `patient_id`, `service_id`,
    `provider_id` and `start_at`, in three queries however many appointments there are."""
    if not appointments:
        return {}
    # Ids as UUIDs whatever the caller holds (a freshly created row may carry strings).
    appointments = [
        {**a, **{k: _uuid_or_none(a[k]) for k in ("patient_id", "service_id", "provider_id")}} for a in appointments
    ]
    rules = list(
        FormRequirement.objects.filter(clinic_id=clinic_id, form__active=True, form__current_version__gt=0).values_list(
            "service_id", "provider_id", "form_id", "form__name", "form__kind", "form__material_version"
        )
    )
    if not rules:
        return {a["id"]: Standing(()) for a in appointments}
    # Rules by (service, provider); None stands for "any".
    by_key: dict = defaultdict(list)
    for service_id, provider_id, form_id, name, kind, material in rules:
        by_key[(service_id, provider_id)].append(
            {"id": form_id, "name": name, "kind": kind, "material_version": material}
        )
    owner = record_ids(clinic_id, list({a["patient_id"] for a in appointments}))
    history: dict = defaultdict(lambda: defaultdict(list))
    revoked = set()
    subs = (
        FormSubmission.objects.filter(
            clinic_id=clinic_id, patient_id__in=list(owner), form_id__in={r[2] for r in rules}
        )
        .annotate(revoked=Exists(FormRevocation.objects.filter(submission_id=OuterRef("pk"))))
        .order_by("-submitted_at")
        .values_list("id", "version__number", "expires_at", "patient_id", "form_id", "revoked")
    )
    # Rows as tuples (a day's history is tens of thousands of rows): (id, number, expires_at, …).
    for sub in subs:
        history[owner[sub[3]]][sub[4]].append(sub)
        if sub[5]:
            revoked.add(sub[ID])
    result = {}
    for a in appointments:
        required: dict = {}
        service, provider = a["service_id"], a["provider_id"]
        for key in ((None, None), (service, None), (None, provider), (service, provider)):
            for form in by_key.get(key, ()):
                required.setdefault(form["id"], form)
        found = sorted(required.values(), key=lambda f: f["name"])
        result[a["id"]] = _standing(found, history[a["patient_id"]], revoked, a["start_at"])
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


# --- staff pages: the consents dashboard, the submission viewer, the profile tab ---------


@dataclass(frozen=True)
class Outstanding:
    """An appointment whose required forms are not all complete, with the unused links
    already out to the patient by form id."""

    appointment: object
    standing: Standing
    links: dict


def open_links(*, actor: Actor, patient_ids) -> dict:
    """{(patient id, form id): the newest link the patient can still use} for these patients."""
    from medspa.consents.choices import SubmissionVia

    actor.require(VIEW)
    rows = (
        FormLink.objects.filter(
            clinic=actor.clinic,
            patient_id__in=list(patient_ids),
            submission__isnull=True,
            cancelled_at__isnull=True,
            expires_at__gt=timezone.now(),
            via=SubmissionVia.LINK,
        )
        .order_by("created_at")
        .only("id", "patient_id", "form_id", "created_at", "expires_at", "channel")
    )
    return {(row.patient_id, row.form_id): row for row in rows}


def appointments_outstanding(
    *, actor: Actor, start: datetime, end: datetime, provider_id=None, location_id=None
) -> list[Outstanding]:
    """Appointments starting in [start, end) that still happen and whose required forms are
    not all complete, soonest first. A provider limited to their own calendar sees only
    theirs; the query count does not grow with the number of appointments."""
    from medspa.scheduling import selectors as scheduling
    from medspa.scheduling.choices import AppointmentStatus as S

    actor.require(VIEW)
    # Appointments that still happen: a cancelled, missed or finished one needs no forms.
    still_on = (S.REQUESTED, S.SCHEDULED, S.CONFIRMED, S.ARRIVED, S.IN_PROGRESS)
    appointments = list(
        scheduling.calendar(actor, start=start, end=end, provider_id=provider_id, location_id=location_id).filter(
            start_at__gte=start, status__in=still_on
        )
    )
    found = standings_for(clinic_id=actor.clinic.pk, appointments=appointments)
    waiting = [a for a in appointments if not found[a.pk].ok]
    links = open_links(actor=actor, patient_ids={a.patient_id for a in waiting}) if waiting else {}
    result = []
    for a in waiting:
        standing = found[a.pk]
        out = {r.form_id: links.get((a.patient_id, r.form_id)) for r in standing.outstanding}
        result.append(Outstanding(appointment=a, standing=standing, links={k: v for k, v in out.items() if v}))
    return result


def expiring_submissions(*, actor: Actor, start: datetime, end: datetime, limit: int = 100) -> list[FormSubmission]:
    """Submissions that stop counting in [start, end), soonest first: not revoked, of a form
    still in use, and with no later unrevoked submission of the same form by the same
    patient that lasts longer (the consents to renew)."""
    from django.db.models import Exists, OuterRef, Q

    revoked = FormRevocation.objects.filter(submission_id=OuterRef("pk"))
    renewed = FormSubmission.objects.filter(
        clinic_id=OuterRef("clinic_id"),
        patient_id=OuterRef("patient_id"),
        form_id=OuterRef("form_id"),
        submitted_at__gt=OuterRef("submitted_at"),
    ).filter(
        ~Exists(FormRevocation.objects.filter(submission_id=OuterRef("pk"))),
        Q(expires_at__isnull=True) | Q(expires_at__gt=OuterRef("expires_at")),
    )
    return list(
        submissions_for(actor)
        .filter(expires_at__gte=start, expires_at__lt=end, form__active=True)
        .exclude(Exists(revoked))
        .exclude(Exists(renewed))
        .select_related("form", "version", "patient")
        .order_by("expires_at")[:limit]
    )


def profile_reviews_pending(*, actor: Actor) -> QuerySet[FormSubmission]:
    """Submissions offering profile updates (allergies, medications, skin type) that no one
    has reviewed yet, oldest first."""
    from medspa.consents.choices import ProfileReview

    return (
        submissions_for(actor)
        .filter(profile_review=ProfileReview.PENDING)
        .select_related("form", "patient")
        .order_by("submitted_at")
    )


def submission_revocation(*, submission: FormSubmission) -> FormRevocation | None:
    """The submission's revocation (the first recorded one counts), with who recorded it."""
    return (
        FormRevocation.objects.filter(clinic_id=submission.clinic_id, submission=submission)
        .select_related("recorded_by")
        .order_by("revoked_at")
        .first()
    )


def submission_state(submission: FormSubmission, *, revoked: bool, at: datetime | None = None) -> str:
    """Whether a submission still counts: complete (valid), revoked, outdated (a material
    change was published since) or expired. Needs `form` loaded."""
    if revoked:
        return FormStatus.REVOKED
    if submission.version.number < submission.form.material_version:
        return FormStatus.OUTDATED
    if submission.expires_at is not None and submission.expires_at <= (at or timezone.now()):
        return FormStatus.EXPIRED
    return FormStatus.COMPLETE


def submission_signature_files(*, actor: Actor, submission: FormSubmission) -> dict:
    """{field key: StoredFile} of the drawn signatures of a submission the actor has loaded."""
    from medspa.core.models import StoredFile

    actor.require(VIEW)
    wanted = {m["image_file_id"]: m["field"] for m in submission.signatures if m.get("image_file_id")}
    if not wanted:
        return {}
    stored = StoredFile.all_objects.filter(clinic=actor.clinic, pk__in=[as_uuid(k) for k in wanted])
    return {wanted[str(f.pk)]: f for f in stored}


def submission_signature_urls(*, actor: Actor, submission: FormSubmission) -> dict:
    """{field key: short-lived URL} of the drawn signatures (one audited issuance)."""
    from medspa.core import files

    found = submission_signature_files(actor=actor, submission=submission)
    live = {field: f for field, f in found.items() if f.deleted_at is None}
    if not live:
        return {}
    urls = files.signed_urls(
        actor=actor, stored=list(live.values()), permission=VIEW, patient_id=str(submission.patient_id)
    )
    return {field: urls[f.pk] for field, f in live.items() if f.pk in urls}


@dataclass(frozen=True)
class ConsentActivity:
    """What happened to a patient's forms, for the profile timeline (names and times only)."""

    submissions: list
    revocations: list
    links: list


def patient_consent_activity(*, actor: Actor, patient_id, limit: int) -> ConsentActivity:
    """The patient's latest submissions, revocations and links sent (through merges), at most
    `limit` of each, newest first. Titles and times only, so not audited as a read."""
    from medspa.consents.choices import SubmissionVia

    actor.require(VIEW)
    ids = list(record_ids(actor.clinic.pk, [as_uuid(patient_id)]))
    limit = max(0, int(limit))
    return ConsentActivity(
        submissions=list(
            submissions_for(actor)
            .filter(patient_id__in=ids)
            .select_related("version")
            .only("id", "submitted_at", "signer_name", "via", "version", "version__name", "version__number")
            .order_by("-submitted_at")[:limit]
        ),
        revocations=list(
            FormRevocation.objects.filter(clinic=actor.clinic, patient_id__in=ids)
            .select_related("submission__version", "recorded_by")
            .only(
                "id",
                "reason",
                "by_patient",
                "revoked_at",
                "submission",
                "submission__version",
                "recorded_by",
                "submission__version__name",
                "submission__version__number",
                "recorded_by__first_name",
                "recorded_by__last_name",
                "recorded_by__email",
            )
            .order_by("-revoked_at")[:limit]
        ),
        links=list(
            FormLink.objects.filter(clinic=actor.clinic, patient_id__in=ids, via=SubmissionVia.LINK)
            .select_related("form", "sent_by")
            .order_by("-created_at")[:limit]
        ),
    )
