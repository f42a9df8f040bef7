"""Forms for the generated matrices: the clinic's library, the neurotoxin consent completed
once for the world's patient (entered by the owner), and a draft of its next version waiting
to be published."""

from __future__ import annotations

from medspa.consents import selectors, services
from medspa.consents.models import Form
from medspa.consents.tests.fixtures import CONSENT_ANSWERS, TYPED
from medspa.core.actors import Actor
from medspa.core.permissions import Role

SUBMIT_BODY = {"patient_id": "{patient_id}", "answers": CONSENT_ANSWERS, "signatures": TYPED}
DEFINITION = {
    "sections": [
        {
            "key": "main",
            "title": "Matrix",
            "fields": [{"key": "note", "label": "Note", "type": "short_text", "required": True}],
        }
    ]
}


def build(clinic, owner, patient_id) -> dict:
    actor = Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)
    services.form_library_install(clinic=clinic)
    form = Form.objects.get(clinic=clinic, key="neurotoxin-consent")
    submission = services.form_submit_staff(
        actor=actor, form_id=form.pk, patient_id=patient_id, answers=CONSENT_ANSWERS, signatures=TYPED
    )
    version = selectors.current_version(form)
    services.form_update(actor=actor, form_id=form.pk, definition=version.definition)
    return {"form_id": form.pk, "submission_id": submission.pk}
