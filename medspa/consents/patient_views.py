"""The patient's form page behind a private link (`/f/<token>/`): one form, section by
section, saved as the patient goes, reviewed and signed; then the confirmation, with the
choice to withdraw a consent. Public: the token is the capability; a wrong token is a
friendly 404 page, an expired or cancelled link a 410 asking for a new one.

Without JavaScript the page is one long form: a plain POST of every field (checkbox lists
as repeated values, a photo as a file, a typed signature). frontend/consent_form.js turns
it into steps with live conditions, autosave, uploads and a drawn signature, and posts the
same fields. The server decides: answers to hidden questions are dropped and everything is
checked again by the services. The clinic's tablet (kiosk_views) shows the same page.

No patient detail but their first name appears; pages are never cached and the link never
leaves as a referrer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from medspa.consents import services
from medspa.consents.choices import LIST_TYPES, NO_ANSWER, FieldType, FormKind, SignatureMethod
from medspa.consents.definition import all_fields
from medspa.core import ratelimit
from medspa.core.access import public
from medspa.core.errors import Conflict, DomainError, InvalidInput, error_body
from medspa.core.middleware import client_ip, wants_json

NO_STORE = "private, no-store"
READS_PER_IP_PER_MINUTE = 160
WRITES_PER_LINK_PER_MINUTE = 120
# A scale with at most this many points is a row of buttons; a longer one a number box.
SEGMENTED_SCALE = 11
WITHDRAWABLE = frozenset({FormKind.CONSENT, FormKind.PHOTO_RELEASE})
HEADINGS = {
    404: "We could not find this form",
    409: "This form changed",
    410: "This link has expired",
    429: "Too many attempts",
}
NOT_FOUND = "Check that the whole link was copied, or ask the clinic to send you a new one."


# Plumbing ------------------------------------------------------------------------------


def private(response: HttpResponse) -> HttpResponse:
    """Never cached; the token in the URL is never sent to another site as a referrer (not
    "no-referrer": browsers then post "Origin: null" and the CSRF check refuses the form)."""
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "same-origin"
    return response


def problem(request: HttpRequest, error: DomainError, *, kiosk: bool = False) -> HttpResponse:
    """A refusal as JSON for the page's script, else as a calm page with the error's status."""
    status = error.status if 400 <= error.status < 500 else 400
    if wants_json(request):
        return JsonResponse(error_body(error.detail, error.code, field_messages(error.fields)), status=status)
    message = NOT_FOUND if status == 404 else error.detail
    context = {"status": status, "heading": HEADINGS.get(status, "Something went wrong"), "message": message}
    return render(request, "consents/patient/problem.html", {**context, "kiosk": kiosk}, status=status)


def link_page(view):
    """A page or call reached by a form link: refusals answer kindly, nothing is cached."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except DomainError as error:
            response = problem(request, error)
        return private(response)

    return wrapper


def limit_reads(request: HttpRequest) -> None:
    ratelimit.hit("consents.link.read", client_ip(request) or "unknown", limit=READS_PER_IP_PER_MINUTE, seconds=60)


def limit_writes(token: str) -> None:
    ratelimit.hit("consents.link.write", token, limit=WRITES_PER_LINK_PER_MINUTE, seconds=60)


def _message(value) -> str:
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def field_messages(fields: dict) -> dict[str, str]:
    return {str(k): _message(v) for k, v in (fields or {}).items()}


def first_name(link) -> str:
    return link.patient.preferred_name or link.patient.first_name


@dataclass(frozen=True)
class Place:
    """Where a form page posts: the patient's own link, or the clinic's tablet."""

    action: str
    save_url: str
    upload_url: str
    kiosk: bool = False
    progress: str = ""  # on the tablet: which of the queued forms this is
    link_id: str = ""  # on the tablet: the form the page shows (the queue may have moved on)


def link_place(token: str) -> Place:
    return Place(
        action=reverse("consent_form", args=[token]),
        save_url=reverse("consent_form_save", args=[token]),
        upload_url=reverse("consent_form_upload", args=[token]),
    )


# The posted form -----------------------------------------------------------------------


def answers_from(definition: dict, data) -> dict:
    """The answers as the page posts them: `answers.<key>`, lists as repeated values, a
    ticked acknowledgement as "yes". Empty values count as unanswered."""
    answers: dict = {}
    for field in all_fields(definition):
        key, kind = field["key"], field["type"]
        name = f"answers.{key}"
        if kind in LIST_TYPES:
            values = [v for v in data.getlist(name) if v]
            if values:
                answers[key] = values
        elif kind not in NO_ANSWER:
            value = data.get(name)
            if value not in (None, ""):
                answers[key] = value
    return answers


def signatures_from(definition: dict, data) -> dict:
    """Each signature as posted: a drawn image (`signatures.<key>.image`, a PNG data URL)
    when the pad was used, else the typed name (`signatures.<key>.name`)."""
    signatures: dict = {}
    for field in all_fields(definition):
        if field["type"] != FieldType.SIGNATURE:
            continue
        prefix = f"signatures.{field['key']}"
        image = data.get(f"{prefix}.image") or ""
        name = data.get(f"{prefix}.name") or ""
        if data.get(f"{prefix}.method") == SignatureMethod.DRAWN and image:
            signatures[field["key"]] = {"method": SignatureMethod.DRAWN, "image": image}
        elif name.strip():
            signatures[field["key"]] = {"method": SignatureMethod.TYPED, "name": name}
    return signatures


def _file_fields(definition: dict) -> list[dict]:
    return [f for f in all_fields(definition) if f["type"] == FieldType.FILE]


def _posted_uploads(request: HttpRequest, token: str, definition: dict, answers: dict) -> dict[str, str]:
    """Photos sent with a plain POST (no script): stored like any upload, each answer set to
    its file; the refusals by field."""
    errors = {}
    for field in _file_fields(definition):
        chosen = [f for f in request.FILES.getlist(f"upload.{field['key']}") if f.size or f.name]
        if not chosen:
            continue
        try:
            answers[field["key"]] = services.draft_upload(token=token, upload=chosen[0])["file_id"]
        except InvalidInput as exc:
            errors[f"answers.{field['key']}"] = next(iter(field_messages(exc.fields).values()), exc.detail)
    return errors


# The page ------------------------------------------------------------------------------


def _chosen(kind: str, value) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list):
        return {str(v) for v in value}
    if kind == FieldType.YES_NO:
        return {"yes"} if value in (True, "yes", "Yes") else {"no"} if value in (False, "no", "No") else set()
    return {str(value)}


def _item(field: dict, answers: dict, signatures: dict, errors: dict) -> dict:
    """One field with what the page needs to draw it: its answer, options and error."""
    key, kind = field["key"], field["type"]
    value = answers.get(key)
    item = {
        "field": field,
        "key": key,
        "id": f"q-{key}",
        "name": f"answers.{key}",
        "error": errors.get(f"answers.{key}") or errors.get(f"signatures.{key}") or "",
        "value": "" if value is None or isinstance(value, list | bool) else str(value),
        "checked": value in (True, "yes", "on", "true"),
        "conditional": bool(field.get("show_if")),
    }
    options: list = []
    if kind == FieldType.YES_NO:
        options = [("yes", "Yes"), ("no", "No")]
    elif kind in (FieldType.SINGLE_CHOICE, *LIST_TYPES):
        options = [(o, o) for o in field["options"]]
    elif kind == FieldType.SCALE and field["max"] - field["min"] < SEGMENTED_SCALE:
        options = [(str(n), str(n)) for n in range(field["min"], field["max"] + 1)]
    chosen = _chosen(kind, value)
    item["options"] = [
        {"value": v, "label": label, "id": f"q-{key}-{i}", "checked": v in chosen}
        for i, (v, label) in enumerate(options)
    ]
    if kind == FieldType.SIGNATURE:
        given = signatures.get(key) or {}
        item["typed_name"] = given.get("name", "")
    return item


def form_context(
    link, *, place: Place, answers: dict, signatures: dict | None = None, errors: dict | None = None, step: int = 0
) -> dict:
    """Everything the form page draws: the sections with their fields and answers, the
    definition for the page's script, and any errors (inline and as a list on top)."""
    definition = link.version.definition
    errors = errors or {}
    signatures = signatures or {}
    sections = []
    labels = {}
    for index, section in enumerate(definition["sections"]):
        items = [_item(f, answers, signatures, errors) for f in section["fields"]]
        for item in items:
            labels[item["key"]] = item["field"]["label"] or section["title"]
        sections.append(
            {
                "index": index,
                "key": section["key"],
                "title": section["title"],
                "conditional": bool(section.get("show_if")),
                "items": items,
            }
        )
    summary = []
    for where, message in errors.items():
        key = where.split(".", 1)[1] if "." in where else ""
        summary.append(
            {"anchor": f"field-{key}" if key in labels else "", "label": labels.get(key, ""), "message": message}
        )
    return {
        "clinic_name": link.clinic.name,
        "first_name": first_name(link),
        "form_name": link.version.name,
        "place": place,
        "sections": sections,
        "definition": {"sections": definition["sections"]},
        "errors": summary,
        "step": step,
        "kiosk": place.kiosk,
    }


def draft_step(link) -> int:
    draft = getattr(link, "draft", None)  # the reverse one-to-one raises AttributeError when absent
    return draft.step if draft is not None else 0


def render_form(request: HttpRequest, link, place: Place, *, status: int = 200, **context) -> HttpResponse:
    if "answers" not in context:
        context["answers"] = services.prefill(link)
        context["step"] = draft_step(link)
    return render(request, "consents/patient/form.html", form_context(link, place=place, **context), status=status)


def done_context(link) -> dict:
    """The confirmation: which form, which version, when, how it was signed, and whether
    the patient has withdrawn it."""
    submission = link.submission
    zone = ZoneInfo(link.clinic.timezone)
    revocation = submission.revocations.order_by("revoked_at").first()
    return {
        "clinic_name": link.clinic.name,
        "first_name": first_name(link),
        "form_name": submission.version.name,
        "version": submission.version.number,
        "submitted_at": submission.submitted_at.astimezone(zone),
        "signed": sorted({s["method"] for s in submission.signatures}),
        "withdrawable": link.form.kind in WITHDRAWABLE,
        "revoked_at": revocation.revoked_at.astimezone(zone) if revocation else None,
    }


# The writes the page makes -------------------------------------------------------------


def submit(request: HttpRequest, token: str, *, place: Place, done_url: str) -> HttpResponse:
    """Submit the posted answers and signatures. A link already used goes straight to its
    confirmation (submitting twice changes nothing). Refusals: the script gets JSON (422 with
    `answers.<key>`/`signatures.<key>` fields, 409 when the form was replaced); a plain post
    gets the page again with the errors beside their questions."""
    link = services.link_resolve(token)
    if link.submission_id is not None:
        return submitted_response(request, done_url)
    definition = link.version.definition
    answers = answers_from(definition, request.POST)
    signatures = signatures_from(definition, request.POST)
    errors = _posted_uploads(request, token, definition, answers) if request.FILES else {}
    detail = "Some answers need attention."
    if not errors:
        try:
            services.form_submit_link(token=token, answers=answers, signatures=signatures)
        except InvalidInput as exc:
            errors, detail = field_messages(exc.fields), exc.detail
        except Conflict as exc:
            if exc.code not in ("version_retired", "form_retired"):
                raise
            return problem(request, exc, kiosk=place.kiosk)
    if not errors:
        return submitted_response(request, done_url)
    if wants_json(request):
        return JsonResponse(error_body(detail, "invalid", errors), status=422)
    step = _int(request.POST.get("step"))
    return render_form(
        request, link, place, answers=answers, signatures=signatures, errors=errors, step=step, status=422
    )


def submitted_response(request: HttpRequest, done_url: str) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"redirect": done_url})
    return _see_other(done_url)


def _see_other(url: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


def _int(value) -> int:
    try:
        return int(str(value or "0")[:4])
    except ValueError:
        return 0


def save(request: HttpRequest, token: str) -> JsonResponse:
    """Autosave: keep the answers so far and the step. An answer that is not valid yet (a
    half-typed number) is left out and named, so the rest is still kept."""
    link = services.link_resolve(token)
    answers = answers_from(link.version.definition, request.POST)
    step = _int(request.POST.get("step"))
    try:
        draft = services.draft_save(token=token, answers=answers, step=step)
        unsaved: dict = {}
    except InvalidInput as exc:
        unsaved = field_messages(exc.fields)
        kept = {k: v for k, v in answers.items() if f"answers.{k}" not in unsaved}
        draft = services.draft_save(token=token, answers=kept, step=step)
    return JsonResponse({"saved_at": draft.updated_at.isoformat(), "fields": unsaved})


def upload(request: HttpRequest, token: str) -> JsonResponse:
    """A photo for one upload question, stored at once (re-encoded, sealed); the answer the
    page then posts is the file's id."""
    link = services.link_resolve(token)
    key = str(request.POST.get("field") or "")
    if key not in {f["key"] for f in _file_fields(link.version.definition)}:
        raise InvalidInput("Choose which question the photo is for.", fields={"file": "Unknown question."})
    try:
        stored = services.draft_upload(token=token, upload=request.FILES.get("file"))
    except InvalidInput as exc:
        message = next(iter(field_messages(exc.fields).values()), exc.detail)
        raise InvalidInput(message, fields={f"answers.{key}": message}) from None
    return JsonResponse({"file_id": stored["file_id"], "field": f"answers.{key}"})


# Routes --------------------------------------------------------------------------------


@public
@require_http_methods(["GET", "HEAD", "POST"])
@link_page
def consent_form_view(request: HttpRequest, token: str) -> HttpResponse:
    """The form behind the link (resuming where the patient left off), or, once submitted,
    the confirmation. POST submits it."""
    if request.method == "POST":
        limit_writes(token)
        return submit(request, token, place=link_place(token), done_url=reverse("consent_form", args=[token]))
    limit_reads(request)
    link = services.link_open(token)
    if link.submission_id is not None:
        context = {**done_context(link), "token": token, "withdrawn": request.GET.get("withdrawn") == "1"}
        return render(request, "consents/patient/done.html", context)
    services.link_submittable_check(link.form, link.version)  # a replaced version: say so now
    return render_form(request, link, link_place(token))


@public
@require_POST
@link_page
def consent_form_save_view(request: HttpRequest, token: str) -> HttpResponse:
    limit_writes(token)
    return save(request, token)


@public
@require_POST
@link_page
def consent_form_upload_view(request: HttpRequest, token: str) -> HttpResponse:
    limit_writes(token)
    return upload(request, token)


@public
@require_http_methods(["GET", "HEAD", "POST"])
@link_page
def consent_form_withdraw_view(request: HttpRequest, token: str) -> HttpResponse:
    """Withdraw a submitted consent, after one confirmation; effective at once."""
    form_url = reverse("consent_form", args=[token])
    if request.method == "POST":
        limit_writes(token)
        reason = str(request.POST.get("reason") or "")[:500]
        services.submission_revoke_by_link(token=token, reason=reason)
        return _see_other(f"{form_url}?withdrawn=1")
    limit_reads(request)
    link = services.link_resolve(token)
    if link.submission_id is None or link.form.kind not in WITHDRAWABLE:
        return redirect(form_url)
    context = {**done_context(link), "token": token, "form_url": form_url}
    return render(request, "consents/patient/withdraw.html", context)
