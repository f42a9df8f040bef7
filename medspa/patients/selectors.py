"""Reads of patient records, scoped to the actor's clinic and trimmed to what the role may see."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Count, Q, QuerySet
from rapidfuzz import fuzz

from medspa.core.actors import Actor
from medspa.core.errors import NotFound
from medspa.core.models import AuditEvent
from medspa.core.pagination import clamp_offset
from medspa.patients.choices import ProfileType
from medspa.patients.models import Allergy, Communication, Patient, PatientTag, Relationship, Tag
from medspa.patients.normalize import PREFIX_END, digits, fold, name_key, query_words
from medspa.patients.services import CLINICAL_FIELDS
from medspa.patients.timeline import TimelineEntry, timeline_sources

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


def patient_record_ids(*, actor: Actor, patient_id) -> list:
    """The profile and every profile merged into it (directly or through earlier merges):
    records that stay with the profile they were written for (signed charts, clinical
    photos) are read through these ids."""
    actor.require("patients.view")
    ids = [patient_id]
    frontier = [patient_id]
    while frontier and len(ids) < 200:
        frontier = list(
            Patient.all_objects.filter(clinic=actor.clinic, merged_into__in=frontier).values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids


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


# The composite index each range alternative scans, in index order (see Patient.Meta.indexes).
INDEX_ORDER = {
    "first_key": ("first_key", "last_key", "id"),
    "last_key": ("last_key", "first_key", "id"),
    "preferred_key": ("preferred_key", "last_key", "id"),
    "phone_digits": ("phone_digits", "id"),
    "alt_phone_digits": ("alt_phone_digits", "id"),
    "phone_last4": ("phone_last4", "id"),
    "email_lower": ("email_lower", "id"),
    "date_of_birth": ("last_key", "first_key", "id"),
    "": ("last_key", "first_key", "id"),
}
# Every column a search condition or ordering may name. SQL is built only from these names.
SEARCH_COLUMNS = frozenset(INDEX_ORDER) - {""} | {"id"}


@dataclass(frozen=True)
class Match:
    """One indexed condition: `column` starts with `value` (or equals it when not `prefix`)."""

    column: str
    value: object
    prefix: bool = True

    def q(self) -> Q:
        return _prefix(self.column, self.value) if self.prefix else Q(**{self.column: self.value})

    def sql(self) -> tuple[str, list]:
        if self.column not in SEARCH_COLUMNS:
            raise ValueError(f"not a search column: {self.column}")
        if self.prefix:
            return f"({self.column} >= %s AND {self.column} < %s)", [self.value, self.value + PREFIX_END]
        value = connection.ops.adapt_datefield_value(self.value) if isinstance(self.value, date) else self.value
        return f"{self.column} = %s", [value]


@dataclass(frozen=True)
class Alternative:
    """One index range: rows where every group holds (a group holds when any of its matches does).

    `column` names the index the range runs on (a key of INDEX_ORDER).
    """

    column: str
    groups: tuple[tuple[Match, ...], ...] = ()

    def q(self) -> Q:
        condition = Q()
        for group in self.groups:
            either = Q()
            for match in group:
                either |= match.q()
            condition &= either
        return condition

    def sql(self) -> tuple[str, list]:
        clauses, params = [], []
        for group in self.groups:
            parts = [match.sql() for match in group]
            clauses.append("(" + " OR ".join(text for text, _ in parts) + ")")
            params += [value for _, values in parts for value in values]
        return " AND ".join(clauses), params


@dataclass(frozen=True)
class SearchPlan:
    """How a search box text is read: a kind, and alternatives that each one index range answers.

    `order` is the order of the page. With `early_stop` (a lead name token under 3 characters,
    or a phone fragment) each range is read in its own index order and stops after a page: the
    page is sorted but is not the global first page (no global sort on short input).
    """

    kind: str  # "all" | "name" | "phone" | "email" | "dob"
    alternatives: list[Alternative]
    order: tuple[str, ...] = ("last_key", "first_key", "id")
    early_stop: bool = False


def _name_alternatives(words: list[str]) -> list[Alternative]:
    """Every word must start one of the name keys; the longest word drives the index."""
    lead, *rest = sorted(words, key=len, reverse=True)
    others = tuple(tuple(Match(column, word) for column in NAME_KEYS) for word in rest)
    return [Alternative(column, ((Match(column, lead),), *others)) for column in NAME_KEYS]


def plan_search(q: str) -> SearchPlan:
    # NUL never appears in a stored value, and PostgreSQL refuses it in a parameter.
    text = (q or "").replace("\x00", "").strip()
    if not text:
        return SearchPlan("all", [Alternative("")])
    if "@" in text:
        email = Alternative("email_lower", ((Match("email_lower", text.lower()),),))
        return SearchPlan("email", [email], order=("email_lower", "id"))
    day = _parse_date(text)
    if day is not None:
        return SearchPlan("dob", [Alternative("date_of_birth", ((Match("date_of_birth", day, prefix=False),),))])
    if re.fullmatch(r"[\d\s()+.\-]+", text) and len(digits(text)) >= 3:
        number = digits(text)
        if len(number) == 11 and number.startswith("1"):
            number = number[1:]  # typed with the North American country code
        alternatives = [
            Alternative(column, ((Match(column, number),),)) for column in ("phone_digits", "alt_phone_digits")
        ]
        if len(number) == 4:
            alternatives.append(Alternative("phone_last4", ((Match("phone_last4", number, prefix=False),),)))
        return SearchPlan("phone", alternatives, order=("phone_digits", "id"), early_stop=True)
    words = [name_key(w) for w in query_words(text)]
    words = [w for w in words if w]
    if not words:
        return SearchPlan("all", [Alternative("")])
    alternatives = _name_alternatives(words)
    if len(words) > 1:
        # "de la cruz" typed with spaces for the one-word key "delacruz".
        alternatives += _name_alternatives(["".join(words)])
    return SearchPlan("name", alternatives, early_stop=len(max(words, key=len)) < 3)


def _range_sql(plan: SearchPlan, clinic_id, status: str, wanted: int) -> tuple[str, list]:
    """Phase one as one statement: each alternative is a limited scan of its own index range,
    and the scans are glued with UNION ALL. Identifiers come only from SEARCH_COLUMNS."""
    table = Patient._meta.db_table
    selects, params = [], []
    for number, alternative in enumerate(plan.alternatives):
        ordering = INDEX_ORDER[alternative.column] if plan.early_stop else plan.order
        where, values = alternative.sql()
        conditions = ["clinic_id = %s", "deleted_at IS NULL"] + ([where] if where else [])
        if status:
            conditions.append("status = %s")
        columns, order_by = _identifiers(plan.order), _identifiers(ordering)
        selects.append(
            f"SELECT {number} AS alt, {columns} FROM ("  # noqa: S608  # nosec B608 - allowlisted identifiers only
            f"SELECT {columns} FROM {table} WHERE {' AND '.join(conditions)} "
            f"ORDER BY {order_by} LIMIT %s) AS a{number}"
        )
        params += [clinic_id, *values, *([status] if status else []), wanted]
    return " UNION ALL ".join(selects), params


def _identifiers(columns: tuple[str, ...]) -> str:
    if not set(columns) <= SEARCH_COLUMNS:
        raise ValueError(f"not search columns: {columns}")
    return ", ".join(columns)


def _search_keys(actor: Actor, plan: SearchPlan, status: str, wanted: int) -> dict:
    """Phase one without filters beyond status: one round trip of index-only range scans."""
    clinic_id = Patient._meta.get_field("clinic").target_field.get_db_prep_value(actor.clinic_id, connection)
    sql, params = _range_sql(plan, clinic_id, status, wanted)
    keys: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            pk = uuid.UUID(str(row[-1]))
            keys[pk] = tuple("" if v is None else str(v) for v in (*row[1:-1], pk))
    return keys


def patient_search_ids(
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
) -> tuple[list[uuid.UUID], bool]:
    """Ids of the profiles on one page of a search, in page order, and whether more follow.

    Reads only index columns: each alternative of the plan is one range scan with a limit,
    all in one statement when at most the status filter is set (tag and date filters go
    through the ORM). A keystroke costs a few short index reads whatever the clinic's size.
    """
    actor.require("patients.view")
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = clamp_offset(offset)
    plan = plan_search(q)
    wanted = offset + limit + 1
    if tag or created_from or created_to or visit_from or visit_to:
        keys = _filtered_keys(actor, plan, wanted, status, tag, created_from, created_to, visit_from, visit_to)
    else:
        keys = _search_keys(actor, plan, status, wanted)
    ranked = sorted(keys, key=keys.__getitem__)
    return ranked[offset : offset + limit], len(ranked) > offset + limit


def patient_search(*, actor: Actor, **search) -> tuple[list[Patient], bool]:
    """One page of profiles matching the search box and filters (see `patient_search_ids`),
    with tags and allergies loaded; returns (page, has_more)."""
    page_ids, more = patient_search_ids(actor=actor, **search)
    if not page_ids:
        return [], more
    loaded = {p.pk: p for p in Patient.objects.filter(pk__in=page_ids).prefetch_related("tags", "allergies")}
    return [loaded[pk] for pk in page_ids if pk in loaded], more


def _filtered_keys(actor, plan, wanted, status, tag, created_from, created_to, visit_from, visit_to) -> dict:
    """Phase one through the ORM when list filters (tag, date ranges) narrow the ranges."""
    base = patients_for(actor)
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
    keys: dict = {}
    for alternative in plan.alternatives:
        ordering = INDEX_ORDER[alternative.column] if plan.early_stop else plan.order
        for row in base.filter(alternative.q()).order_by(*ordering).values_list(*plan.order)[:wanted]:
            keys[row[-1]] = tuple("" if v is None else str(v) for v in row)
    return keys


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


@dataclass(frozen=True)
class ContactMatch:
    """Who online details belong to: `patient` when certain, else `resembles` (or nobody)."""

    patient: Patient | None = None
    resembles: Patient | None = None


def patient_match_contact(*, actor: Actor, first_name: str, last_name: str, phone: str, email: str) -> ContactMatch:
    """Match self-entered details to a profile without revealing anything: certain only when
    exactly one live patient has the same first and last name and the same mobile number or
    email; a profile sharing the number or email under another name only resembles them."""
    from medspa.patients.normalize import InvalidPhone, national_digits, to_e164

    try:
        number = national_digits(to_e164(phone)) if phone else ""
    except InvalidPhone:
        number = ""
    email = (email or "").strip().lower()
    if not number and not email:
        return ContactMatch()
    contact = Q()
    if number:
        contact |= Q(phone_digits=number)
    if email:
        contact |= Q(email_lower=email)
    found = list(
        patients_for(actor)
        .filter(contact, profile_type=ProfileType.PATIENT)
        .only("id", "clinic_id", "first_key", "last_key", "profile_type")[:20]
    )
    same_name = [p for p in found if p.first_key == name_key(first_name) and p.last_key == name_key(last_name)]
    if len(same_name) == 1:
        return ContactMatch(patient=same_name[0])
    return ContactMatch(resembles=(same_name or found or [None])[0])


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


TIMELINE_TITLES = {
    "patient.created": "Profile created",
    "patient.updated": "Profile updated",
    "patient.status_changed": "Status changed",
    "patient.relationship_added": "Family link added",
    "patient.relationship_removed": "Family link removed",
    "patient.merged": "Duplicate merged in",
}


def patient_timeline(*, actor: Actor, patient_id, offset: int = 0, limit: int = 30) -> tuple[list[TimelineEntry], bool]:
    """Everything about the patient, newest first: profile history, communications, and the
    entries of every module registered in patients.timeline (appointments, charts, …)."""
    patient_get(actor=actor, patient_id=patient_id)
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = clamp_offset(offset)
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
    for source in timeline_sources():
        entries.extend(list(source(actor=actor, patient_id=patient_id, limit=window))[:window])
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[offset : offset + limit], len(entries) > offset + limit


def patient_merge_moves(*, actor: Actor, survivor: Patient, duplicate: Patient) -> dict[str, int]:
    """How many records a merge of `duplicate` into `survivor` would move (what the survivor
    already has — the same tag, the same allergen, a link to the same person — is dropped)."""
    actor.require("patients.merge")
    own = {"clinic": actor.clinic}
    survivor_tags = PatientTag.objects.filter(**own, patient=survivor).values("tag_id")
    survivor_allergens = Allergy.objects.filter(**own, patient=survivor).values("substance")
    survivor_links = Relationship.objects.filter(**own, patient=survivor).values("related_id")
    return {
        "communications": Communication.objects.filter(**own, patient=duplicate).count(),
        "allergies": Allergy.objects.filter(**own, patient=duplicate).exclude(substance__in=survivor_allergens).count(),
        "tags": PatientTag.objects.filter(**own, patient=duplicate).exclude(tag_id__in=survivor_tags).count(),
        "family_links": Relationship.objects.filter(**own, patient=duplicate)
        .exclude(related=survivor)
        .exclude(related_id__in=survivor_links)
        .count(),
    }


def tag_list_with_counts(*, actor: Actor) -> QuerySet[Tag]:
    """The clinic's tags, each with `patient_count` (live profiles only)."""
    return (
        tag_list(actor=actor)
        .annotate(patient_count=Count("patients", filter=Q(patients__deleted_at__isnull=True)))
        .order_by("name")
    )
