"""Charts from template to lock: content rules, autosave conflicts, signatures, the MD's
queue, returns, amendments, and who may do each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from medspa.charting import selectors, services
from medspa.charting.choices import ChartStatus
from medspa.charting.models import Chart, ChartAmendment, ChartSignature, ChartTemplateVersion
from medspa.charting.signing import chart_document, chart_row, sha256, verify_charts
from medspa.charting.tests.fixtures import botox_content, signed_chart
from medspa.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from medspa.core.models import AuditEvent
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _open(world):
    return services.chart_open_for_appointment(actor=world.as_provider, appointment_id=world.appointment_id).chart


def test_opening_an_appointment_creates_its_chart_from_the_service_template_once(world):
    first = services.chart_open_for_appointment(actor=world.as_provider, appointment_id=world.appointment_id)
    again = services.chart_open_for_appointment(actor=world.as_provider, appointment_id=world.appointment_id)
    assert first.created and not again.created and first.chart.pk == again.chart.pk
    chart = first.chart
    assert chart.template_version.template.key == "neurotoxin"
    assert chart.requires_md_review is True
    assert chart.content["aftercare"] == "No lying down for 4 hours."
    assert chart.provider_id == world.provider.pk and chart.status == ChartStatus.DRAFT
    assert AuditEvent.objects.filter(action="chart.created", object_id=str(chart.pk)).count() == 1


def test_save_validates_and_totals(world):
    chart = _open(world)
    saved = services.chart_save(actor=world.as_provider, chart_id=chart.pk, content=botox_content(), version=1)
    assert saved.version == 2
    totals = selectors.chart_totals(chart=saved)
    assert totals["by_zone"] == {"glabella": "20", "crows_feet_left": "12", "crows_feet_right": "12"}
    assert totals["total_units"] == "44" and totals["products"][0]["injected_units"] == "44"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda c: c["products"][0].update(expiry_date=(timezone.localdate() - timedelta(days=1)).isoformat()),
            "products.0.expiry_date",
        ),
        (lambda c: c["products"][0].update(quantity="-3"), "products.0.quantity"),
        (lambda c: c["injections"][0].update(zone="elbow"), "injections.0.zone"),
        (
            lambda c: c["injections"].append({"zone": "custom", "x": 1.4, "y": 0.3, "units": "2", "label": "x"}),
            "injections.3.x",
        ),
        (lambda c: c["injections"].append({"zone": "custom", "x": 0.4, "y": 0.3, "units": "2"}), "injections.3.label"),
        (
            lambda c: c["injections"][0].update(product_id="00000000-0000-0000-0000-000000000000"),
            "injections.0.product_id",
        ),
        (lambda c: c["fields"].update(tolerance="Amazing"), "fields.tolerance"),
        (lambda c: c["fields"].update(not_a_field="x"), "fields.not_a_field"),
        (lambda c: c["fields"].update(contraindications_reviewed="yes"), "fields.contraindications_reviewed"),
    ],
)
def test_bad_content_is_refused_and_nothing_is_written(world, mutate, field):
    chart = _open(world)
    content = botox_content()
    mutate(content)
    with pytest.raises(InvalidInput) as refused:
        services.chart_save(actor=world.as_provider, chart_id=chart.pk, content=content, version=1)
    assert field in refused.value.fields
    chart.refresh_from_db()
    assert chart.version == 1 and chart.content["products"] == []


def test_a_stale_autosave_is_a_conflict(world):
    chart = _open(world)
    services.chart_save(actor=world.as_provider, chart_id=chart.pk, content=botox_content(), version=1)
    with pytest.raises(Conflict):
        services.chart_save(actor=world.as_provider, chart_id=chart.pk, content={"notes": "tablet"}, version=1)
    chart.refresh_from_db()
    assert chart.version == 2 and chart.content["notes"] == ""


def test_provider_signature_binds_the_canonical_content(world):
    chart = signed_chart(world)
    assert chart.status == ChartStatus.NEEDS_SIGNOFF
    signature = chart.provider_signature
    assert signature.signer_id == world.provider.pk and signature.signer_role == "provider"
    assert signature.signer_name and signature.meaning and signature.signed_at
    chart.refresh_from_db()
    assert signature.content_hash == sha256(chart_document(chart_row(chart)))
    assert chart.content["photos"] == []
    assert verify_charts() == (1, [])


def test_signing_needs_the_password_and_writes_nothing_without_it(world):
    chart = _open(world)
    services.chart_save(actor=world.as_provider, chart_id=chart.pk, content=botox_content(), version=1)
    with pytest.raises(InvalidInput) as refused:
        services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password="wrong")
    assert refused.value.code == "reauthentication_failed"
    chart.refresh_from_db()
    assert chart.status == ChartStatus.DRAFT and not ChartSignature.objects.exists()


def test_missing_items_need_a_reason_and_the_reason_is_kept(world):
    chart = _open(world)
    with pytest.raises(InvalidInput) as refused:
        services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD)
    assert "override_reason" in refused.value.fields
    assert "Injection sites" in refused.value.fields["override_reason"]
    signed = services.chart_sign(
        actor=world.as_provider, chart_id=chart.pk, password=PASSWORD, override_reason="Patient left early"
    )
    assert signed.provider_signature.override_reason == "Patient left early"
    assert any("Required fields" in m for m in signed.provider_signature.missing)


def test_clinic_can_forbid_signing_with_missing_items(world):
    services.clinic_settings_update(actor=world.as_owner, allow_sign_with_missing=False)
    chart = _open(world)
    with pytest.raises(InvalidInput):
        services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD, override_reason="Because")
    assert Chart.objects.get(pk=chart.pk).status == ChartStatus.DRAFT


def test_signed_chart_refuses_edits_second_signature_and_deletion(world):
    chart = signed_chart(world)
    with pytest.raises(Conflict):
        services.chart_save(actor=world.as_provider, chart_id=chart.pk, content=botox_content(), version=chart.version)
    with pytest.raises(Conflict):
        services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD)
    with pytest.raises(Conflict):
        services.chart_delete(actor=world.as_provider, chart_id=chart.pk)
    assert ChartSignature.objects.count() == 1


def test_the_database_refuses_changes_to_a_signed_chart_even_through_the_orm(world):
    from django.db import DatabaseError, transaction

    chart = signed_chart(world)
    with pytest.raises(DatabaseError), transaction.atomic():
        Chart.objects.filter(pk=chart.pk).update(content={"fields": {}, "notes": "rewritten"})
    with pytest.raises(DatabaseError), transaction.atomic():
        Chart.all_objects.filter(pk=chart.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        ChartSignature.objects.filter(chart=chart).update(signer_name="Someone else")
    with pytest.raises(DatabaseError), transaction.atomic():
        ChartTemplateVersion.objects.filter(clinic=world.clinic).update(sections=[])
    chart.refresh_from_db()
    assert verify_charts() == (1, [])


def test_charts_verify_reports_a_tampered_chart(world):
    from medspa.core.audit import append_only_suspended

    chart = signed_chart(world)
    # Someone with database access switches the triggers off and edits the signed units.
    with append_only_suspended():
        content = dict(chart.content)
        content["injections"] = [dict(row) for row in content["injections"]]
        content["injections"][0]["units"] = "40"
        Chart.objects.filter(pk=chart.pk).update(content=content)
    checked, problems = verify_charts()
    assert checked == 1 and len(problems) == 1 and "content differs" in str(problems[0])


def test_md_signs_returns_or_asks_and_can_write_nothing_else(world):
    chart = signed_chart(world)
    md = world.as_md
    with pytest.raises(PermissionDenied):
        services.chart_save(actor=md, chart_id=chart.pk, content=botox_content(), version=chart.version)
    with pytest.raises(PermissionDenied):
        services.chart_create(actor=md, patient_id=world.patient.pk)
    with pytest.raises(PermissionDenied):
        services.chart_delete(actor=md, chart_id=chart.pk)
    with pytest.raises(PermissionDenied):
        services.chart_amend(actor=md, chart_id=chart.pk, reason="r", text="t", password=PASSWORD)
    with pytest.raises(PermissionDenied):
        services.template_create(actor=md, name="Mine", sections=[])
    services.chart_request_info(actor=md, chart_id=chart.pk, comment="Which dilution?")
    assert Chart.objects.get(pk=chart.pk).status == ChartStatus.NEEDS_SIGNOFF
    services.chart_reply(actor=world.as_provider, chart_id=chart.pk, comment="2.5 mL")
    signed = services.chart_md_sign(actor=md, chart_id=chart.pk, password=PASSWORD)
    assert signed.status == ChartStatus.MD_SIGNED
    assert signed.md_signature.content_hash == signed.provider_signature.content_hash
    assert verify_charts() == (1, [])
    locked = services.chart_lock(actor=world.as_provider, chart_id=chart.pk)
    assert locked.status == ChartStatus.LOCKED and locked.locked_at


def test_md_return_sends_the_chart_back_to_draft_and_the_provider_signs_again(world):
    chart = signed_chart(world)
    returned = services.chart_return(actor=world.as_md, chart_id=chart.pk, comment="Add the dilution per area.")
    assert returned.status == ChartStatus.DRAFT and returned.provider_signature is None
    assert AuditEvent.objects.filter(action="chart.returned", object_id=str(chart.pk)).exists()
    content = botox_content()
    content["notes"] = "Dilution 2.5 mL everywhere"
    services.chart_save(actor=world.as_provider, chart_id=chart.pk, content=content, version=returned.version)
    again = services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD)
    assert again.status == ChartStatus.NEEDS_SIGNOFF and ChartSignature.objects.filter(chart=chart).count() == 2
    assert verify_charts() == (1, [])


def test_the_wrong_roles_cannot_sign(world):
    chart = _open(world)
    services.chart_save(actor=world.as_provider, chart_id=chart.pk, content=botox_content(), version=1)
    with pytest.raises(PermissionDenied):
        services.chart_sign(actor=world.as_owner, chart_id=chart.pk, password=PASSWORD)  # not the treating provider
    with pytest.raises(PermissionDenied):
        services.chart_sign(actor=world.as_md, chart_id=chart.pk, password=PASSWORD)
    with pytest.raises(Conflict):
        services.chart_md_sign(actor=world.as_md, chart_id=chart.pk, password=PASSWORD)  # not submitted yet
    with pytest.raises(PermissionDenied):
        services.chart_md_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD)
    assert not ChartSignature.objects.exists()


def test_named_medical_director_and_alternate_are_the_only_cosigners(world, make_member):
    from medspa.core.permissions import Role

    other_md = make_member(world.clinic, Role.MEDICAL_DIRECTOR, email="alt@test.example")
    services.clinic_settings_update(actor=world.as_owner, medical_director_id=world.md.pk)
    chart = signed_chart(world)
    with pytest.raises(PermissionDenied):
        services.chart_md_sign(actor=world.actor(other_md, "medical_director"), chart_id=chart.pk, password=PASSWORD)
    services.clinic_settings_update(
        actor=world.as_owner, medical_director_id=world.md.pk, alternate_medical_director_id=other_md.pk
    )
    signed = services.chart_md_sign(
        actor=world.actor(other_md, "medical_director"), chart_id=chart.pk, password=PASSWORD
    )
    assert signed.status == ChartStatus.MD_SIGNED


def test_services_without_md_review_lock_on_the_provider_signature(world):
    services.service_settings_update(
        actor=world.as_owner,
        service_id=world.service_id,
        template_id=world.template_id("neurotoxin"),
        requires_md_review=False,
    )
    chart = signed_chart(world)
    assert chart.status == ChartStatus.LOCKED and chart.locked_at
    assert selectors.review_queue_count(actor=world.as_md) == 0


def test_amendments_append_signed_records_and_leave_the_original(world):
    services.service_settings_update(
        actor=world.as_owner,
        service_id=world.service_id,
        template_id=world.template_id("neurotoxin"),
        requires_md_review=False,
    )
    chart = signed_chart(world)
    before = Chart.objects.get(pk=chart.pk).content
    correction = dict(botox_content()["products"][0], lot_number="C9999Z")
    amendment = services.chart_amend(
        actor=world.as_provider,
        chart_id=chart.pk,
        reason="Lot number typo",
        text="The lot used was C9999Z.",
        password=PASSWORD,
        product_corrections=[correction],
    )
    second = services.chart_amend(
        actor=world.as_provider,
        chart_id=chart.pk,
        reason="Follow-up",
        text="Patient called: no bruising.",
        password=PASSWORD,
    )
    assert (amendment.number, second.number) == (1, 2)
    assert Chart.objects.get(pk=chart.pk).content == before
    assert ChartSignature.objects.filter(amendment__isnull=False).count() == 2
    assert verify_charts() == (1, [])
    from medspa.core.audit import append_only_suspended

    with append_only_suspended():
        ChartAmendment.objects.filter(pk=amendment.pk).update(text="Something else")
    assert any("amendment 1" in str(p) for p in verify_charts()[1])


def test_amending_a_draft_is_refused(world):
    chart = _open(world)
    with pytest.raises(Conflict):
        services.chart_amend(actor=world.as_provider, chart_id=chart.pk, reason="r", text="t", password=PASSWORD)


def test_sign_many_is_all_or_nothing(world):
    chart = _open(world)
    services.chart_save(actor=world.as_provider, chart_id=chart.pk, content=botox_content(), version=1)
    blank = services.chart_create(
        actor=world.as_provider, patient_id=world.patient.pk, template_id=world.template_id("soap-note")
    )
    with pytest.raises(InvalidInput) as refused:
        services.charts_sign_many(actor=world.as_provider, chart_ids=[chart.pk, blank.pk], password=PASSWORD)
    assert refused.value.fields["chart_ids"] == str(blank.pk)
    assert not ChartSignature.objects.exists()
    signed = services.charts_sign_many(actor=world.as_provider, chart_ids=[str(chart.pk)], password=PASSWORD)
    assert [c.status for c in signed] == [ChartStatus.NEEDS_SIGNOFF]


def test_another_clinic_cannot_see_or_touch_a_chart(world, other_world):
    chart = signed_chart(world)
    theirs = other_world.as_owner
    with pytest.raises(NotFound):
        selectors.chart_get(actor=theirs, chart_id=chart.pk)
    with pytest.raises(NotFound):
        services.chart_save(actor=other_world.as_provider, chart_id=chart.pk, content={}, version=1)
    with pytest.raises(NotFound):
        services.chart_md_sign(actor=other_world.as_md, chart_id=chart.pk, password=PASSWORD)
    with pytest.raises(NotFound):
        services.chart_open_for_appointment(actor=other_world.as_provider, appointment_id=world.appointment_id)
    assert list(selectors.review_queue(actor=other_world.as_md)) == []


def test_templates_publish_new_versions_and_charts_keep_theirs(world):
    chart = _open(world)
    template = chart.template_version.template
    sections = [dict(s) for s in chart.template_version.sections]
    sections.append(
        {"key": "extra", "title": "Extra", "fields": [{"key": "extra_note", "label": "Extra", "type": "short_text"}]}
    )
    services.template_update(actor=world.as_owner, template_id=template.pk, sections=sections, base_version=1)
    template.refresh_from_db()
    assert template.current_version == 2
    chart.refresh_from_db()
    assert chart.template_version.number == 1
    with pytest.raises(Conflict):
        services.template_update(actor=world.as_owner, template_id=template.pk, sections=sections, base_version=1)
    with pytest.raises(PermissionDenied):
        services.template_update(actor=world.as_provider, template_id=template.pk, sections=sections)


@pytest.mark.parametrize(
    "sections",
    [
        [],
        [{"title": "", "fields": [{"key": "a", "label": "A", "type": "short_text"}]}],
        [{"title": "S", "fields": [{"key": "a", "label": "A", "type": "telepathy"}]}],
        [{"title": "S", "fields": [{"key": "a", "label": "A", "type": "select", "options": []}]}],
        [
            {
                "title": "S",
                "fields": [
                    {"key": "a", "label": "A", "type": "short_text"},
                    {"key": "a", "label": "B", "type": "short_text"},
                ],
            }
        ],
        [{"title": "S", "fields": [{"key": "Bad Key", "label": "A", "type": "short_text"}]}],
    ],
)
def test_bad_templates_are_refused(world, sections):
    with pytest.raises(InvalidInput):
        services.template_create(actor=world.as_owner, name="Custom", sections=sections)


def test_the_charts_verify_command_reports_and_audits(world):
    import io

    from django.core.management import call_command

    from medspa.core.models import AuditEvent

    out = io.StringIO()
    call_command("charts_verify", stdout=out)
    assert "Signed charts intact: 0 verified" in out.getvalue()
    assert AuditEvent.objects.filter(action="charts.verified", outcome="success").exists()
