"""SIG-1 / SIG-3: a signature binds every part of the chart; any change after signing —
through the ORM or raw SQL, with the database's guard switched off — fails verification,
and with the guard on the database refuses it."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medspa.charting import services
from medspa.charting.models import Chart, ChartSignature
from medspa.charting.signing import chart_document, chart_row, sha256, verify_charts
from medspa.charting.tests.fixtures import botox_content, signed_chart
from medspa.core.audit import append_only_suspended
from medspa.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _content_mutations(content: dict):
    """(name, mutated content) for every part of a signed chart's content."""
    for key in ("concerns", "tolerance", "contraindications_reviewed"):
        changed = json.loads(json.dumps(content))
        changed["fields"][key] = "tampered" if key != "contraindications_reviewed" else False
        yield f"fields.{key}", changed
    for key in ("name", "lot_number", "expiry_date", "quantity", "dilution", "brand"):
        changed = json.loads(json.dumps(content))
        changed["products"][0][key] = "2031-01-01" if key == "expiry_date" else "X9"
        yield f"products.{key}", changed
    for key in ("zone", "units", "x", "y", "depth", "product_id"):
        changed = json.loads(json.dumps(content))
        changed["injections"][0][key] = 0.11 if key in ("x", "y") else "chin" if key == "zone" else "7"
        yield f"injections.{key}", changed
    for key in ("aftercare", "notes"):
        changed = json.loads(json.dumps(content))
        changed[key] = "tampered"
        yield key, changed
    changed = json.loads(json.dumps(content))
    changed["injections"].pop()
    yield "injections removed", changed
    changed = json.loads(json.dumps(content))
    changed["photos"] = [{"id": str(uuid.uuid4()), "sha256": "0" * 64, "annotation_version": 0}]
    yield "photos added", changed


def test_every_mutation_after_signing_is_detected(world, make_member):
    chart = signed_chart(world)
    chart.refresh_from_db()
    original = chart.content
    other_patient = world.patient.__class__.all_objects.exclude(pk=world.patient.pk).first()
    column_mutations = [
        ("patient_id", other_patient.pk if other_patient else uuid.uuid4()),
        ("provider_id", world.md.pk),
        ("service_id", None),
        ("appointment_id", None),
        ("treated_at", chart.treated_at.replace(year=chart.treated_at.year - 1)),
    ]
    attempts, undetected = 0, []
    for name, content in _content_mutations(original):
        attempts += 1
        with append_only_suspended():
            Chart.objects.filter(pk=chart.pk).update(content=content)
        if not verify_charts()[1]:
            undetected.append(name)
        with append_only_suspended():
            Chart.objects.filter(pk=chart.pk).update(content=original)
    for column, value in column_mutations:
        attempts += 1
        before = Chart.objects.filter(pk=chart.pk).values_list(column, flat=True).first()
        with append_only_suspended(), connection.constraint_checks_disabled():
            Chart.objects.filter(pk=chart.pk).update(**{column: value})
        if not verify_charts()[1]:
            undetected.append(column)
        with append_only_suspended():
            Chart.objects.filter(pk=chart.pk).update(**{column: before})
    assert attempts >= 20
    assert undetected == []
    assert verify_charts() == (1, [])


def test_signature_records_cannot_be_moved_or_edited(world):
    chart = signed_chart(world)
    signature = chart.provider_signature
    for field, value in (("signer_name", "Someone Else"), ("signed_at", signature.signed_at.replace(year=2001))):
        with append_only_suspended():
            ChartSignature.objects.filter(pk=signature.pk).update(**{field: value})
        assert any("altered" in str(p) for p in verify_charts()[1]), field
        with append_only_suspended():
            ChartSignature.objects.filter(pk=signature.pk).update(**{field: getattr(signature, field)})
    assert verify_charts() == (1, [])


def test_raw_sql_is_refused_while_the_guard_is_on(world):
    chart = signed_chart(world)
    statements = [
        (
            "UPDATE charting_chart SET content = %s WHERE id = %s",
            [json.dumps({"notes": "raw"}), chart.pk.hex if connection.vendor == "sqlite" else str(chart.pk)],
        ),
        (
            "DELETE FROM charting_chart WHERE id = %s",
            [chart.pk.hex if connection.vendor == "sqlite" else str(chart.pk)],
        ),
        (
            "UPDATE charting_chartsignature SET content_hash = %s WHERE chart_id = %s",
            ["0" * 64, chart.pk.hex if connection.vendor == "sqlite" else str(chart.pk)],
        ),
    ]
    accepted = 0
    for sql, params in statements:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
                accepted += cursor.rowcount > 0
        except DatabaseError:
            pass
    assert accepted == 0
    assert verify_charts() == (1, [])


def test_owner_cannot_change_or_delete_a_signed_chart_either(world):
    chart = signed_chart(world)
    from medspa.core.errors import Conflict

    with pytest.raises(Conflict):
        services.chart_save(actor=world.as_owner, chart_id=chart.pk, content=botox_content(), version=chart.version)
    with pytest.raises(Conflict):
        services.chart_delete(actor=world.as_owner, chart_id=chart.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        Chart.objects.filter(pk=chart.pk).update(deleted_at=chart.updated_at)


answers = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60)
    .map(str.strip)
    .filter(bool)
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(concerns=answers, units=st.decimals(min_value="0.5", max_value="100", places=1), notes=answers)
def test_any_signed_content_verifies_and_any_change_is_caught(world, concerns, units, notes):
    content = botox_content()
    content["fields"]["concerns"] = concerns
    content["injections"][0]["units"] = str(units)
    content["notes"] = notes
    chart = services.chart_create(
        actor=world.as_provider, patient_id=world.patient.pk, template_id=world.template_id("neurotoxin")
    )
    chart = services.chart_save(actor=world.as_provider, chart_id=chart.pk, content=content, version=chart.version)
    chart = services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD, override_reason="fuzz")
    chart.refresh_from_db()
    assert chart.provider_signature.content_hash == sha256(chart_document(chart_row(chart)))

    def mine():
        return [p for p in verify_charts()[1] if p.chart_id == str(chart.pk)]

    assert mine() == []
    tampered = json.loads(json.dumps(chart.content))
    tampered["notes"] = notes + "."
    with append_only_suspended():
        Chart.objects.filter(pk=chart.pk).update(content=tampered)
    assert len(mine()) == 1


def test_a_drawn_signature_is_stored_clean_and_bound_by_its_hash(world):
    import base64

    from medspa.core.files import read_bytes
    from medspa.core.models import StoredFile
    from medspa.core.tests.images import png

    chart = services.chart_open_for_appointment(actor=world.as_provider, appointment_id=world.appointment_id).chart
    chart = services.chart_save(
        actor=world.as_provider, chart_id=chart.pk, content=botox_content(), version=chart.version
    )
    drawn = "data:image/png;base64," + base64.b64encode(png((300, 90))).decode()
    chart = services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD, signature_image=drawn)
    signature = chart.provider_signature
    assert signature.image is not None and signature.image.kind == "signature"
    assert read_bytes(signature.image).startswith(b"\x89PNG")
    assert verify_charts() == (1, [])
    # Swapping the drawn image (its hash) breaks the signature.
    with append_only_suspended():
        StoredFile.objects.filter(pk=signature.image_id).update(sha256="f" * 64)
    assert any("altered" in str(p) for p in verify_charts()[1])


@pytest.mark.parametrize("drawn", ["data:image/png;base64,!!!", "data:text/html;base64,PGI+", "not a data url"])
def test_a_bad_drawn_signature_is_refused_and_nothing_is_signed(world, drawn):
    from medspa.core.errors import InvalidInput
    from medspa.core.models import StoredFile

    chart = services.chart_open_for_appointment(actor=world.as_provider, appointment_id=world.appointment_id).chart
    chart = services.chart_save(
        actor=world.as_provider, chart_id=chart.pk, content=botox_content(), version=chart.version
    )
    files_before = StoredFile.objects.count()
    with pytest.raises(InvalidInput) as refused:
        services.chart_sign(actor=world.as_provider, chart_id=chart.pk, password=PASSWORD, signature_image=drawn)
    assert "signature_image" in refused.value.fields
    assert not ChartSignature.objects.exists() and StoredFile.objects.count() == files_before
