"""Reads of patient records, scoped to the actor's clinic and trimmed to what the role may see."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet, prefetch_related_objects
from rapidfuzz import fuzz

from medspa.core.actors import Actor
from medspa.core.errors import NotFound
from medspa.core.models import AuditEvent
from medspa.patients.models import Communication, Patient, Relationship, Tag
from medspa.patients.normalize import PREFIX_END, digits, fold, name_key
from medspa.patients.services import CLINICAL_FIELDS

MAX_LIMIT = 100
NAME_KEYS = ("first_key", "last_key", "preferred_key")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y")


def patients_for(actor: Actor) -> QuerySet[Patient]:
    """Every live profile of the actor's clinic (the one access-checked entry point)."""
    actor.require("patients.view")
    return Patient.objects.filter(clinic=actor.clinic)


def patient_get(*, actor: Actor, patient_id) -> Patient:
    """One profile, or 404 — a missing profile and another clinic's look the same."""
    patient = patients_for(actor).prefetch_related("tags", "allergies").filter(pk=patient_id).first()
    if patient is None:
        raise NotFound("Patient not found.")
    return patient


def merged_survivor_id(*, actor: Actor, patient_id):
    """Where a merged (soft-deleted) profile now lives, for redirects; None otherwise."""
    actor.require("patients.view")
    return (
        Patient.all_objects.filter(clinic=actor.clinic, pk=patient_id, merged_into__isnull=False)
        .values_list("merged_into_id", flat=True)
        .first()
    )


def hidden_fields(actor: Actor) -> frozenset[str]:
    """Patient fields this actor may not see (omitted from responses, not nulled)."""
    return frozenset() if actor.can("patients.view_clinical") else frozenset(CLINICAL_FIELDS)


def _prefix(column: str, value: str) -> Q:
    return Q(**{f"{column}__gte": value, f"{column}__lt": value + PREFIX_END})


def _parse_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class SearchPlan:
    """How a search box text is read: one kind, and the index-friendly conditions for it."""

    kind: str  # "all" | "name" | "phone" | "email" | "dob"
    driver: list[Q]  # alternatives, each answerable by one index range
    filters: Q
    order: tuple[str, ...] = ("last_key", "first_key", "id")
    # Under 3 characters each range is read in its own index order and stops early;
    # the page is then sorted by name but is not the global first page (no global sort).
    early_stop: bool = False


def plan_search(q: str) -> SearchPlan:
    text = (q or "").strip()
    if not text:
        return SearchPlan("all", [Q()], Q())
    if "@" in text:
        value = text.lower()
        return SearchPlan("email", [_prefix("email_lower", value)], Q(), order=("email_lower", "id"))
    day = _parse_date(text)
    if day is not None:
        return SearchPlan("dob", [Q(date_of_birth=day)], Q())
    if re.fullmatch(r"[\d\s()+.\-]+", text) and len(digits(text)) >= 3:
        number = digits(text)
        if len(number) == 11 and number.startswith("1"):
            number = number[1:]  # typed with the North American country code
        driver = [_prefix("phone_digits", number), _prefix("alt_phone_digits", number)]
        if len(number) == 4:
            driver.append(Q(phone_last4=number))
        return SearchPlan("phone", driver, Q(), order=("phone_digits", "id"), early_stop=True)
    tokens = sorted({name_key(t) for t in fold(text).split() if name_key(t)}, key=len, reverse=True)
    if not tokens:
        return SearchPlan("all", [Q()], Q())
    lead, rest = tokens[0], tokens[1:]
    filters = Q()
    for token in rest:
        filters &= _prefix("first_key", token) | _prefix("last_key", token) | _prefix("preferred_key", token)
    return SearchPlan("name", [_prefix(column, lead) for column in NAME_KEYS], filters, early_stop=len(lead) < 3)


def patient_search(
    *,
    actor: Actor,
    q: str = "",
    status: str = "",
    tag: str = "",
    offset: int = 0,
    limit: int = 20,
    created_from: date | None = None,
    created_to: date | None = None,
    visit_from: date | None = None,
    visit_to: date | None = None,
) -> tuple[list[Patient], bool]:
    """Profiles matching the search box and filters, by name; returns (page, has_more).

    Each alternative of the plan runs as its own index range scan with a limit, and the
    results are merged, so a keystroke costs a few short index reads at any clinic size.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    plan = plan_search(q)
    base = patients_for(actor).filter(plan.filters)
    if status:
        base = base.filter(status=status)
    if tag:
        base = base.filter(tags__pk=tag) if _is_uuid(tag) else base.filter(tags__name__iexact=tag)
    if created_from:
        base = base.filter(created_at__date__gte=created_from)
    if created_to:
        base = base.filter(created_at__date__lte=created_to)
    if visit_from:
        base = base.filter(last_visit_at__date__gte=visit_from)
    if visit_to:
        base = base.filter(last_visit_at__date__lte=visit_to)
    wanted = offset + limit + 1
    found: dict = {}
    for alternative in plan.driver:
        ordering = _own_order(alternative) if plan.early_stop else plan.order
        for patient in base.filter(alternative).order_by(*ordering)[:wanted]:
            found.setdefault(patient.pk, patient)
    ordered = sorted(found.values(), key=lambda p: tuple(str(getattr(p, f)) for f in plan.order))
    page = ordered[offset : offset + limit]
    prefetch_related_objects(page, "tags", "allergies")
    return page, len(ordered) > offset + limit


def _own_order(alternative: Q) -> tuple[str, ...]:
    """The indexed column a range alternative scans, so the database can stop early."""
    return (alternative.children[0][0].split("__")[0], "id")


def _is_uuid(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F-]{32,36}", value or ""))


def patient_duplicates(
    *,
    actor: Actor,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    email: str = "",
    date_of_birth: date | None = None,
    exclude_id=None,
) -> list[tuple[Patient, str]]:
    """Likely duplicates of the given details, with why: same phone, same email, or a similar
    name with the same date of birth. A warning for staff, never a block."""
    from medspa.patients.normalize import InvalidPhone, national_digits, to_e164

    reasons: dict = {}
    candidates = patients_for(actor)
    if exclude_id:
        candidates = candidates.exclude(pk=exclude_id)
    try:
        number = national_digits(to_e164(phone)) if phone else ""
    except InvalidPhone:
        number = ""
    if number:
        for p in candidates.filter(Q(phone_digits=number) | Q(alt_phone_digits=number))[:10]:
            reasons.setdefault(p.pk, (p, "same phone"))
    if email:
        for p in candidates.filter(email_lower=email.strip().lower())[:10]:
            reasons.setdefault(p.pk, (p, "same email"))
    if date_of_birth and (first_name or last_name):
        wanted = f"{fold(first_name)} {fold(last_name)}".strip()
        for p in candidates.filter(date_of_birth=date_of_birth)[:50]:
            score = fuzz.token_sort_ratio(wanted, f"{fold(p.first_name)} {fold(p.last_name)}")
            if score >= 80:
                reasons.setdefault(p.pk, (p, "similar name, same date of birth"))
    return list(reasons.values())


def patient_duplicates_of(*, actor: Actor, patient: Patient) -> list[tuple[Patient, str]]:
    """Likely duplicates of an existing profile (itself excluded)."""
    return patient_duplicates(
        actor=actor,
        first_name=patient.first_name,
        last_name=patient.last_name,
        phone=patient.phone,
        email=patient.email,
        date_of_birth=patient.date_of_birth,
        exclude_id=patient.pk,
    )


def patient_relationships(*, actor: Actor, patient_id) -> QuerySet[Relationship]:
    patient_get(actor=actor, patient_id=patient_id)
    return Relationship.objects.filter(clinic=actor.clinic, patient_id=patient_id).select_related("related")


def patient_communications(*, actor: Actor, patient_id) -> QuerySet[Communication]:
    patient_get(actor=actor, patient_id=patient_id)
    return Communication.objects.filter(clinic=actor.clinic, patient_id=patient_id).select_related("staff")


def tag_list(*, actor: Actor) -> QuerySet[Tag]:
    actor.require("patients.view")
    return Tag.objects.filter(clinic=actor.clinic)


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    at: datetime
    title: str
    summary: str
    link: str
    actor: str


TIMELINE_TITLES = {
    "patient.created": "Profile created",
    "patient.updated": "Profile updated",
    "patient.status_changed": "Status changed",
    "patient.relationship_added": "Family link added",
    "patient.relationship_removed": "Family link removed",
    "patient.merged": "Duplicate merged in",
}


def patient_timeline(*, actor: Actor, patient_id, offset: int = 0, limit: int = 30) -> tuple[list[TimelineEntry], bool]:
    """Everything about the patient, newest first: profile history and communications.

    Later modules (appointments, charts, photos, consents, invoices) add their entries here.
    """
    patient_get(actor=actor, patient_id=patient_id)
    limit = max(1, min(int(limit), MAX_LIMIT))
    window = offset + limit + 1
    entries: list[TimelineEntry] = []
    events = AuditEvent.objects.filter(
        clinic=actor.clinic, patient_id=str(patient_id), action__in=list(TIMELINE_TITLES)
    )
    for event in events.order_by("-created_at")[:window]:
        summary = ", ".join(sorted(event.changes)) if event.action == "patient.updated" else event.summary
        if event.action == "patient.status_changed":
            summary = " → ".join(event.changes.get("status", []))
        entries.append(
            TimelineEntry("profile", event.created_at, TIMELINE_TITLES[event.action], summary, "", event.actor_label)
        )
    for entry in patient_communications(actor=actor, patient_id=patient_id)[:window]:
        staff = entry.staff.full_name if entry.staff else ""
        title = f"{entry.get_kind_display()} ({entry.get_direction_display().lower()})"
        entries.append(TimelineEntry("communication", entry.occurred_at, title, entry.body[:280], "", staff))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[offset : offset + limit], len(entries) > offset + limit
