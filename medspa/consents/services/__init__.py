"""Writes of forms and consents: forms and versions, requirements, links, drafts,
submissions, revocations. One transaction per call, permission (or link) first, audited.

Rules every function keeps:
- a published version never changes; edits go to the draft of the next version;
- a submission binds what the patient saw by SHA-256 and never changes (the database
  refuses too); a withdrawal is a revocation appended beside it;
- a link opens one form version for one patient, expires, and submits once.
"""

from medspa.consents.services.forms import (
    form_create,
    form_discard_draft,
    form_library_install,
    form_publish,
    form_set_active,
    form_update,
    requirements_set,
)
from medspa.consents.services.links import (
    SentLink,
    form_send,
    forms_remind_due,
    forms_send_for_visit,
    kiosk_record,
    kiosk_start,
    link_cancel,
    link_path,
    link_resolve,
)
from medspa.consents.services.submissions import (
    draft_save,
    draft_upload,
    form_submit_link,
    form_submit_staff,
    link_open,
    link_submittable_check,
    prefill,
    submission_profile_review,
    submission_revoke,
    submission_revoke_by_link,
)
from medspa.consents.services.verify import consents_verify

__all__ = [
    "SentLink",
    "consents_verify",
    "draft_save",
    "draft_upload",
    "form_create",
    "form_discard_draft",
    "form_library_install",
    "form_publish",
    "form_send",
    "form_set_active",
    "form_submit_link",
    "form_submit_staff",
    "form_update",
    "forms_remind_due",
    "forms_send_for_visit",
    "kiosk_record",
    "kiosk_start",
    "link_cancel",
    "link_open",
    "link_path",
    "link_resolve",
    "link_submittable_check",
    "prefill",
    "requirements_set",
    "submission_profile_review",
    "submission_revoke",
    "submission_revoke_by_link",
]
