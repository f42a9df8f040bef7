"""SECURITY.md FILE-1..4 for clinical photos: private encrypted storage behind short-lived
signed URLs, the bomb corpus refused with nothing written, metadata stripped, and no
user-controlled paths."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import time_machine
from django.core.files.storage import storages
from django.test import Client
from PIL import Image

from medspa.core import files
from medspa.core.errors import InvalidInput
from medspa.core.models import StoredFile
from medspa.core.tests import images
from medspa.photos import selectors, services
from medspa.photos.tests.factories import actor_for, make_patient, make_photo, photo_state, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(clinic, owner):
    return actor_for(clinic, owner)


@pytest.fixture
def patient(actor):
    return make_patient(actor)


@pytest.fixture
def web(owner):
    client = Client()
    client.force_login(owner)
    return client


def _token(url: str) -> str:
    return url.split("/")[2]


# FILE-1 -----------------------------------------------------------------------------------------


def test_stored_blobs_are_encrypted_with_no_image_magic(actor, patient):
    photo = make_photo(actor, patient, upload=upload(images.png((50, 40)), "p.png"))
    root = Path(storages["default"].location)
    for stored in StoredFile.objects.filter(pk__in=[photo.file_id, photo.thumbnail_id]):
        raw = (root / stored.storage_key).read_bytes()
        assert raw.startswith(files.BLOB_MAGIC)
        assert b"\xff\xd8\xff" not in raw[:64] and b"\x89PNG" not in raw and b"JFIF" not in raw
        assert files.read_bytes(stored)[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0"[:4], b"\xff\xd8\xff\xdb")


def test_signed_urls_refuse_expired_tampered_foreign_and_direct_paths(
    actor, patient, web, other_clinic, other_clinic_owner, settings
):
    photo = selectors.photo_get(actor=actor, photo_id=make_photo(actor, patient).pk)
    urls = selectors.photo_urls(actor=actor, photo=photo)
    assert web.get(urls["original"]).status_code == 200
    # Tampered: one character of the signature changed, or the payload swapped.
    token = _token(urls["original"])
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert web.get(f"/files/{flipped}/").status_code == 404
    thumb_token = _token(urls["thumbnail"])
    spliced = token.split(":")[0] + ":" + ":".join(thumb_token.split(":")[1:])
    assert web.get(f"/files/{spliced}/").status_code == 404
    # Another clinic's member holding our URL.
    stranger = Client()
    stranger.force_login(other_clinic_owner)
    assert stranger.get(urls["original"]).status_code == 404
    # After sign-out.
    assert Client().get(urls["original"]).status_code in (302, 401, 403, 404)
    # Direct media paths, and traversal on the download route.
    storage_key = photo.file.storage_key
    for path in (
        f"/media/{storage_key}",
        f"/{storage_key}",
        f"/files/{storage_key}/",
        "/files/..%2F..%2Fsettings.py/",
        "/files/../../etc/passwd/",
    ):
        assert web.get(path).status_code == 404, path
    # Expired: the TTL is at most 300 s.
    assert files.url_ttl_seconds() <= 300
    with time_machine.travel(photo.taken_at, tick=False) as traveller:
        fresh = selectors.photo_urls(actor=actor, photo=photo)["original"]
        traveller.shift(301)
        assert web.get(fresh).status_code == 404


# FILE-2 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(images.bomb_corpus()))
def test_bomb_corpus_is_refused_through_the_worker_and_writes_nothing(
    owner, clinic, api_token, api_client, patient, settings, name
):
    settings.FILE_DECODE_IN_WORKER = True  # the real pipeline: decoded in a memory-limited process
    filename, data = images.bomb_corpus()[name]
    client = api_client(api_token(owner, clinic))
    before = photo_state()
    response = client.post(f"/api/patients/{patient.pk}/photos", {"file": upload(data, filename)})
    assert response.status_code == 422, (name, response.status_code, response.content[:200])
    assert "file" in response.json()["fields"]
    assert photo_state() == before


def test_an_oversized_body_is_refused_before_it_is_read(owner, clinic, api_token, api_client, patient):
    client = api_client(api_token(owner, clinic))
    before = photo_state()
    response = client.post(
        f"/api/patients/{patient.pk}/photos",
        {"file": upload()},
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
    assert photo_state() == before


def test_a_file_above_the_byte_limit_is_a_field_error(owner, clinic, api_token, api_client, patient, settings):
    settings.FILE_MAX_UPLOAD_BYTES = 64 * 1024
    noise = Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > settings.FILE_MAX_UPLOAD_BYTES
    before = photo_state()
    response = api_client(api_token(owner, clinic)).post(
        f"/api/patients/{patient.pk}/photos", {"file": upload(out.getvalue(), "big.png")}
    )
    assert response.status_code == 422 and "larger than" in response.json()["fields"]["file"]
    assert photo_state() == before


def test_a_good_image_with_the_wrong_extension_is_stored_under_our_own(actor, patient):
    photo = make_photo(actor, patient, upload=upload(images.png(), "photo.exe"))
    stored = StoredFile.objects.get(pk=photo.file_id)
    assert stored.content_type == "image/png" and stored.original_name == "photo.png"


# FILE-3 -----------------------------------------------------------------------------------------


def test_gps_tagged_photo_is_stored_without_any_metadata(actor, patient):
    photo = make_photo(actor, patient, upload=upload(images.gps_jpeg(), "gps.jpg"))
    for stored in StoredFile.objects.filter(pk__in=[photo.file_id, photo.thumbnail_id]):
        plain = files.read_bytes(stored)
        image = Image.open(io.BytesIO(plain))
        assert dict(image.getexif()) == {}
        assert b"Exif\x00" not in plain and b"GPSLatitude" not in plain and b"shot at home" not in plain
        assert b"SERIAL-123456789" not in plain and b"Canon" not in plain
        assert "icc_profile" not in image.info and "xmp" not in image.info
    data, _ = services.photo_export_png(actor=actor, photo_id=photo.pk)
    assert b"eXIf" not in data and b"GPSLatitude" not in data


# FILE-4 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../x.jpg", "..\\..\\evil.jpg", "a\x00b.jpg", "x" * 5000 + ".jpg", "/etc/passwd"])
def test_uploader_names_never_become_paths(actor, patient, name):
    photo = make_photo(actor, patient, upload=upload(name=name))
    root = Path(storages["default"].location).resolve()
    for stored in StoredFile.objects.filter(pk__in=[photo.file_id, photo.thumbnail_id]):
        assert stored.storage_key == f"f/{stored.pk.hex[:2]}/{stored.pk.hex}"
        assert (root / stored.storage_key).resolve().is_relative_to(root)
        assert "/" not in stored.original_name and "\\" not in stored.original_name
        assert "\x00" not in stored.original_name and ".." not in stored.original_name
        assert len(stored.original_name) <= 100
    written = [p for p in root.rglob("*") if p.is_file()]
    assert len(written) == 2 and all(p.resolve().is_relative_to(root) for p in written)


def test_missing_upload_is_a_field_error(actor, patient):
    with pytest.raises(InvalidInput) as refused:
        services.photo_upload(actor=actor, patient_id=patient.pk, upload=None)
    assert "file" in refused.value.fields
