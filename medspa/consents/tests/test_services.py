"""Forms and consents through their services: versions, requirements and expiry, links,
submissions, revocation, the treatment guard, tenancy and roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from medspa.charting import services as charting
from medspa.charting.models import ChartSignature
from medspa.consents import selectors, services
from medspa.consents.choices import FormStatus, ProfileReview
from medspa.consents.models import FormLink, FormRevocation, FormSubmission, FormVersion
from medspa.consents.tests.fixtures import CONSENT_ANSWERS, HISTORY_ANSWERS, TYPED, book_visit, drawn_signature
from medspa.core.actors import Actor
from medspa.core.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied
from medspa.core.models import AuditEvent
from medspa.core.permissions import Role
from medspa.patients.models import Patient
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _standing(world):
    return selectors.appointment_standing(actor=world.as_owner, appointment_id=world.appointment_id)


def _send(world, form=None):
    return services.form_send(
        actor=world.as_owner,
        form_id=(form or world.consent).pk,
        patient_id=world.patient.pk,
        appointment_id=world.appointment_id,
    )


def _submit(world, answers=None, signatures=None, form=None):
    sent = _send(world, form)
    submission, created = services.form_submit_link(
        token=sent.token, answers=answers or CONSENT_ANSWERS, signatures=signatures or TYPED
    )
    return sent, submission, created


# --- requirements and status -----------------------------------------------------------


def test_required_consent_is_missing_until_submitted(forms_world):
    standing = _standing(forms_world)
    assert [(r.name, r.status) for r in standing.forms] == [("Neurotoxin consent", FormStatus.MISSING)]
    _submit(forms_world)
    standing = _standing(forms_world)
    assert standing.ok and standing.forms[0].status == FormStatus.COMPLETE


def test_requirement_by_provider_and_for_every_visit(forms_world):
    w = forms_world
    history = w.form("medical-history")
    services.requirements_set(actor=w.as_owner, form_id=history.pk, rules=[{"provider_id": str(w.provider.pk)}])
    photo = w.form("photo-release")
    services.requirements_set(actor=w.as_owner, form_id=photo.pk, rules=[{}])
    names = {r.name for r in _standing(w).forms}
    assert names == {"Neurotoxin consent", "Medical history", "Photo release"}
    services.requirements_set(actor=w.as_owner, form_id=history.pk, rules=[{"provider_id": str(w.md.pk)}])
    assert "Medical history" not in {r.name for r in _standing(w).forms}


def test_requirement_refuses_unknown_service_and_other_clinic(forms_world, other_forms_world):
    w = forms_world
    with pytest.raises(InvalidInput):
        services.requirements_set(
            actor=w.as_owner, form_id=w.consent.pk, rules=[{"service_id": str(other_forms_world.service_id)}]
        )
    with pytest.raises(NotFound):
        services.requirements_set(actor=w.as_owner, form_id=other_forms_world.consent.pk, rules=[{}])


def test_expiry_before_the_visit_counts_as_expired(forms_world):
    w = forms_world
    _sent, submission, _ = _submit(w)
    # A visit after the consent's validity (365 days) needs it again.
    later = {
        "id": "later",
        "patient_id": w.patient.pk,
        "service_id": w.service_id,
        "provider_id": w.provider.pk,
        "start_at": submission.expires_at + timedelta(minutes=1),
    }
    just_before = {**later, "id": "before", "start_at": submission.expires_at - timedelta(minutes=1)}
    result = selectors.standings(clinic_id=w.clinic.pk, appointments=[later, just_before])
    assert result["later"].forms[0].status == FormStatus.EXPIRED
    assert result["before"].forms[0].status == FormStatus.COMPLETE
    assert submission.expires_at - submission.submitted_at == timedelta(days=365)


def test_photo_release_never_expires(forms_world):
    w = forms_world
    answers = dict.fromkeys(("clinical", "marketing", "social_media", "gallery", "case_study"), "yes")
    _sent, submission, _ = _submit(w, answers={**answers, "printed_name": "Ava Lopez"}, form=w.form("photo-release"))
    assert submission.expires_at is None


def test_material_change_asks_to_sign_again_but_minor_does_not(forms_world):
    w = forms_world
    _submit(w)
    version = selectors.current_version(w.consent)
    services.form_update(actor=w.as_owner, form_id=w.consent.pk, definition=version.definition)
    services.form_publish(actor=w.as_owner, form_id=w.consent.pk, material=False, note="Typo")
    assert _standing(w).ok
    services.form_update(actor=w.as_owner, form_id=w.consent.pk, definition=version.definition)
    published = services.form_publish(actor=w.as_owner, form_id=w.consent.pk, material=True, note="New risk")
    assert published.number == 3
    assert _standing(w).forms[0].status == FormStatus.OUTDATED


# --- versions ----------------------------------------------------------------------------


def test_publishing_needs_a_draft_and_a_current_base(forms_world):
    w = forms_world
    with pytest.raises(Conflict):
        services.form_publish(actor=w.as_owner, form_id=w.consent.pk, material=True)
    version = selectors.current_version(w.consent)
    services.form_update(actor=w.as_owner, form_id=w.consent.pk, definition=version.definition)
    with pytest.raises(Conflict):
        services.form_publish(actor=w.as_owner, form_id=w.consent.pk, material=True, base_version=0)


def test_versions_are_append_only_in_the_database(forms_world):
    version = FormVersion.objects.filter(clinic=forms_world.clinic).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        FormVersion.objects.filter(pk=version.pk).update(definition={"sections": []})
    with pytest.raises(DatabaseError), transaction.atomic():
        FormVersion.objects.filter(pk=version.pk).delete()


def test_link_to_a_replaced_version_is_refused(forms_world):
    w = forms_world
    sent = _send(w)
    version = selectors.current_version(w.consent)
    services.form_update(actor=w.as_owner, form_id=w.consent.pk, definition=version.definition)
    services.form_publish(actor=w.as_owner, form_id=w.consent.pk, material=True)
    with pytest.raises(Conflict) as raised:
        services.form_submit_link(token=sent.token, answers=CONSENT_ANSWERS, signatures=TYPED)
    assert raised.value.code == "version_retired"
    assert not FormSubmission.objects.filter(clinic=w.clinic).exists()


def test_staff_submission_of_a_retired_version_is_refused(forms_world):
    w = forms_world
    with pytest.raises(Conflict):
        services.form_submit_staff(
            actor=w.as_owner,
            form_id=w.consent.pk,
            patient_id=w.patient.pk,
            answers=CONSENT_ANSWERS,
            signatures=TYPED,
            version=7,
        )


# --- links and submissions -------------------------------------------------------------


def test_booking_sends_the_missing_forms_by_email(forms_world, django_capture_on_commit_callbacks):
    w = forms_world
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_visit(w, days=3)
    links = FormLink.objects.filter(clinic=w.clinic, patient=w.patient, appointment=appointment)
    assert [link.form.key for link in links] == ["neurotoxin-consent"]
    assert any("/f/" in m.body and "Neurotoxin consent" in m.body for m in mail.outbox)


def test_submission_binds_answers_and_signature(forms_world):
    w = forms_world
    _sent, submission, created = _submit(w, signatures={"signature": {"method": "drawn", "image": drawn_signature()}})
    assert created
    mark = submission.signatures[0]
    assert mark["method"] == "drawn" and len(mark["image_sha256"]) == 64
    assert submission.signer_name == "Ava Lopez"
    assert submission.version.number == 1
    assert len(submission.content_hash) == 64 and len(submission.signature_hash) == 64
    assert submission.document["sections"][0]["items"][0]["text"].startswith("Botulinum toxin")
    checked, problems = services.consents_verify(clinic_id=w.clinic.pk)
    assert checked == 1 and problems == []


def test_submitting_twice_returns_the_first(forms_world):
    w = forms_world
    sent, first, _ = _submit(w)
    again, created = services.form_submit_link(token=sent.token, answers={}, signatures={})
    assert not created and again.pk == first.pk
    assert FormSubmission.objects.filter(clinic=w.clinic).count() == 1


def test_missing_answers_and_signature_write_nothing(forms_world):
    w = forms_world
    sent = _send(w)
    with pytest.raises(InvalidInput) as raised:
        services.form_submit_link(token=sent.token, answers={"risks": True}, signatures={})
    assert "answers.alternatives" in raised.value.fields
    assert "signatures.signature" in raised.value.fields
    assert not FormSubmission.objects.filter(clinic=w.clinic).exists()
    assert FormLink.objects.get(pk=sent.link.pk).submission_id is None


def test_hidden_answers_are_not_stored(forms_world):
    w = forms_world
    answers = {
        "pregnant": "no",
        "pregnant_detail": "should vanish",
        "infection": "no",
        "neuromuscular": "no",
        "aminoglycosides": "no",
        "toxin_allergy": "no",
    }
    _sent, submission, _ = _submit(w, answers=answers, signatures={}, form=w.form("neurotoxin-screening"))
    assert "pregnant_detail" not in submission.answers
    assert submission.answers["pregnant"] == "no"


def test_tampered_expired_and_cancelled_links(forms_world):
    w = forms_world
    sent = _send(w)
    with pytest.raises(NotFound):
        services.link_resolve(sent.token[:-2] + "xx")
    FormLink.objects.filter(pk=sent.link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Gone):
        services.form_submit_link(token=sent.token, answers=CONSENT_ANSWERS, signatures=TYPED)
    other = _send(w)
    services.link_cancel(actor=w.as_owner, link_id=other.link.pk)
    with pytest.raises(Gone):
        services.draft_save(token=other.token, answers={})


def test_draft_save_and_resume(forms_world):
    w = forms_world
    sent = _send(w)
    services.draft_save(token=sent.token, answers={"risks": True, "initials": "AL"}, step=1)
    link = services.link_resolve(sent.token)
    assert services.prefill(link) == {"risks": True, "initials": "AL"}
    services.form_submit_link(token=sent.token, answers=CONSENT_ANSWERS, signatures=TYPED)
    with pytest.raises(Conflict):
        services.draft_save(token=sent.token, answers={})


def test_prefill_from_previous_answers_never_signatures(forms_world):
    w = forms_world
    history = w.form("medical-history")
    _sent, submission, _ = _submit(w, answers=HISTORY_ANSWERS, form=history)
    assert submission.profile_review == ProfileReview.PENDING
    assert submission.profile_updates == {"medications": "Vitamin D", "allergies": "Latex"}
    again = _send(w, history)
    carried = services.prefill(services.link_resolve(again.token))
    assert carried["date_of_birth"] == "1990-04-01" and "accurate" not in carried


def test_profile_updates_apply_only_when_staff_confirm(forms_world):
    w = forms_world
    fitz = w.form("fitzpatrick")
    answers = {
        "eye_colour": "Blue",
        "hair_colour": "Chestnut or dark blond",
        "skin_colour": "Pale with a beige tint",
        "freckles": "A few",
        "sun_burn": "Burns sometimes, then peels",
        "tan": "Reasonable tan",
    }
    _sent, submission, _ = _submit(w, answers=answers, signatures={}, form=fitz)
    assert submission.computed["fitzpatrick"]["result"] == "III"
    assert Patient.objects.get(pk=w.patient.pk).skin_type == ""
    with pytest.raises(PermissionDenied):
        services.submission_profile_review(
            actor=w.actor(w.front_desk), submission_id=submission.pk, apply=["skin_type"]
        )
    services.submission_profile_review(actor=w.as_provider, submission_id=submission.pk, apply=["skin_type"])
    assert Patient.objects.get(pk=w.patient.pk).skin_type == "III"
    assert FormSubmission.objects.get(pk=submission.pk).profile_review == ProfileReview.APPLIED


def test_submissions_cannot_change_in_the_database_and_tamper_is_detected(forms_world):
    w = forms_world
    _sent, submission, _ = _submit(w)
    with pytest.raises(DatabaseError), transaction.atomic():
        FormSubmission.objects.filter(pk=submission.pk).update(answers={"risks": False})
    with pytest.raises(DatabaseError), transaction.atomic():
        FormSubmission.objects.filter(pk=submission.pk).delete()
    from medspa.core.audit import append_only_suspended

    with append_only_suspended():
        FormSubmission.objects.filter(pk=submission.pk).update(signer_name="Someone Else")
    checked, problems = services.consents_verify(clinic_id=w.clinic.pk)
    assert checked == 1 and [p.what for p in problems] == ["signature hash mismatch"]
    with append_only_suspended(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE consents_formsubmission SET answers = %s WHERE id = %s",
            ['{"risks": true}', submission.pk.hex if connection.vendor == "sqlite" else submission.pk],
        )
    _checked, problems = services.consents_verify(clinic_id=w.clinic.pk)
    assert "content hash mismatch" in [p.what for p in problems]


# --- revocation and photo flags -----------------------------------------------------------


def test_revocation_takes_effect_at_once_and_is_kept(forms_world):
    w = forms_world
    photo = w.form("photo-release")
    answers = {
        "clinical": "yes",
        "marketing": "yes",
        "social_media": "no",
        "gallery": "yes",
        "case_study": "no",
        "printed_name": "Ava Lopez",
    }
    _sent, submission, _ = _submit(w, answers=answers, form=photo)
    patient = Patient.objects.get(pk=w.patient.pk)
    assert patient.photo_marketing_consent and patient.clinical_photo_consent
    perms = selectors.photo_permissions(clinic_id=w.clinic.pk, patient_id=w.patient.pk)
    assert perms["gallery"] and not perms["social_media"]
    services.submission_revoke(actor=w.actor(w.front_desk), submission_id=submission.pk, reason="Changed mind")
    patient = Patient.objects.get(pk=w.patient.pk)
    assert not patient.photo_marketing_consent and not patient.clinical_photo_consent
    assert not any(selectors.photo_permissions(clinic_id=w.clinic.pk, patient_id=w.patient.pk).values())
    revocation = FormRevocation.objects.get(submission=submission)
    with pytest.raises(DatabaseError), transaction.atomic():
        FormRevocation.objects.filter(pk=revocation.pk).delete()
    assert FormSubmission.objects.filter(pk=submission.pk).exists()


def test_revoked_consent_is_required_again(forms_world):
    w = forms_world
    sent, _submission, _ = _submit(w)
    services.submission_revoke_by_link(token=sent.token, reason="")
    assert _standing(w).forms[0].status == FormStatus.REVOKED


# --- the treatment guard ----------------------------------------------------------------


def test_guard_blocks_signing_without_a_reason(forms_world):
    w = forms_world
    opened = charting.chart_open_for_appointment(actor=w.as_provider, appointment_id=w.appointment_id)
    chart = opened.chart
    from medspa.charting.checklist import guard_items
    from medspa.charting.tests.fixtures import botox_content

    assert [i.key for i in guard_items(actor=w.as_provider, chart=chart)] == ["consents"]
    charting.chart_save(actor=w.as_provider, chart_id=chart.pk, content=botox_content(), version=chart.version)
    with pytest.raises(InvalidInput) as raised:
        charting.chart_sign(actor=w.as_provider, chart_id=chart.pk, password=PASSWORD)
    assert "Neurotoxin consent" in raised.value.fields["override_reason"]
    charting.chart_sign(
        actor=w.as_provider, chart_id=chart.pk, password=PASSWORD, override_reason="Paper consent signed today"
    )
    signature = ChartSignature.objects.get(chart=chart)
    assert signature.override_reason == "Paper consent signed today"
    assert any("Neurotoxin consent" in m for m in signature.missing)
    assert AuditEvent.objects.filter(action="chart.signed", object_id=str(chart.pk)).exists()


def test_guard_passes_with_the_consent_on_file(forms_world):
    w = forms_world
    _submit(w)
    opened = charting.chart_open_for_appointment(actor=w.as_provider, appointment_id=w.appointment_id)
    from medspa.charting.checklist import guard_items
    from medspa.charting.tests.fixtures import botox_content

    chart = opened.chart
    assert guard_items(actor=w.as_provider, chart=chart) == []
    charting.chart_save(actor=w.as_provider, chart_id=chart.pk, content=botox_content(), version=chart.version)
    charting.chart_sign(actor=w.as_provider, chart_id=chart.pk, password=PASSWORD)
    assert ChartSignature.objects.get(chart=chart).override_reason == ""


def test_guard_can_be_overridden_even_when_the_clinic_forbids_other_gaps(forms_world):
    w = forms_world
    charting.clinic_settings_update(actor=w.as_owner, allow_sign_with_missing=False)
    opened = charting.chart_open_for_appointment(actor=w.as_provider, appointment_id=w.appointment_id)
    from medspa.charting.tests.fixtures import botox_content

    chart = opened.chart
    charting.chart_save(actor=w.as_provider, chart_id=chart.pk, content=botox_content(), version=chart.version)
    charting.chart_sign(actor=w.as_provider, chart_id=chart.pk, password=PASSWORD, override_reason="Verbal, witnessed")
    assert ChartSignature.objects.get(chart=chart).override_reason == "Verbal, witnessed"


# --- tenancy and roles ------------------------------------------------------------------


def test_other_clinic_objects_look_missing(forms_world, other_forms_world):
    w, o = forms_world, other_forms_world
    _sent, submission, _ = _submit(o)
    for call in (
        lambda: selectors.form_get(actor=w.as_owner, form_id=o.consent.pk),
        lambda: selectors.submission_get(actor=w.as_owner, submission_id=submission.pk),
        lambda: selectors.appointment_standing(actor=w.as_owner, appointment_id=o.appointment_id),
        lambda: services.form_send(actor=w.as_owner, form_id=o.consent.pk, patient_id=w.patient.pk),
        lambda: services.form_send(actor=w.as_owner, form_id=w.consent.pk, patient_id=o.patient.pk),
        lambda: services.submission_revoke(actor=w.as_owner, submission_id=submission.pk),
        lambda: services.form_publish(actor=w.as_owner, form_id=o.consent.pk, material=True),
    ):
        with pytest.raises(NotFound):
            call()
    assert not FormRevocation.objects.exists()


def test_lesser_roles_are_refused(forms_world):
    w = forms_world
    read_only = Actor.staff(user=w.front_desk, clinic=w.clinic, role=Role.READ_ONLY)
    with pytest.raises(PermissionDenied):
        selectors.form_list(actor=read_only)
    with pytest.raises(PermissionDenied):
        services.form_send(actor=w.as_md, form_id=w.consent.pk, patient_id=w.patient.pk)
    with pytest.raises(PermissionDenied):
        services.form_create(actor=w.actor(w.front_desk), name="X", kind="intake", definition={})


def test_reading_a_submission_is_audited(forms_world):
    w = forms_world
    _sent, submission, _ = _submit(w)
    selectors.submission_get(actor=w.as_md, submission_id=submission.pk)
    event = AuditEvent.objects.filter(action="form_submission.viewed", object_id=str(submission.pk)).get()
    assert event.patient_id == str(w.patient.pk)


def test_reminder_goes_once_for_visits_within_two_days(forms_world, django_capture_on_commit_callbacks):
    w = forms_world
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_visit(w, days=1)
    assert FormLink.objects.filter(appointment=appointment).count() == 1
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.forms_remind_due() == 1
    assert len(mail.outbox) == 1 and "still waiting" in mail.outbox[0].body
    fresh = FormLink.objects.filter(appointment=appointment).order_by("created_at").last()
    assert fresh.reminded_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.forms_remind_due() == 0
    # Far-off visits (the world's, nine days out) are not reminded.
    assert not FormLink.objects.filter(appointment_id=w.appointment_id, reminded_at__isnull=False).exists()


def test_medical_history_answers_need_clinical_access(forms_world):
    w = forms_world
    fitz = w.form("fitzpatrick")
    answers = {f["key"]: f["options"][2] for f in selectors.current_version(fitz).definition["sections"][0]["fields"]}
    _sent, submission, _ = _submit(w, answers=answers, signatures={}, form=fitz)
    with pytest.raises(PermissionDenied):
        selectors.submission_get(actor=w.actor(w.front_desk), submission_id=submission.pk)
    assert selectors.submission_get(actor=w.as_md, submission_id=submission.pk).pk == submission.pk
    _sent, consent, _ = _submit(w)
    assert selectors.submission_get(actor=w.actor(w.front_desk), submission_id=consent.pk).pk == consent.pk


def test_the_verify_command_exits_non_zero_on_a_mismatch(forms_world):
    import io

    from django.core.management import call_command

    from medspa.core.audit import append_only_suspended

    _sent, submission, _ = _submit(forms_world)
    out = io.StringIO()
    call_command("consents_verify", stdout=out)
    assert "Submitted forms intact: 1 verified" in out.getvalue()
    with append_only_suspended():
        FormSubmission.objects.filter(pk=submission.pk).update(signer_name="Someone Else")
    err = io.StringIO()
    with pytest.raises(SystemExit) as raised:
        call_command("consents_verify", stderr=err)
    assert raised.value.code == 1 and f"submission {submission.pk}: signature hash mismatch" in err.getvalue()
    assert AuditEvent.objects.filter(action="consents.verified", outcome="failure").exists()
