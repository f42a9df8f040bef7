"""The profile photo: set, replace, remove (services and pages), who may, and who may see it."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from medspa.core import files
from medspa.core.actors import Actor
from medspa.core.errors import InvalidInput, NotFound, PermissionDenied
from medspa.core.models import AuditEvent, StoredFile
from medspa.core.permissions import ROLE_PERMISSIONS, Role
from medspa.core.tests import images
from medspa.patients import services
from medspa.patients.models import Patient

pytestmark = pytest.mark.django_db

IMG_SRC = re.compile(r'<img src="(/files/[^"]+/)"')


def actor_for(clinic, user, role=Role.OWNER) -> Actor:
    return Actor.staff(user=user, clinic=clinic, role=role)


def photo(data: bytes | None = None, name: str = "me.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, images.gps_jpeg() if data is None else data, content_type="image/jpeg")


@pytest.fixture
def actor(clinic, owner):
    return actor_for(clinic, owner)


@pytest.fixture
def patient(actor):
    return services.patient_create(actor=actor, data={"first_name": "Ada", "last_name": "Lovelace"})


@pytest.fixture
def other_patient(other_clinic, other_clinic_owner):
    return services.patient_create(
        actor=actor_for(other_clinic, other_clinic_owner), data={"first_name": "Other", "last_name": "Clinic"}
    )


def blobs() -> int:
    from django.core.files.storage import storages

    root = Path(storages["default"].location)
    return sum(1 for path in root.rglob("*") if path.is_file()) if root.is_dir() else 0


def state(patient) -> tuple:
    return (
        Patient.objects.values_list("photo_id", flat=True).get(pk=patient.pk),
        StoredFile.all_objects.count(),
        AuditEvent.objects.filter(action__startswith="patient.photo").count(),
        blobs(),
    )


# Services ---------------------------------------------------------------------------------------


def test_set_replace_remove_keep_old_files_soft_deleted_and_audit(actor, patient):
    first = services.patient_photo_set(actor=actor, patient_id=patient.pk, upload=photo())
    assert first.photo_id and StoredFile.objects.get(pk=first.photo_id).kind == services.PHOTO_KIND
    assert AuditEvent.objects.filter(action="patient.photo_set", patient_id=str(patient.pk)).count() == 1
    # The stored photo has no EXIF and was turned upright (60x40 with orientation 6 -> 40x60).
    plain = files.read_bytes(StoredFile.objects.get(pk=first.photo_id))
    assert dict(Image.open(io.BytesIO(plain)).getexif()) == {} and b"Exif\x00" not in plain
    assert Image.open(io.BytesIO(plain)).size == (40, 60)

    second = services.patient_photo_set(actor=actor, patient_id=patient.pk, upload=photo(images.png(), "p.png"))
    assert second.photo_id != first.photo_id
    old = StoredFile.all_objects.get(pk=first.photo_id)
    assert old.deleted_at is not None and not StoredFile.objects.filter(pk=old.pk).exists()
    replaced = AuditEvent.objects.get(action="patient.photo_replaced")
    assert replaced.changes["replaced"] == str(first.photo_id) and replaced.changes["file"] == str(second.photo_id)

    removed = services.patient_photo_remove(actor=actor, patient_id=patient.pk)
    assert removed.photo_id is None
    assert StoredFile.all_objects.filter(deleted_at__isnull=False).count() == 2
    assert StoredFile.all_objects.count() == 2  # nothing hard-deleted
    assert AuditEvent.objects.filter(action="patient.photo_removed").count() == 1
    # Removing again is a no-op, not another audit event.
    services.patient_photo_remove(actor=actor, patient_id=patient.pk)
    assert AuditEvent.objects.filter(action="patient.photo_removed").count() == 1


@pytest.mark.parametrize("name", ["truncated_jpeg", "svg_named_jpg", "jpeg_html_polyglot_comment", "gif_named_jpg"])
def test_bad_file_writes_nothing(actor, patient, name):
    filename, data = images.bomb_corpus()[name]
    before = state(patient)
    with pytest.raises(InvalidInput) as refused:
        services.patient_photo_set(actor=actor, patient_id=patient.pk, upload=photo(data, filename))
    assert refused.value.fields["photo"]
    assert state(patient) == before


def test_missing_upload_is_a_field_error(actor, patient):
    with pytest.raises(InvalidInput) as refused:
        services.patient_photo_set(actor=actor, patient_id=patient.pk, upload=None)
    assert "photo" in refused.value.fields


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.BILLING, Role.MEDICAL_DIRECTOR])
def test_roles_without_edit_cannot_change_the_photo(clinic, make_member, actor, patient, role):
    services.patient_photo_set(actor=actor, patient_id=patient.pk, upload=photo())
    viewer = actor_for(clinic, make_member(clinic, role), role)
    before = state(patient)
    with pytest.raises(PermissionDenied):
        services.patient_photo_set(actor=viewer, patient_id=patient.pk, upload=photo())
    with pytest.raises(PermissionDenied):
        services.patient_photo_remove(actor=viewer, patient_id=patient.pk)
    assert state(patient) == before
    # ...but they see it: every role that can view the profile gets a URL.
    patient.refresh_from_db()
    assert services.patient_photo_url(actor=viewer, patient=patient).startswith("/files/")


def test_front_desk_can_set_the_photo(clinic, make_member, patient):
    desk = actor_for(clinic, make_member(clinic, Role.FRONT_DESK), Role.FRONT_DESK)
    assert services.patient_photo_set(actor=desk, patient_id=patient.pk, upload=photo()).photo_id


def test_other_clinic_patient_is_not_found_and_untouched(actor, other_patient, other_clinic_owner):
    before = state(other_patient)
    with pytest.raises(NotFound):
        services.patient_photo_set(actor=actor, patient_id=other_patient.pk, upload=photo())
    with pytest.raises(NotFound):
        services.patient_photo_remove(actor=actor, patient_id=other_patient.pk)
    assert state(other_patient) == before
    # A foreign profile object handed in by mistake gives no URL either.
    other = actor_for(other_patient.clinic, other_clinic_owner)
    services.patient_photo_set(actor=other, patient_id=other_patient.pk, upload=photo())
    other_patient.refresh_from_db()
    assert services.patient_photo_url(actor=actor, patient=other_patient) is None


def test_photo_url_is_audited_and_none_without_a_photo(actor, patient):
    assert services.patient_photo_url(actor=actor, patient=patient) is None
    assert not AuditEvent.objects.filter(action="file.url_issued").exists()
    patient = services.patient_photo_set(actor=actor, patient_id=patient.pk, upload=photo())
    services.patient_photo_url(actor=actor, patient=patient)
    event = AuditEvent.objects.get(action="file.url_issued")
    assert event.patient_id == str(patient.pk) and event.object_id == str(patient.photo_id)


def test_merge_gives_the_survivor_the_duplicates_photo(actor, patient):
    duplicate = services.patient_create(actor=actor, data={"first_name": "Ada", "last_name": "Lovelace"})
    duplicate = services.patient_photo_set(actor=actor, patient_id=duplicate.pk, upload=photo())
    survivor = services.patient_merge(actor=actor, survivor_id=patient.pk, duplicate_id=duplicate.pk)
    assert survivor.photo_id == duplicate.photo_id
    assert Patient.all_objects.get(pk=duplicate.pk).photo_id is None


def test_merge_keeps_the_survivors_own_photo(actor, patient):
    patient = services.patient_photo_set(actor=actor, patient_id=patient.pk, upload=photo())
    duplicate = services.patient_create(actor=actor, data={"first_name": "Ada", "last_name": "Lovelace"})
    duplicate = services.patient_photo_set(actor=actor, patient_id=duplicate.pk, upload=photo(images.png(), "d.png"))
    survivor = services.patient_merge(actor=actor, survivor_id=patient.pk, duplicate_id=duplicate.pk)
    assert survivor.photo_id == patient.photo_id
    assert Patient.all_objects.get(pk=duplicate.pk).photo_id == duplicate.photo_id


# Pages ------------------------------------------------------------------------------------------


def test_profile_shows_initials_then_the_photo_through_a_signed_url(owner, login, patient):
    client = login(owner)
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert ">AL</span>" in page and not IMG_SRC.search(page)
    assert 'enctype="multipart/form-data"' in page and 'name="photo"' in page

    response = client.post(f"/patients/{patient.pk}/photo/", {"photo": photo()})
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.pk}/"
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    url = IMG_SRC.search(page).group(1)
    image = client.get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8\xff") and b"Exif\x00" not in image.content
    assert "Remove photo" in page and "Change photo" in page


def test_tab_partials_do_not_issue_photo_urls(owner, login, actor, patient):
    services.patient_photo_set(actor=actor, patient_id=patient.pk, upload=photo())
    client = login(owner)
    client.get(f"/patients/{patient.pk}/timeline/", HTTP_HX_REQUEST="true")
    assert not AuditEvent.objects.filter(action="file.url_issued").exists()
    client.get(f"/patients/{patient.pk}/")
    assert AuditEvent.objects.filter(action="file.url_issued").count() == 1  # one per header render


def test_htmx_upload_replace_and_remove_swap_the_photo_block(owner, login, patient):
    client = login(owner)
    url = f"/patients/{patient.pk}/photo/"
    added = client.post(url, {"photo": photo()}, HTTP_HX_REQUEST="true")
    assert added.status_code == 200 and 'id="patient-photo"' in added.content.decode()
    assert IMG_SRC.search(added.content.decode()) and "Photo added." in added["HX-Trigger"]
    first = Patient.objects.get(pk=patient.pk).photo_id

    replaced = client.post(url, {"photo": photo(images.webp(), "w.webp")}, HTTP_HX_REQUEST="true")
    assert replaced.status_code == 200 and "Photo replaced." in replaced["HX-Trigger"]
    assert Patient.objects.get(pk=patient.pk).photo_id not in (None, first)

    removed = client.post(f"/patients/{patient.pk}/photo/remove/", HTTP_HX_REQUEST="true")
    assert removed.status_code == 200 and not IMG_SRC.search(removed.content.decode())
    assert ">AL</span>" in removed.content.decode()
    assert Patient.objects.get(pk=patient.pk).photo_id is None


@pytest.mark.parametrize("htmx", [True, False])
def test_bad_file_is_an_inline_error_and_changes_nothing(owner, login, patient, htmx):
    client = login(owner)
    before = state(patient)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    svg = images.bomb_corpus()["svg_named_jpg"][1]
    response = client.post(f"/patients/{patient.pk}/photo/", {"photo": photo(svg, "cat.jpg")}, **headers)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="patient-photo-error"' in body and "not a supported image" in body
    assert ("<h1" in body) is not htmx  # htmx gets the block, a plain post the whole page
    assert state(patient) == before


def test_empty_post_is_an_inline_error(owner, login, patient):
    response = login(owner).post(f"/patients/{patient.pk}/photo/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "Choose a photo" in response.content.decode()


def test_uploads_above_the_general_body_limit_reach_the_photo_route(owner, login, patient, settings):
    """A phone photo is bigger than the 1 MB default body limit; the photo route allows 25 MB."""
    noise = Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > settings.MAX_REQUEST_BODY_BYTES
    response = login(owner).post(f"/patients/{patient.pk}/photo/", {"photo": photo(out.getvalue(), "big.png")})
    assert response.status_code == 302
    settings.FILE_MAX_UPLOAD_BYTES = 1024 * 1024
    too_big = login(owner).post(f"/patients/{patient.pk}/photo/", {"photo": photo(out.getvalue(), "big.png")})
    assert too_big.status_code == 422 and "larger than 1 MB" in too_big.content.decode()


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_viewing_role_sees_the_photo_and_only_editors_get_the_control(
    clinic, make_member, login, actor, patient, role
):
    services.patient_photo_set(actor=actor, patient_id=patient.pk, upload=photo())
    client = login(make_member(clinic, role, email=f"{role}@photo.example"))
    page = client.get(f"/patients/{patient.pk}/")
    can_view = "patients.view" in ROLE_PERMISSIONS[role]
    can_edit = "patients.edit" in ROLE_PERMISSIONS[role]
    assert page.status_code == (200 if can_view else 403)
    if not can_view:
        return
    body = page.content.decode()
    assert client.get(IMG_SRC.search(body).group(1)).status_code == 200
    assert ('name="photo"' in body) is can_edit
    before = state(patient)
    upload = client.post(f"/patients/{patient.pk}/photo/", {"photo": photo()})
    remove = client.post(f"/patients/{patient.pk}/photo/remove/")
    if can_edit:
        assert upload.status_code == 302 and remove.status_code == 302
    else:
        assert upload.status_code == 403 and remove.status_code == 403
        assert state(patient) == before


def test_other_clinic_profile_photo_routes_are_404(owner, login, other_patient):
    client = login(owner)
    before = state(other_patient)
    assert client.post(f"/patients/{other_patient.pk}/photo/", {"photo": photo()}).status_code == 404
    assert client.post(f"/patients/{other_patient.pk}/photo/remove/").status_code == 404
    assert client.get(f"/patients/{other_patient.pk}/photo/").status_code == 404
    assert state(other_patient) == before


def test_photo_routes_are_post_only(owner, login, patient):
    client = login(owner)
    assert client.get(f"/patients/{patient.pk}/photo/").status_code == 405
    assert client.get(f"/patients/{patient.pk}/photo/remove/").status_code == 405
