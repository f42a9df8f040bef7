"""Services and selectors of clinical photos: upload, consent, chart rules, annotations,
export, and the reads other modules rely on."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from medspa.core import files
from medspa.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from medspa.core.models import AuditEvent, StoredFile
from medspa.core.permissions import Role
from medspa.core.tests import images
from medspa.patients import services as patient_services
from medspa.patients.models import Patient
from medspa.photos import selectors, services
from medspa.photos.choices import THUMBNAIL_PX
from medspa.photos.models import ClinicalPhoto, PhotoAnnotation
from medspa.photos.tests.factories import (
    LINE,
    POINT,
    SHAPES,
    TEXT,
    actor_for,
    blob_count,
    make_chart,
    make_patient,
    make_photo,
    photo_state,
    sign_chart,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(clinic, owner):
    return actor_for(clinic, owner)


@pytest.fixture
def provider(clinic, make_member):
    return actor_for(clinic, make_member(clinic, Role.PROVIDER, email="prov@photo.example"), Role.PROVIDER)


@pytest.fixture
def patient(actor):
    return make_patient(actor)


@pytest.fixture
def other(other_clinic, other_clinic_owner):
    theirs = actor_for(other_clinic, other_clinic_owner)
    patient = make_patient(theirs, first_name="Canary")
    return {
        "actor": theirs,
        "patient": patient,
        "chart": make_chart(theirs, patient),
        "photo": make_photo(theirs, patient),
    }


# Upload -------------------------------------------------------------------------------------------


def test_upload_stores_a_clean_original_and_a_thumbnail_and_audits(provider, patient):
    photo = make_photo(provider, patient, upload=upload(images.gps_jpeg((1200, 800)), "cam.jpg"), angle="left_profile")
    assert photo.consent_override is False and photo.uploaded_by == provider.user and photo.angle == "left_profile"
    original, thumb = StoredFile.objects.get(pk=photo.file_id), StoredFile.objects.get(pk=photo.thumbnail_id)
    assert (original.kind, thumb.kind) == (services.PHOTO_KIND, services.THUMB_KIND)
    plain = files.read_bytes(original)
    # Orientation 6 applied (1200x800 -> 800x1200) and no metadata left.
    assert Image.open(io.BytesIO(plain)).size == (800, 1200) and b"Exif\x00" not in plain
    small = Image.open(io.BytesIO(files.read_bytes(thumb)))
    assert small.format == "JPEG" and max(small.size) == THUMBNAIL_PX and small.size == (213, 320)
    assert hashlib.sha256(plain).hexdigest() == original.sha256
    event = AuditEvent.objects.get(action="photo.uploaded")
    assert event.patient_id == str(patient.pk) and event.changes["consent_override"] is False
    assert blob_count() == 2


def test_without_consent_the_upload_is_refused_unless_confirmed(provider, actor):
    patient = make_patient(actor, consent=False)
    before = photo_state()
    with pytest.raises(Conflict) as refused:
        make_photo(provider, patient)
    assert refused.value.code == "photo_consent_missing" and refused.value.status == 409
    assert photo_state() == before
    photo = make_photo(provider, patient, confirm_without_consent=True)
    assert photo.consent_override is True
    event = AuditEvent.objects.get(action="photo.uploaded")
    assert event.changes["consent_override"] is True and "without photo consent" in event.summary
    # With consent on file, confirming changes nothing.
    assert services.photo_consent_on_file(provider, patient) is False
    consenting = make_patient(actor)
    assert make_photo(provider, consenting, confirm_without_consent=True).consent_override is False


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"angle": "top"}, "angle"),
        ({"phase": "later"}, "phase"),
        ({"note": "x" * 301}, "note"),
        ({"note": "a\x00b"}, "note"),
    ],
)
def test_invalid_metadata_is_a_field_error_and_writes_nothing(provider, patient, fields, bad):
    before = photo_state()
    with pytest.raises(InvalidInput) as refused:
        make_photo(provider, patient, **fields)
    assert bad in refused.value.fields
    assert photo_state() == before


def test_other_clinic_patient_appointment_and_chart_are_not_found(actor, patient, other):
    before = photo_state()
    with pytest.raises(NotFound):
        make_photo(actor, other["patient"])
    with pytest.raises(NotFound):
        make_photo(actor, patient, chart_id=other["chart"].pk)
    with pytest.raises(NotFound):
        make_photo(actor, patient, appointment_id=other["photo"].pk)  # any foreign or unknown id
    with pytest.raises(NotFound):
        make_photo(actor, patient, chart_id="not-a-uuid")
    assert photo_state() == before


def test_chart_upload_takes_the_charts_appointment_and_checks_the_patient(actor, patient, clinic, owner, make_member):
    from medspa.tests import scheduling_world

    built = scheduling_world.build(clinic, owner, patient.pk, make_member)
    chart = make_chart(actor, patient, appointment_id=built["appointment_id"])
    photo = make_photo(actor, patient, chart_id=chart.pk)
    assert photo.chart_id == chart.pk and photo.appointment_id == built["appointment_id"]
    direct = make_photo(actor, patient, appointment_id=built["appointment_id"])
    assert direct.appointment_id == built["appointment_id"] and direct.chart_id is None
    # Someone else's chart or appointment, even in this clinic, is not this patient's.
    sibling = make_patient(actor, first_name="Sib")
    with pytest.raises(NotFound):
        make_photo(actor, sibling, chart_id=chart.pk)
    with pytest.raises(NotFound):
        make_photo(actor, sibling, appointment_id=built["appointment_id"])


def test_signed_chart_refuses_new_photos(actor, patient):
    chart = make_chart(actor, patient, status="needs_signoff")
    before = photo_state()
    with pytest.raises(Conflict) as refused:
        make_photo(actor, patient, chart_id=chart.pk)
    assert refused.value.code == "chart_signed"
    assert photo_state() == before


def test_a_failure_inside_the_transaction_leaves_no_blob_and_no_row(actor, patient, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    before = photo_state()
    with pytest.raises(RuntimeError):
        make_photo(actor, patient)
    assert photo_state() == before and blob_count() == 0


@pytest.mark.parametrize("role", [Role.MEDICAL_DIRECTOR, Role.FRONT_DESK, Role.BILLING, Role.READ_ONLY])
def test_roles_without_upload_are_refused_before_anything(clinic, make_member, patient, actor, role):
    photo = make_photo(actor, patient)
    someone = actor_for(clinic, make_member(clinic, role), role)
    before = photo_state()
    calls = [
        lambda: make_photo(someone, patient),
        lambda: services.photo_update(actor=someone, photo_id=photo.pk, note="x"),
        lambda: services.photo_delete(actor=someone, photo_id=photo.pk),
        lambda: services.annotation_save(actor=someone, photo_id=photo.pk, shapes=[LINE], base_version=0),
        lambda: services.photo_export_png(actor=someone, photo_id=photo.pk),
        lambda: services.photo_detach(actor=someone, photo_id=photo.pk),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert photo_state() == before
    if role == Role.MEDICAL_DIRECTOR:
        assert selectors.photo_get(actor=someone, photo_id=photo.pk) == photo
    else:
        with pytest.raises(PermissionDenied):
            selectors.photo_get(actor=someone, photo_id=photo.pk)


# Metadata, delete, attach ----------------------------------------------------------------------


def test_update_changes_metadata_until_the_chart_is_signed(actor, patient):
    chart = make_chart(actor, patient)
    photo = make_photo(actor, patient, chart_id=chart.pk)
    updated = services.photo_update(actor=actor, photo_id=photo.pk, angle="right_oblique", phase="after", note="L")
    assert (updated.angle, updated.phase, updated.note) == ("right_oblique", "after", "L")
    assert AuditEvent.objects.get(action="photo.updated").changes["angle"] == ["front", "right_oblique"]
    sign_chart(chart)
    before = photo_state()
    with pytest.raises(Conflict) as refused:
        services.photo_update(actor=actor, photo_id=photo.pk, note="changed")
    assert refused.value.code == "photo_signed"
    assert photo_state() == before


def test_delete_is_soft_for_the_photo_and_both_files(actor, patient):
    photo = make_photo(actor, patient)
    services.photo_delete(actor=actor, photo_id=photo.pk)
    assert not ClinicalPhoto.objects.filter(pk=photo.pk).exists()
    assert ClinicalPhoto.all_objects.get(pk=photo.pk).deleted_at is not None
    assert (
        StoredFile.all_objects.filter(pk__in=[photo.file_id, photo.thumbnail_id], deleted_at__isnull=False).count() == 2
    )
    assert blob_count() == 2  # nothing hard-deleted
    assert AuditEvent.objects.filter(action="photo.deleted", object_id=str(photo.pk)).count() == 1
    with pytest.raises(NotFound):
        selectors.photo_get(actor=actor, photo_id=photo.pk)
    with pytest.raises(NotFound):
        services.photo_delete(actor=actor, photo_id=photo.pk)


def test_delete_refused_on_a_signed_chart(actor, patient):
    chart = make_chart(actor, patient)
    photo = make_photo(actor, patient, chart_id=chart.pk)
    sign_chart(chart, "locked")
    before = photo_state()
    with pytest.raises(Conflict) as refused:
        services.photo_delete(actor=actor, photo_id=photo.pk)
    assert refused.value.code == "photo_signed"
    assert photo_state() == before


def test_attach_and_detach(actor, patient, other):
    photo = make_photo(actor, patient)
    chart = make_chart(actor, patient)
    assert services.photo_attach(actor=actor, photo_id=photo.pk, chart_id=chart.pk).chart_id == chart.pk
    assert selectors.chart_photos(actor=actor, chart_id=chart.pk) == [photo]
    assert services.photo_detach(actor=actor, photo_id=photo.pk).chart_id is None
    assert [e.action for e in AuditEvent.objects.filter(action__in=["photo.attached", "photo.detached"])] == [
        "photo.attached",
        "photo.detached",
    ]
    sibling_chart = make_chart(actor, make_patient(actor, first_name="Sib"))
    with pytest.raises(NotFound):
        services.photo_attach(actor=actor, photo_id=photo.pk, chart_id=sibling_chart.pk)
    with pytest.raises(NotFound):
        services.photo_attach(actor=actor, photo_id=photo.pk, chart_id=other["chart"].pk)
    with pytest.raises(NotFound):
        services.photo_attach(actor=actor, photo_id=other["photo"].pk, chart_id=chart.pk)
    services.photo_attach(actor=actor, photo_id=photo.pk, chart_id=chart.pk)
    loose = make_photo(actor, patient)
    sign_chart(chart)
    before = photo_state()
    with pytest.raises(Conflict):
        services.photo_detach(actor=actor, photo_id=photo.pk)
    with pytest.raises(Conflict):
        services.photo_attach(actor=actor, photo_id=loose.pk, chart_id=chart.pk)
    assert photo_state() == before
    assert ClinicalPhoto.objects.get(pk=photo.pk).chart_id == chart.pk


# Annotations -------------------------------------------------------------------------------------


def test_annotation_versions_append_and_stale_saves_are_refused(actor, patient):
    photo = make_photo(actor, patient)
    first = services.annotation_save(actor=actor, photo_id=photo.pk, shapes=SHAPES, base_version=0)
    second = services.annotation_save(actor=actor, photo_id=photo.pk, shapes=[LINE], base_version=1)
    assert (first.number, second.number) == (1, 2)
    assert ClinicalPhoto.objects.get(pk=photo.pk).annotation_version == 2
    before = photo_state()
    with pytest.raises(Conflict) as refused:
        services.annotation_save(actor=actor, photo_id=photo.pk, shapes=[POINT], base_version=1)
    assert refused.value.code == "annotation_conflict"
    assert photo_state() == before
    assert selectors.annotation_get(actor=actor, photo_id=photo.pk).number == 2
    assert selectors.annotation_get(actor=actor, photo_id=photo.pk, version=1).shapes[0]["kind"] == "line"
    assert [a.number for a in selectors.annotation_versions(actor=actor, photo_id=photo.pk)] == [2, 1]
    with pytest.raises(NotFound):
        selectors.annotation_get(actor=actor, photo_id=photo.pk, version=3)
    assert AuditEvent.objects.filter(action="photo.annotated").count() == 2


def _with(shape, **changes):
    return {**shape, **changes}


BAD_SHAPES = {
    "x_above_one": _with(LINE, points=[[0.1, 0.1], [1.01, 0.5]]),
    "y_negative": _with(POINT, points=[[0.5, -0.001]]),
    "nan": _with(LINE, points=[[float("nan"), 0.1], [0.2, 0.2]]),
    "inf": _with(LINE, points=[[float("inf"), 0.1], [0.2, 0.2]]),
    "bool_as_number": _with(LINE, points=[[True, 0.1], [0.2, 0.2]]),
    "string_number": _with(LINE, points=[["0.1", 0.1], [0.2, 0.2]]),
    "three_points_line": _with(LINE, points=[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]),
    "one_point_freehand": {"kind": "freehand", "color": "red", "points": [[0.1, 0.1]]},
    "triple": _with(POINT, points=[[0.1, 0.1, 0.1]]),
    "unknown_kind": _with(LINE, kind="circle"),
    "unknown_color": _with(LINE, color="#ff0000"),
    "unknown_key": _with(LINE, onclick="alert(1)"),
    "number_on_line": _with(LINE, number=1),
    "zero_number": _with(POINT, number=0),
    "float_number": _with(POINT, number=1.5),
    "bool_number": _with(POINT, number=True),
    "empty_text": _with(TEXT, text="  "),
    "long_text": _with(TEXT, text="x" * 121),
    "nul_text": _with(TEXT, text="a\x00b"),
    "wide": _with(LINE, width=21),
    "bool_width": _with(LINE, width=True),
    "not_a_dict": [0.1, 0.2],
}


@pytest.mark.parametrize("name", list(BAD_SHAPES))
def test_invalid_shapes_are_refused_naming_the_shape_and_write_nothing(actor, patient, name):
    photo = make_photo(actor, patient)
    before = photo_state()
    with pytest.raises(InvalidInput) as refused:
        services.annotation_save(actor=actor, photo_id=photo.pk, shapes=[LINE, BAD_SHAPES[name]], base_version=0)
    assert list(refused.value.fields) == ["shapes.1"]
    assert photo_state() == before


def test_shape_list_limits(actor, patient):
    photo = make_photo(actor, patient)
    with pytest.raises(InvalidInput) as refused:
        services.annotation_save(actor=actor, photo_id=photo.pk, shapes=[LINE] * 501, base_version=0)
    assert "shapes" in refused.value.fields
    with pytest.raises(InvalidInput):
        services.annotation_save(actor=actor, photo_id=photo.pk, shapes={"kind": "line"}, base_version=0)
    stroke = {"kind": "freehand", "color": "red", "points": [[0.5, 0.5]] * 2001}
    with pytest.raises(InvalidInput):
        services.annotation_save(actor=actor, photo_id=photo.pk, shapes=[stroke], base_version=0)
    ok = services.annotation_save(actor=actor, photo_id=photo.pk, shapes=[], base_version=0)
    assert ok.number == 1 and ok.shapes == []


def test_annotating_a_signed_charts_photo_is_refused(actor, patient):
    chart = make_chart(actor, patient)
    photo = make_photo(actor, patient, chart_id=chart.pk)
    sign_chart(chart)
    with pytest.raises(Conflict):
        services.annotation_save(actor=actor, photo_id=photo.pk, shapes=[LINE], base_version=0)
    assert not PhotoAnnotation.objects.exists()


def test_original_is_unchanged_by_annotating_and_exporting(actor, patient):
    photo = make_photo(actor, patient, upload=upload(images.jpeg((400, 300)), "face.jpg"))
    stored = StoredFile.objects.get(pk=photo.file_id)
    row_hash, byte_hash = stored.sha256, hashlib.sha256(files.read_bytes(stored)).hexdigest()
    services.annotation_save(actor=actor, photo_id=photo.pk, shapes=SHAPES, base_version=0)
    data, filename = services.photo_export_png(actor=actor, photo_id=photo.pk)
    bare, _ = services.photo_export_png(actor=actor, photo_id=photo.pk, version=0)
    stored.refresh_from_db()
    assert stored.sha256 == row_hash
    assert hashlib.sha256(files.read_bytes(stored)).hexdigest() == byte_hash == row_hash
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and filename.endswith("-v1.png") and "Ada" not in filename
    drawn, plain = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(bare))
    assert drawn.size == plain.size == (400, 300)
    assert drawn.getpixel((200, 150)) != plain.getpixel((200, 150))  # the diagonal line crosses the middle
    assert AuditEvent.objects.filter(action="photo.exported").count() == 2
    with pytest.raises(NotFound):
        services.photo_export_png(actor=actor, photo_id=photo.pk, version=2)


# Selectors ---------------------------------------------------------------------------------------


def test_patient_photos_newest_first_filtered_in_one_query(actor, patient, django_assert_num_queries):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    old = make_photo(actor, patient, taken_at=now - timedelta(days=30), angle="left_profile")
    new = make_photo(actor, patient, taken_at=now - timedelta(days=1), phase="after")
    assert selectors.patient_photos(actor=actor, patient_id=patient.pk) == [new, old]
    assert selectors.patient_photos(actor=actor, patient_id=patient.pk, angle="left_profile") == [old]
    assert selectors.patient_photos(actor=actor, patient_id=patient.pk, phase="after") == [new]
    with pytest.raises(InvalidInput):
        selectors.patient_photos(actor=actor, patient_id=patient.pk, angle="nope")
    for _ in range(3):
        make_photo(actor, patient)
    # patient check, the profiles merged into it, photos with files; the audit event's own
    # queries are excluded.
    with django_assert_num_queries(3):
        found = selectors.patient_photos(actor=actor, patient_id=patient.pk, audit=False)
        [(p.file.sha256, p.thumbnail.width) for p in found]
    assert selectors.previous_photo(actor=actor, patient_id=patient.pk, angle="left_profile") == old
    assert (
        selectors.previous_photo(actor=actor, patient_id=patient.pk, angle="left_profile", before=old.taken_at) is None
    )


def test_chart_manifest_and_before_count(actor, patient, django_assert_num_queries):
    chart = make_chart(actor, patient)
    first = make_photo(actor, patient, chart_id=chart.pk)
    second = make_photo(actor, patient, chart_id=chart.pk, phase="after")
    gone = make_photo(actor, patient, chart_id=chart.pk)
    services.photo_delete(actor=actor, photo_id=gone.pk)
    services.annotation_save(actor=actor, photo_id=second.pk, shapes=[LINE], base_version=0)
    with django_assert_num_queries(1):
        manifest = selectors.chart_photo_manifest(clinic_id=actor.clinic_id, chart_id=chart.pk)
    assert manifest == [
        {
            "id": str(p.pk),
            "sha256": p.file.sha256,
            "annotation_version": version,
            "angle": "front",
            "phase": phase,
        }
        for p, version, phase in ((first, 0, "before"), (second, 1, "after"))
    ]
    assert selectors.before_photo_count(clinic_id=actor.clinic_id, chart_id=chart.pk) == 1
    with django_assert_num_queries(1):
        assert selectors.chart_photos(actor=actor, chart_id=chart.pk) == [first, second]


def test_reads_are_scoped_and_audited(actor, patient, other):
    photo = make_photo(actor, patient)
    assert selectors.photo_get(actor=actor, photo_id=photo.pk) == photo
    assert AuditEvent.objects.filter(action="photo.viewed", patient_id=str(patient.pk)).count() == 1
    urls = selectors.photo_urls(actor=actor, photo=photo)
    assert urls["original"].startswith("/files/") and urls["thumbnail"].startswith("/files/")
    assert AuditEvent.objects.filter(action="file.url_issued").count() == 2
    selectors.patient_photos(actor=actor, patient_id=patient.pk)
    assert AuditEvent.objects.filter(action="photo.listed").count() == 1
    for bad in (other["photo"].pk, "not-a-uuid", None):
        with pytest.raises(NotFound):
            selectors.photo_get(actor=actor, photo_id=bad)
    with pytest.raises(NotFound):
        selectors.patient_photos(actor=actor, patient_id=other["patient"].pk)
    with pytest.raises(NotFound):
        selectors.photo_urls(actor=actor, photo=other["photo"])
    assert selectors.chart_photos(actor=actor, chart_id=other["chart"].pk) == []
    assert selectors.chart_photo_manifest(clinic_id=actor.clinic_id, chart_id=other["chart"].pk) == []
    assert selectors.previous_photo(actor=actor, patient_id=other["patient"].pk, angle="front") is None


def test_download_url_needs_export(clinic, make_member, actor, patient):
    photo = make_photo(actor, patient)
    md = actor_for(clinic, make_member(clinic, Role.MEDICAL_DIRECTOR), Role.MEDICAL_DIRECTOR)
    assert selectors.photo_download_url(actor=actor, photo=photo).startswith("/files/")
    with pytest.raises(PermissionDenied):
        selectors.photo_download_url(actor=md, photo=photo)


def test_timeline_shows_photos_only_to_roles_that_see_them(clinic, make_member, actor, patient):
    from medspa.patients.selectors import patient_timeline

    make_photo(actor, patient)
    entries, _ = patient_timeline(actor=actor, patient_id=patient.pk)
    assert [e.kind for e in entries].count("photo") == 1
    desk = actor_for(clinic, make_member(clinic, Role.FRONT_DESK), Role.FRONT_DESK)
    entries, _ = patient_timeline(actor=desk, patient_id=patient.pk)
    assert "photo" not in [e.kind for e in entries]


def test_merging_a_patient_with_photos_completes_and_the_photos_stay_put(actor, patient):
    """Photos are deliberately not in the merge registry: the database refuses to change a
    photo's patient, and a merge soft-deletes the duplicate, so nothing is moved or broken."""
    duplicate = make_patient(actor)
    photo = make_photo(actor, duplicate)
    survivor = patient_services.patient_merge(actor=actor, survivor_id=patient.pk, duplicate_id=duplicate.pk)
    assert survivor.pk == patient.pk
    assert ClinicalPhoto.objects.get(pk=photo.pk).patient_id == duplicate.pk
    assert Patient.all_objects.get(pk=duplicate.pk).merged_into_id == patient.pk
