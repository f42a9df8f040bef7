"""FILE-1..4: private files — validation, metadata stripping, encryption at rest, signed URLs."""

from __future__ import annotations

import base64
import io
import re
import resource
import time
from pathlib import Path

import pytest
from django.core import signing
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from medspa.core import files, imaging
from medspa.core.actors import Actor
from medspa.core.errors import InvalidInput, NotFound, PermissionDenied
from medspa.core.models import AuditEvent, StoredFile
from medspa.core.permissions import Role
from medspa.core.tests import images

pytestmark = pytest.mark.django_db

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()
UUID_KEY = re.compile(r"^f/[0-9a-f]{2}/[0-9a-f]{32}$")
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"GIF8")


@pytest.fixture
def actor(clinic, owner):
    return Actor.staff(user=owner, clinic=clinic, role=Role.OWNER)


@pytest.fixture
def other_actor(other_clinic, other_clinic_owner):
    return Actor.staff(user=other_clinic_owner, clinic=other_clinic, role=Role.OWNER)


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


class RawUpload(io.BytesIO):
    """An upload whose name reaches us untouched (Django's own parser would basename it)."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name, self.size = name, len(data)


def store(actor, data: bytes | None = None, name: str = "photo.jpg") -> StoredFile:
    prepared = files.prepare_image(upload=upload(images.jpeg() if data is None else data, name))
    with files.blob_written(prepared):
        return files.stored_file_create(actor=actor, prepared=prepared, kind="test")


def storage_root() -> Path:
    return Path(storages["default"].location).resolve()


def raw_blob(stored: StoredFile) -> bytes:
    return (storage_root() / stored.storage_key).read_bytes()


def all_stored_paths() -> list[Path]:
    root = storage_root()
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# FILE-2: decode, validate, re-encode -------------------------------------------------------


@pytest.mark.parametrize("name", sorted(images.bomb_corpus()))
def test_bomb_corpus_is_refused_and_nothing_is_written(name, actor):
    filename, data = images.bomb_corpus()[name]
    with pytest.raises(InvalidInput) as refused:
        store(actor, data, filename)
    assert refused.value.fields.get("file"), refused.value.fields
    assert StoredFile.all_objects.count() == 0
    assert all_stored_paths() == []


def test_whole_corpus_runs_in_the_worker_within_its_memory_limit(settings, actor):
    """The corpus goes through the memory-limited worker; none accepted, peak memory below the limit."""
    assert settings.FILE_DECODE_IN_WORKER
    accepted = 0
    for filename, data in images.bomb_corpus().values():
        try:
            files.prepare_image(upload=upload(data, filename))
            accepted += 1
        except InvalidInput:
            pass
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert accepted == 0
    assert peak_mb < settings.FILE_WORKER_MEMORY_MB, peak_mb


def test_worker_memory_limit_stops_an_image_too_big_for_it(settings):
    """A valid but large image under a small memory limit is refused, not decoded in the web process."""
    settings.FILE_WORKER_MEMORY_MB = 96
    assert files.prepare_image(upload=upload(images.jpeg())).width == 64  # the worker runs at this limit
    big = io.BytesIO()
    Image.new("RGB", (6000, 6000)).save(big, "PNG")  # 36 Mpx: within the pixel limit, not the memory one
    with pytest.raises(InvalidInput) as refused:
        files.prepare_image(upload=upload(big.getvalue(), "big.png"))
    assert "too large" in refused.value.fields["file"]


def test_byte_limit(settings):
    settings.FILE_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(InvalidInput) as refused:
        files.prepare_image(upload=upload(images.jpeg((300, 300), quality=100)))
    assert "larger than" in refused.value.fields["file"]


def test_pixel_limit_setting(settings):
    settings.FILE_MAX_PIXELS = 1000
    with pytest.raises(InvalidInput) as refused:
        files.prepare_image(upload=upload(images.jpeg((100, 100))))
    assert "pixels" in refused.value.fields["file"]


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("a.jpg", images.jpeg(), "image/jpeg"),
        ("a.png", images.png(), "image/png"),
        ("a.webp", images.webp(), "image/webp"),
        ("a.heic", images.heic(), "image/jpeg"),
    ],
)
def test_allowed_types_are_reencoded_with_our_content_type(name, data, content_type):
    prepared = files.prepare_image(upload=SimpleUploadedFile(name, data, content_type="text/html"))
    assert prepared.content_type == content_type
    plain = files.unseal(prepared.id, prepared.key_id, prepared.wrapped_key, prepared.blob)
    assert imaging.sniff(plain) == content_type.split("/")[1]
    assert prepared.original_name.endswith("." + {"image/jpeg": "jpg"}.get(content_type, content_type[6:]))


def test_in_process_decoding_applies_the_same_rules(settings):
    settings.FILE_DECODE_IN_WORKER = False
    assert files.prepare_image(upload=upload(images.jpeg())).content_type == "image/jpeg"
    with pytest.raises(InvalidInput):
        files.prepare_image(upload=upload(images.png_header_only(100_000, 100_000), "x.png"))


# FILE-3: metadata stripped ---------------------------------------------------------------------


def _no_metadata(plain: bytes) -> None:
    reopened = Image.open(io.BytesIO(plain))
    assert dict(reopened.getexif()) == {}
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(reopened.info)
    for marker in (b"Exif\x00", b"http://ns.adobe.com/xap", b"Canon", b"SERIAL-123", b"Owner Name", b"shot at home"):
        assert marker not in plain


def test_gps_tagged_jpeg_comes_back_without_exif_and_upright(actor):
    source = images.gps_jpeg((60, 40))
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(images.GPS_IFD)  # the fixture really has GPS
    stored = store(actor, source)
    plain = files.read_bytes(stored)
    _no_metadata(plain)
    # Orientation 6 was applied to the pixels before the tag was dropped.
    assert Image.open(io.BytesIO(plain)).size == (40, 60)
    assert (stored.width, stored.height) == (40, 60)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_exif_is_stripped(fmt):
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (5, 6, 7)).save(out, fmt, exif=images.tagged_exif().tobytes())
    prepared = files.prepare_image(upload=upload(out.getvalue(), f"x.{fmt.lower()}"))
    _no_metadata(files.unseal(prepared.id, prepared.key_id, prepared.wrapped_key, prepared.blob))


def test_icc_profile_is_applied_then_dropped():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    prepared = files.prepare_image(upload=upload(images.jpeg(icc_profile=icc)))
    plain = files.unseal(prepared.id, prepared.key_id, prepared.wrapped_key, prepared.blob)
    assert "icc_profile" not in Image.open(io.BytesIO(plain)).info


# FILE-4: no user-controlled paths ------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../../x",
        "../../../etc/passwd.jpg",
        "..\\..\\evil.jpg",
        "evil\x00.jpg",
        "a" * 5000 + ".jpg",
        "/abs/path.jpg",
        '"; filename=x.html',
        "<script>.jpg",
        "naïve café.jpg",
        ".htaccess",
        "",
        "..",
    ],
)
def test_hostile_names_are_stored_under_a_uuid_key_inside_the_root(name, actor, tmp_path):
    prepared = files.prepare_image(upload=RawUpload(images.jpeg(), name))
    with files.blob_written(prepared):
        stored = files.stored_file_create(actor=actor, prepared=prepared, kind="test")
    assert UUID_KEY.match(stored.storage_key)
    assert stored.storage_key == f"f/{stored.pk.hex[:2]}/{stored.pk.hex}"
    path = (storage_root() / stored.storage_key).resolve()
    assert path.is_relative_to(storage_root()) and path.is_file()
    # Nothing was written anywhere else under the test's directory.
    written = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(storage_root())]
    assert [p for p in written if "audit-checkpoints" not in p.parts] == []
    assert re.fullmatch(r"[A-Za-z0-9 ._-]{1,84}", stored.original_name), stored.original_name
    assert "/" not in stored.original_name and not stored.original_name.startswith(".")
    assert stored.original_name.endswith(".jpg")


def test_download_route_refuses_traversal(owner, login):
    client = login(owner)
    for path in ("/files/..%2F..%2Fetc%2Fpasswd/", "/files/../../settings.py/", "/files/%00/", "/media/../medspa/"):
        response = client.get(path)
        assert response.status_code == 404, path


# FILE-1: encryption at rest ----------------------------------------------------------------------


def test_raw_bytes_on_disk_carry_no_image_magic(actor):
    stored = [store(actor, data, name) for name, data in (("a.jpg", images.jpeg()), ("b.png", images.png()))]
    stored.append(store(actor, images.webp(), "c.webp"))
    magic_found = 0
    for row in stored:
        blob = raw_blob(row)
        assert blob.startswith(files.BLOB_MAGIC)
        magic_found += sum(blob.startswith(m) for m in IMAGE_MAGIC) + (files.read_bytes(row)[:64] in blob)
    assert magic_found == 0


def test_tampered_or_swapped_blob_does_not_open(actor):
    first, second = store(actor), store(actor, images.png(), "b.png")
    path = storage_root() / first.storage_key
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(files.FileKeyError):
        files.read_bytes(first)
    # Another record's blob under this record's key: refused (the file id is authenticated).
    path.write_bytes(raw_blob(second))
    with pytest.raises(files.FileKeyError):
        files.read_bytes(first)


def test_key_rotation_keeps_old_files_readable(settings, actor):
    settings.FILE_KEY = KEY_A
    old = store(actor)
    plain = files.read_bytes(old)
    # New key first, old key still listed: old files open, new files use the new key.
    settings.FILE_KEY = f"{KEY_B},{KEY_A}"
    assert files.read_bytes(old) == plain
    new = store(actor, images.png(), "n.png")
    assert new.key_id == files.key_id(b"B" * 32) != old.key_id
    # Rewrap (the command), then the old key can go.
    call_command("rotate_file_key")
    old.refresh_from_db()
    assert old.key_id == new.key_id
    settings.FILE_KEY = KEY_B
    assert files.read_bytes(old) == plain
    assert AuditEvent.objects.filter(action="files.key_rotated").exists()
    # And with only the retired key, nothing opens.
    settings.FILE_KEY = KEY_A
    with pytest.raises(files.FileKeyError):
        files.read_bytes(old)


def test_bad_key_setting_is_a_clear_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.FILE_KEY = "not-base64-of-32-bytes"
    with pytest.raises(ImproperlyConfigured):
        files.master_keys()


# FILE-1: signed URLs ---------------------------------------------------------------------------------


def _token(url: str) -> str:
    return url.removeprefix("/files/").removesuffix("/")


def test_signed_url_serves_the_file_with_safe_headers(actor, owner, login):
    stored = store(actor, images.gps_jpeg(), '../../"evil".jpg')
    before = AuditEvent.objects.filter(action="file.url_issued").count()
    url = files.signed_url(actor=actor, stored=stored, permission="patients.view")
    assert AuditEvent.objects.filter(action="file.url_issued", object_id=str(stored.pk)).count() == before + 1
    response = login(owner).get(url)
    assert response.status_code == 200
    assert response.content == files.read_bytes(stored) and response.content.startswith(b"\xff\xd8\xff")
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == 'inline; filename="evil.jpg"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_url_needs_the_permission_and_is_not_issued_without_it(clinic, make_member, actor):
    stored = store(actor)
    reader = Actor.staff(user=make_member(clinic, Role.READ_ONLY), clinic=clinic, role=Role.READ_ONLY)
    with pytest.raises(PermissionDenied):
        files.signed_url(actor=reader, stored=stored, permission="photos.view")
    assert not AuditEvent.objects.filter(action="file.url_issued").exists()


def test_url_ttl_is_capped_at_five_minutes(settings):
    settings.FILE_URL_TTL_SECONDS = 3600
    assert files.url_ttl_seconds() == 300


def test_bad_tokens_serve_nothing(monkeypatch, actor, other_actor, owner, other_clinic_owner, login):
    """Expired, tampered, other-clinic and replayed-after-logout tokens: nothing is served."""
    stored = store(actor)
    other_stored = store(other_actor, images.png(), "other.png")
    client = login(owner)
    served = 0

    good = _token(files.signed_url(actor=actor, stored=stored, permission="patients.view"))
    assert client.get(f"/files/{good}/").status_code == 200

    # Expired: signed 301 seconds ago.
    with monkeypatch.context() as m:
        m.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(time.time()) - 301))
        expired = _token(files.signed_url(actor=actor, stored=stored, permission="patients.view"))
    # Tampered: a changed signature, and a payload naming another file under the old signature.
    value, stamp, signature = good.rsplit(":", 2)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    forged_payload = signing.TimestampSigner(salt="wrong").sign_object({"f": str(other_stored.pk), "c": "x"})
    other_value = forged_payload.rsplit(":", 2)[0]
    unsigned = signing.dumps({"f": str(stored.pk), "c": str(stored.clinic_id)})  # default salt, not ours
    tampered = [f"{value}:{stamp}:{flipped}", f"{other_value}:{stamp}:{signature}", unsigned, "x", "a:b:c"]
    # Another clinic's file, with a token validly issued to that clinic.
    foreign = _token(files.signed_url(actor=other_actor, stored=other_stored, permission="patients.view"))

    for token in [expired, *tampered, foreign]:
        response = client.get(f"/files/{token}/")
        served += response.status_code == 200
        assert response.status_code == 404, token
    # Our token, fetched by the other clinic's owner.
    response = login(other_clinic_owner).get(f"/files/{good}/")
    served += response.status_code == 200
    assert response.status_code == 404
    # Replay after logout.
    client.logout()
    response = client.get(f"/files/{good}/")
    served += response.status_code == 200
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert b"\xff\xd8" not in response.content
    assert served == 0


def test_deleted_file_url_is_404(actor, owner, login):
    stored = store(actor)
    url = files.signed_url(actor=actor, stored=stored, permission="patients.view")
    StoredFile.objects.filter(pk=stored.pk).update(deleted_at=stored.created_at)
    assert login(owner).get(url).status_code == 404
    stored.refresh_from_db()
    with pytest.raises(NotFound):
        files.signed_url(actor=actor, stored=StoredFile.all_objects.get(pk=stored.pk), permission="patients.view")


def test_download_is_get_only(actor, owner, login):
    url = files.signed_url(actor=actor, stored=store(actor), permission="patients.view")
    assert login(owner).post(url).status_code == 405


def test_direct_media_paths_are_404(actor, owner, login):
    stored = store(actor)
    client = login(owner)
    for path in (f"/media/{stored.storage_key}", f"/{stored.storage_key}", f"/media/{stored.pk.hex}"):
        assert client.get(path).status_code == 404, path


def test_no_route_serves_the_media_root():
    from django.urls import get_resolver

    def walk(patterns):
        for entry in patterns:
            yield from walk(entry.url_patterns) if hasattr(entry, "url_patterns") else [entry]

    views = [
        getattr(p.callback, "__module__", "") + "." + getattr(p.callback, "__name__", "")
        for p in walk(get_resolver().url_patterns)
    ]
    assert views and not [v for v in views if "django.views.static" in v]


@pytest.mark.parametrize(("value", "refused"), [("c2hvcnQ=", True), ("not base64!", True), (f"{KEY_B},{KEY_A}", False)])
def test_production_refuses_a_malformed_file_key(monkeypatch, value, refused):
    import medspa.settings as project_settings

    monkeypatch.setattr(project_settings, "FILE_KEY", value)
    problems = project_settings.check_production_secrets()
    assert any("MEDSPA_FILE_KEY must be base64" in p for p in problems) is refused
