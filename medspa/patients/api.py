"""Patient routes of the API: profiles, search, duplicates, family, communications, timeline."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router, Status

from medspa.accounts.auth import needs
from medspa.core.errors import NotFound
from medspa.core.pagination import MAX_OFFSET, clamp_limit, decode_cursor, page_body
from medspa.patients import selectors, services
from medspa.patients.models import Patient
from medspa.patients.normalize import national
from medspa.patients.schemas import (
    CommunicationIn,
    MergeIn,
    PatientCreate,
    PatientOut,
    PatientPage,
    PatientPatch,
    PatientReplace,
    RelationshipIn,
)

router = Router(tags=["patients"])
VIEW = needs("patients.view")
EDIT = needs("patients.edit")

# Everything a profile response may carry; hidden_fields() removes what a role may not see.
PROFILE_FIELDS = (
    *services.DEMOGRAPHIC_FIELDS,
    *services.CLINICAL_FIELDS,
    "status_changed_at",
    "primary_contact_id",
    "last_visit_at",
    "created_at",
    "updated_at",
    "version",
)


def patient_json(patient: Patient, hidden: frozenset[str]) -> dict:
    """A profile as JSON, with the fields this role may not see left out entirely."""
    body = {"id": patient.pk, "display_name": patient.display_name, "age": patient.age}
    body.update({name: getattr(patient, name) for name in PROFILE_FIELDS if name not in hidden})
    body["phone_display"] = national(patient.phone)
    body["tags"] = [{"id": t.pk, "name": t.name, "color": t.color} for t in patient.tags.all()]
    body["allergies"] = [
        {"substance": a.substance, "reaction": a.reaction, "severity": a.severity} for a in patient.allergies.all()
    ]
    return body


def _respond(request, patient: Patient, status: int = 200, **extra) -> JsonResponse:
    patient = selectors.patient_get(actor=request.auth, patient_id=patient.pk)
    return JsonResponse({**patient_json(patient, selectors.hidden_fields(request.auth)), **extra}, status=status)


@router.post("/patients", response={201: PatientOut}, **EDIT)
def patient_create(request: HttpRequest, payload: PatientCreate):
    """Create a profile; likely duplicates come back as a warning, the profile is created anyway."""
    data = payload.model_dump(exclude_none=True)
    patient = services.patient_create(actor=request.auth, data=data)
    duplicates = selectors.patient_duplicates_of(actor=request.auth, patient=patient)
    warning = [{"id": p.pk, "display_name": p.display_name, "reason": why} for p, why in duplicates]
    return _respond(request, patient, 201, possible_duplicates=warning)


@router.get("/patients", response=PatientPage, **VIEW)
def patient_list(
    request: HttpRequest,
    q: str = Query("", max_length=100),
    status: str = Query("", max_length=16),
    tag: str = Query("", max_length=60),
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, max_length=200),
    offset: int | None = Query(None, ge=0, le=MAX_OFFSET),
):
    start = offset if offset is not None else decode_cursor(cursor)
    limit = clamp_limit(limit)
    page, more = selectors.patient_search(actor=request.auth, q=q, status=status, tag=tag, offset=start, limit=limit)
    hidden = selectors.hidden_fields(request.auth)
    return JsonResponse(page_body([patient_json(p, hidden) for p in page], offset=start, limit=limit, has_more=more))


@router.get("/patients/duplicates", response=list[dict], **VIEW)
def patient_duplicates(
    request: HttpRequest,
    first_name: str = Query("", max_length=80),
    last_name: str = Query("", max_length=80),
    phone: str = Query("", max_length=32),
    email: str = Query("", max_length=254),
    date_of_birth: date | None = None,
):
    found = selectors.patient_duplicates(
        actor=request.auth,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        email=email,
        date_of_birth=date_of_birth,
    )
    items = [{"id": p.pk, "display_name": p.display_name, "reason": why} for p, why in found]
    return JsonResponse({"items": items, "next": None})


@router.get("/patients/{patient_id}", response=PatientOut, **VIEW)
def patient_detail(request: HttpRequest, patient_id: UUID):
    survivor = selectors.merged_survivor_id(actor=request.auth, patient_id=patient_id)
    if survivor is not None:
        raise NotFound("This profile was merged into another.", code="merged", fields={"merged_into": str(survivor)})
    return _respond(request, selectors.patient_get(actor=request.auth, patient_id=patient_id))


@router.post("/patients/{patient_id}/merge", response=PatientOut, **needs("patients.merge"))
def patient_merge(request: HttpRequest, patient_id: UUID, payload: MergeIn):
    """Merge `duplicate_id` into this profile; `fields` picks which value wins per field."""
    survivor = services.patient_merge(
        actor=request.auth, survivor_id=patient_id, duplicate_id=payload.duplicate_id, fields=payload.fields
    )
    return _respond(request, survivor)


@router.put("/patients/{patient_id}", response=PatientOut, **EDIT)
def patient_replace(request: HttpRequest, patient_id: UUID, payload: PatientReplace):
    """Replace the profile: fields left out return to their defaults (hidden ones stay as they are)."""
    hidden = selectors.hidden_fields(request.auth)
    data = {}
    for name, value in payload.model_dump(exclude={"version"}).items():
        if name in hidden:
            continue
        if value is None and name in ("tags", "allergies"):
            value = []
        elif value is None:
            field = Patient._meta.get_field(name.removesuffix("_id"))
            value = None if field.null else field.get_default()
        data[name] = value
    patient = services.patient_update(actor=request.auth, patient_id=patient_id, data=data, version=payload.version)
    return _respond(request, patient)


@router.patch("/patients/{patient_id}", response=PatientOut, **EDIT)
def patient_patch(request: HttpRequest, patient_id: UUID, payload: PatientPatch):
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    patient = services.patient_update(actor=request.auth, patient_id=patient_id, data=data, version=payload.version)
    return _respond(request, patient)


@router.delete("/patients/{patient_id}", response={204: None}, **EDIT)
def patient_delete(request: HttpRequest, patient_id: UUID):
    services.patient_delete(actor=request.auth, patient_id=patient_id)
    return Status(204, None)


@router.get("/patients/{patient_id}/relationships", response=list[dict], **VIEW)
def relationship_list(request: HttpRequest, patient_id: UUID):
    links = selectors.patient_relationships(actor=request.auth, patient_id=patient_id)
    items = [
        {"related_id": link.related_id, "display_name": link.related.display_name, "kind": link.kind} for link in links
    ]
    return JsonResponse({"items": items, "next": None})


@router.post("/patients/{patient_id}/relationships", response={201: dict}, **EDIT)
def relationship_create(request: HttpRequest, patient_id: UUID, payload: RelationshipIn):
    link = services.relationship_create(
        actor=request.auth, patient_id=patient_id, related_id=payload.related_id, kind=payload.kind
    )
    return JsonResponse({"related_id": link.related_id, "kind": link.kind}, status=201)


def _communication_json(entry) -> dict:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "direction": entry.direction,
        "body": entry.body,
        "occurred_at": entry.occurred_at,
        "staff": entry.staff.full_name if entry.staff else None,
    }


@router.get("/patients/{patient_id}/communications", response=list[dict], **VIEW)
def communication_list(
    request: HttpRequest, patient_id: UUID, limit: int = Query(20, ge=1, le=100), cursor: str | None = None
):
    start, limit = decode_cursor(cursor), clamp_limit(limit)
    entries = list(
        selectors.patient_communications(actor=request.auth, patient_id=patient_id)[start : start + limit + 1]
    )
    return JsonResponse(
        page_body(
            [_communication_json(e) for e in entries[:limit]], offset=start, limit=limit, has_more=len(entries) > limit
        )
    )


@router.post("/patients/{patient_id}/communications", response={201: dict}, **EDIT)
def communication_create(request: HttpRequest, patient_id: UUID, payload: CommunicationIn):
    entry = services.communication_create(actor=request.auth, patient_id=patient_id, **payload.model_dump())
    return JsonResponse(_communication_json(entry), status=201)


@router.get("/patients/{patient_id}/timeline", response=list[dict], **VIEW)
def patient_timeline(
    request: HttpRequest, patient_id: UUID, limit: int = Query(30, ge=1, le=100), cursor: str | None = None
):
    start, limit = decode_cursor(cursor), clamp_limit(limit)
    entries, more = selectors.patient_timeline(actor=request.auth, patient_id=patient_id, offset=start, limit=limit)
    items = [
        {"kind": e.kind, "at": e.at, "title": e.title, "summary": e.summary, "link": e.link, "actor": e.actor}
        for e in entries
    ]
    return JsonResponse(page_body(items, offset=start, limit=limit, has_more=more))
