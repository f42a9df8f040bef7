"""The patient profile's Consents tab and the consent entries of the patient timeline,
registered with patients.tabs / patients.timeline from apps.ready() (patients never imports us).

The tab lists what the patient signed (with whether each still counts), the links out to
them, what their photo release allows, and "Send a form" for staff who send forms.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from medspa.consents import selectors
from medspa.consents.choices import FormStatus, PhotoPermission
from medspa.consents.forms import SendForm
from medspa.core.actors import Actor
from medspa.patients.timeline import TimelineEntry

VIEW = "consents.view"
SEND = "consents.send"
# Applying offered updates writes clinical fields of the profile.
REVIEW = (VIEW, "patients.edit", "patients.view_clinical")
LINKS_SHOWN = 50
# A submission's standing as the staff pages show it: label and badge tone.
STATES = {
    FormStatus.COMPLETE: ("Valid", "success"),
    FormStatus.EXPIRED: ("Expired", "warning"),
    FormStatus.OUTDATED: ("Outdated", "warning"),
    FormStatus.REVOKED: ("Revoked", "danger"),
}


def state_badge(state: str) -> tuple[str, str]:
    return STATES.get(state, (FormStatus(state).label, "neutral"))


def can_see_consents(actor) -> bool:
    return actor is not None and actor.can(VIEW)


def can_review(actor) -> bool:
    """Whether to offer applying a submission's profile updates (the service checks again)."""
    return actor is not None and actor.clinic is not None and all(actor.can(p) for p in REVIEW)


def review_badge(actor) -> int:
    """Submissions whose profile updates wait for review, for actors who may apply them."""
    return selectors.profile_reviews_pending(actor=actor).count() if can_review(actor) else 0


def published_forms(actor: Actor):
    """The forms staff may send: in use and published."""
    return selectors.form_list(actor=actor, include_retired=False).filter(current_version__gt=0).order_by("name")


def send_form(actor: Actor, patient, data=None) -> SendForm:
    initial = {"channel": "email" if patient.email else "copy"}
    return SendForm(data, published=published_forms(actor), initial=initial)


def tab_context(request: HttpRequest, patient, *, form: SendForm | None = None, created: dict | None = None) -> dict:
    """What the tab shows (the submissions listing is an audited read)."""
    actor = request.actor
    now = timezone.now()
    rows = []
    for submission in selectors.patient_submissions(actor=actor, patient_id=patient.pk):
        state = selectors.submission_state(submission, revoked=submission.revoked_at is not None, at=now)
        label, tone = state_badge(state)
        readable = selectors.content_visible(actor, submission)  # clinical answers need clinical access
        rows.append({"submission": submission, "state": state, "label": label, "tone": tone, "readable": readable})
    links = [
        link
        for link in selectors.patient_links(actor=actor, patient_id=patient.pk)[:LINKS_SHOWN]
        if link.submission_id is None and link.expires_at > now
    ]
    granted = selectors.photo_permissions(clinic_id=actor.clinic.pk, patient_id=patient.pk, at=now)
    can_send = actor.can(SEND)
    return {
        "patient": patient,
        "rows": rows,
        "links": links,
        "photo_permissions": [(label, granted[value]) for value, label in PhotoPermission.choices],
        "has_release": any(granted.values()),
        "can_send": can_send,
        "send_form": (form or send_form(actor, patient)) if can_send else None,
        "created": created,
        "zone": actor.clinic.timezone or "UTC",
    }


def consents_tab(request: HttpRequest, patient) -> str:
    """The tab's HTML (without the profile's tab bar)."""
    if not can_see_consents(request.actor):
        # Hidden from the tab bar for this role; opened by its URL it says so, showing nothing.
        return render_to_string("components/tab_no_access.html", {"what": "Consents"}, request=request)
    return render_to_string("consents/partials/patient_tab.html", tab_context(request, patient), request=request)


def patient_timeline_entries(*, actor: Actor, patient_id, limit: int) -> list[TimelineEntry]:
    """Signed, revoked and sent forms for the profile timeline, newest first (none for roles
    without consents.view)."""
    if actor is None or actor.clinic is None or not actor.can(VIEW):
        return []
    activity = selectors.patient_consent_activity(actor=actor, patient_id=patient_id, limit=limit)
    entries = [
        TimelineEntry(
            "consent",
            s.submitted_at,
            f"Signed {s.version.name} v{s.version.number}",
            s.get_via_display(),
            reverse("consents_submission", kwargs={"submission_id": s.pk}),
            s.signer_name,
        )
        for s in activity.submissions
    ]
    for r in activity.revocations:
        who = r.recorded_by.full_name if r.recorded_by_id else "The patient, by their link"
        entries.append(
            TimelineEntry(
                "consent",
                r.revoked_at,
                f"Revoked {r.submission.version.name}",
                r.reason,
                reverse("consents_submission", kwargs={"submission_id": r.submission_id}),
                who,
            )
        )
    for link in activity.links:
        how = f"By email to {link.sent_to}" if link.channel == "email" and link.sent_to else "Link made to pass on"
        who = link.sent_by.full_name if link.sent_by_id else "Sent automatically"
        entries.append(TimelineEntry("consent", link.created_at, f"Sent {link.form.name}", how, "", who))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[: max(0, int(limit))]
