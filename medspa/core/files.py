"""Private file storage: validated, re-encoded, encrypted at rest, served by signed URLs.

The rules (SECURITY.md FILE-1..4, decision 0011):

* An upload is sniffed from its bytes, decoded under byte and pixel limits in a separate
  process with a memory limit (`medspa.core.imaging`), and re-encoded without metadata.
* Each file is sealed with its own random AES-256-GCM key; that key is wrapped with the
  first key of `MEDSPA_FILE_KEY` (a comma-separated list: the first wraps, all unwrap),
  so rotating the master key rewraps small rows (`medspa rotate-file-key`), not files.
* Storage keys are random UUIDs; the uploader's file name is kept only as sanitised text.
* Nothing serves the storage directly. A caller that passed its permission check gets a
  URL signed for (file, clinic) that lives at most five minutes, and the issuance is
  audited; the download route also wants a signed-in member of that clinic.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
import subprocess  # nosec B404
import sys
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse

from medspa.core import imaging
from medspa.core.actors import Actor
from medspa.core.audit import audit_record
from medspa.core.errors import InvalidInput, NotFound
from medspa.core.models import StoredFile

BLOB_MAGIC = b"MSF1"  # what every stored blob starts with: never an image signature
NONCE_BYTES = 12
URL_SALT = "medspa.core.files.url"
MAX_URL_TTL_SECONDS = 300


class FileKeyError(Exception):
    """A stored file cannot be opened with the configured keys (wrong or retired key)."""


# Keys --------------------------------------------------------------------------------


def key_id(key: bytes) -> str:
    """A public fingerprint of a master key, stored beside each wrapped file key."""
    return hashlib.sha256(b"medspa-file-key-id:" + key).hexdigest()[:16]


@lru_cache(maxsize=4)
def _parse_keys(value: str) -> tuple[tuple[str, bytes], ...]:
    keys = []
    for position, text in enumerate(part.strip() for part in value.split(",")):
        if not text:
            continue
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            try:
                raw = base64.urlsafe_b64decode(text)
            except (binascii.Error, ValueError):
                raw = b""
        if len(raw) != 32:
            raise ImproperlyConfigured(f"MEDSPA_FILE_KEY entry {position + 1} is not base64 of 32 bytes.")
        keys.append((key_id(raw), raw))
    if not keys:
        raise ImproperlyConfigured("MEDSPA_FILE_KEY is empty.")
    return tuple(keys)


def master_keys() -> tuple[tuple[str, bytes], ...]:
    """(key id, key) pairs from MEDSPA_FILE_KEY; the first one wraps new file keys."""
    return _parse_keys(settings.FILE_KEY)


def _wrap(file_id: uuid.UUID, data_key: bytes) -> tuple[str, bytes]:
    kid, master = master_keys()[0]
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = b"medspa-file-key:" + file_id.bytes + kid.encode()
    return kid, nonce + AESGCM(master).encrypt(nonce, data_key, aad)


def _unwrap(file_id: uuid.UUID, kid: str, wrapped: bytes) -> bytes:
    master = dict(master_keys()).get(kid)
    if master is None:
        raise FileKeyError(f"No configured MEDSPA_FILE_KEY has id {kid}.")
    aad = b"medspa-file-key:" + file_id.bytes + kid.encode()
    try:
        return AESGCM(master).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
    except InvalidTag as exc:
        raise FileKeyError("The file key does not open with the configured key.") from exc


def seal(file_id: uuid.UUID, plaintext: bytes) -> tuple[bytes, str, bytes]:
    """Encrypt under a fresh file key: (blob, master key id, wrapped file key)."""
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = secrets.token_bytes(NONCE_BYTES)
    blob = BLOB_MAGIC + nonce + AESGCM(data_key).encrypt(nonce, plaintext, b"medspa-file:" + file_id.bytes)
    kid, wrapped = _wrap(file_id, data_key)
    return blob, kid, wrapped


def unseal(file_id: uuid.UUID, kid: str, wrapped: bytes, blob: bytes) -> bytes:
    if not blob.startswith(BLOB_MAGIC):
        raise FileKeyError("Not a sealed file.")
    data_key = _unwrap(file_id, kid, bytes(wrapped))
    body = blob[len(BLOB_MAGIC) :]
    try:
        return AESGCM(data_key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], b"medspa-file:" + file_id.bytes)
    except InvalidTag as exc:
        raise FileKeyError("The stored file was altered or belongs to another record.") from exc


def rewrap_all(*, batch: int = 500) -> int:
    """Rewrap every file key not wrapped by the first MEDSPA_FILE_KEY; return how many.

    Only the rows change (the files' own keys stay), so this is quick. Afterwards the
    old master key can be dropped from the list.
    """
    primary = master_keys()[0][0]
    done = 0
    while True:
        rows = list(StoredFile.all_objects.exclude(key_id=primary).only("id", "key_id", "wrapped_key")[:batch])
        if not rows:
            return done
        for row in rows:
            data_key = _unwrap(row.id, row.key_id, bytes(row.wrapped_key))
            kid, wrapped = _wrap(row.id, data_key)
            StoredFile.all_objects.filter(pk=row.pk, key_id=row.key_id).update(key_id=kid, wrapped_key=wrapped)
            done += 1


# Upload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedFile:
    """A validated, re-encoded and sealed upload, not yet written anywhere."""

    id: uuid.UUID
    storage_key: str
    content_type: str
    size: int
    width: int
    height: int
    sha256: str
    original_name: str
    key_id: str
    wrapped_key: bytes
    blob: bytes


def sanitize_filename(name: str, extension: str) -> str:
    """A display name safe in a header and on any file system: ASCII letters, digits,
    spaces, dots, dashes and underscores; no path; our own extension."""
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode()
    text = text.replace("\\", "/").split("/")[-1]
    stem = text.rsplit(".", 1)[0] if "." in text else text
    stem = re.sub(r"[^A-Za-z0-9 ._-]+", "_", stem)
    stem = re.sub(r"[ _]{2,}", "_", stem).strip(" ._-")[:80].strip(" ._-")
    return f"{stem or 'photo'}.{extension}"


def new_storage_key(file_id: uuid.UUID) -> str:
    return f"f/{file_id.hex[:2]}/{file_id.hex}"


def _decode_in_worker(data: bytes) -> imaging.CleanImage:
    command = [
        sys.executable,
        "-m",
        "medspa.core.imaging",
        str(settings.FILE_MAX_PIXELS),
        str(settings.FILE_WORKER_MEMORY_MB),
    ]
    env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
    try:
        # A fixed argv running our own module, no shell.
        result = subprocess.run(  # nosec B603
            command,
            input=data,
            capture_output=True,
            timeout=settings.FILE_WORKER_TIMEOUT_SECONDS,
            check=False,
            cwd=str(settings.REPO_DIR),
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise imaging.ImageRejected("This image took too long to process.") from None
    header, _, body = result.stdout.partition(b"\n")
    try:
        meta = json.loads(header)
    except ValueError:
        meta = None
    if result.returncode != 0 or not isinstance(meta, dict):
        # Killed by its memory or CPU limit, or crashed inside a decoder.
        raise imaging.ImageRejected("This image could not be processed safely.")
    if not meta.get("ok"):
        raise imaging.ImageRejected(str(meta.get("error") or "This image was refused."))
    return imaging.CleanImage(body, meta["content_type"], meta["extension"], meta["width"], meta["height"])


def decode_image(data: bytes) -> imaging.CleanImage:
    """Re-encode `data` through the worker (or in-process when the setting says so)."""
    if settings.FILE_DECODE_IN_WORKER:
        return _decode_in_worker(data)
    return imaging.process(data, max_pixels=settings.FILE_MAX_PIXELS)


def prepare_image(*, upload, field: str = "file") -> PreparedFile:
    """Validate, re-encode and seal an uploaded image. Raises InvalidInput on `field`.

    Slow (decoding runs in a worker): call it before opening a transaction.
    """
    limit = settings.FILE_MAX_UPLOAD_BYTES
    if upload is None:
        raise InvalidInput(fields={field: "Choose a photo to upload."})
    if (getattr(upload, "size", None) or 0) > limit:
        raise InvalidInput(fields={field: f"The file is larger than {limit // (1024 * 1024)} MB."})
    data = upload.read(limit + 1)
    if not data:
        raise InvalidInput(fields={field: "The file is empty."})
    if len(data) > limit:
        raise InvalidInput(fields={field: f"The file is larger than {limit // (1024 * 1024)} MB."})
    try:
        image = decode_image(data)
    except imaging.ImageRejected as exc:
        raise InvalidInput(fields={field: str(exc)}) from None
    file_id = uuid.uuid4()
    blob, kid, wrapped = seal(file_id, image.data)
    return PreparedFile(
        id=file_id,
        storage_key=new_storage_key(file_id),
        content_type=image.content_type,
        size=len(image.data),
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(image.data).hexdigest(),
        original_name=sanitize_filename(getattr(upload, "name", ""), image.extension),
        key_id=kid,
        wrapped_key=wrapped,
        blob=blob,
    )


MAX_DRAWN_BYTES = 300 * 1024


def prepare_drawn(data, *, field: str = "signature_image") -> PreparedFile | None:
    """A drawn signature (PNG bytes or a `data:image/png;base64,…` URL from a signature pad)
    checked and re-encoded like any upload; None when nothing was drawn. Slow: call it
    before opening the transaction."""
    if data in (None, "", b""):
        return None
    if isinstance(data, str):
        header, _, encoded = data.partition(",")
        if not header.startswith("data:image/png;base64") or not encoded:
            raise InvalidInput(fields={field: "Draw the signature again."})
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(fields={field: "Draw the signature again."}) from None
    if not isinstance(data, bytes):
        raise InvalidInput(fields={field: "Draw the signature again."})
    if len(data) > MAX_DRAWN_BYTES:
        raise InvalidInput(fields={field: "The drawn signature is too large."})
    return prepare_image(upload=ContentFile(data, name="signature.png"), field=field)


def _storage():
    return storages["default"]


@contextmanager
def blob_written(prepared: PreparedFile) -> Iterator[None]:
    """Write the sealed blob; remove it again if the block (the transaction) fails."""
    storage = _storage()
    name = storage.save(prepared.storage_key, ContentFile(prepared.blob))
    if name != prepared.storage_key:  # a UUID never collides; refuse to guess if it did
        storage.delete(name)
        raise RuntimeError("Storage renamed a new file; refusing to continue.")
    try:
        yield
    except BaseException:
        storage.delete(prepared.storage_key)
        raise


def stored_file_create(*, actor: Actor, prepared: PreparedFile, kind: str) -> StoredFile:
    """The row for a prepared upload; call inside the caller's transaction and within
    `blob_written(prepared)`."""
    return StoredFile.objects.create(
        id=prepared.id,
        clinic=actor.clinic,
        kind=kind,
        storage_key=prepared.storage_key,
        content_type=prepared.content_type,
        size=prepared.size,
        width=prepared.width,
        height=prepared.height,
        sha256=prepared.sha256,
        original_name=prepared.original_name,
        key_id=prepared.key_id,
        wrapped_key=prepared.wrapped_key,
    )


def read_bytes(stored: StoredFile) -> bytes:
    """The decrypted contents of a stored file."""
    with _storage().open(stored.storage_key, "rb") as handle:
        blob = handle.read()
    return unseal(stored.id, stored.key_id, stored.wrapped_key, blob)


# Signed URLs -------------------------------------------------------------------------


def url_ttl_seconds() -> int:
    return max(1, min(int(settings.FILE_URL_TTL_SECONDS), MAX_URL_TTL_SECONDS))


def signed_url(*, actor: Actor, stored: StoredFile, permission: str, patient_id=None) -> str:
    """A download URL for `stored`, valid for a few minutes in the actor's clinic.

    The caller has loaded `stored` through its own access-checked selector; `permission`
    is what that check required and is asserted again here. The issuance is audited.
    """
    actor.require(permission)
    if stored.clinic_id != actor.clinic_id or stored.deleted_at is not None:
        raise NotFound()
    token = signing.TimestampSigner(salt=URL_SALT).sign_object({"f": str(stored.pk), "c": str(stored.clinic_id)})
    audit_record(
        action="file.url_issued",
        actor=actor,
        obj=stored,
        patient_id=patient_id or "",
        changes={"kind": stored.kind, "ttl_seconds": url_ttl_seconds()},
    )
    return reverse("file_download", kwargs={"token": token})


def signed_urls(*, actor: Actor, stored: list[StoredFile], permission: str, patient_id=None) -> dict:
    """Download URLs for several files of one listing (thumbnails of a page), keyed by file
    id, under the rules of `signed_url`; the issuance is audited once, naming every file."""
    actor.require(permission)
    if any(item.clinic_id != actor.clinic_id or item.deleted_at is not None for item in stored):
        raise NotFound()
    if not stored:
        return {}
    signer = signing.TimestampSigner(salt=URL_SALT)
    urls = {
        item.pk: reverse(
            "file_download", kwargs={"token": signer.sign_object({"f": str(item.pk), "c": str(item.clinic_id)})}
        )
        for item in stored
    }
    audit_record(
        action="file.urls_issued",
        actor=actor,
        object_type=stored[0]._meta.label_lower,
        object_id=str(stored[0].pk),
        patient_id=patient_id or "",
        changes={"files": [str(item.pk) for item in stored], "ttl_seconds": url_ttl_seconds()},
    )
    return urls


def open_signed(*, actor: Actor | None, token: str) -> tuple[StoredFile, bytes]:
    """The file a signed token names, decrypted, for a member of the token's clinic.

    Expired, altered or foreign tokens, deleted files and unreadable blobs are all 404.
    """
    if actor is None or actor.clinic is None:
        raise NotFound()
    try:
        payload = signing.TimestampSigner(salt=URL_SALT).unsign_object(token, max_age=url_ttl_seconds())
        file_id = uuid.UUID(str(payload["f"]))
        clinic_id = str(payload["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise NotFound() from None
    if clinic_id != str(actor.clinic_id):
        raise NotFound()
    stored = StoredFile.objects.filter(clinic=actor.clinic, pk=file_id).first()
    if stored is None:
        raise NotFound()
    try:
        return stored, read_bytes(stored)
    except (FileKeyError, FileNotFoundError, OSError):
        raise NotFound() from None
