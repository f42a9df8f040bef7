"""The image pipeline of uploaded files: detect, decode under limits, re-encode clean.

Imports only Pillow, pillow-heif and the standard library (no Django), because it also
runs as a separate short-lived process with an address-space limit
(`python -m medspa.core.imaging`): a decoder bug or a bomb that slips past the pixel
checks exhausts that process, not the web server.

Protocol of the worker: the upload's bytes on stdin; on stdout one JSON line
(`{"ok": true, "content_type", "extension", "width", "height"}` or `{"ok": false,
"error"}`) followed, on success, by the re-encoded image.
"""

from __future__ import annotations

import io
import json
import sys
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageFile, ImageOps

# Decoding never "repairs" a truncated file: a short image is refused, not padded.
ImageFile.LOAD_TRUNCATED_IMAGES = False
DEFAULT_MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS
# Pillow warns between 1x and 2x MAX_IMAGE_PIXELS and raises above; a warning is a refusal too.
warnings.simplefilter("error", Image.DecompressionBombWarning)

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
# Text that has no business inside a photo: an HTML, SVG or script payload riding along
# in a comment or after the image data (a polyglot). Metadata (XMP) is XML but never these.
ACTIVE_CONTENT_MARKERS = (
    b"<script",
    b"<html",
    b"<!doctype",
    b"<svg",
    b"<iframe",
    b"<object",
    b"<embed",
    b"<body",
    b"<?php",
    b"javascript:",
    b"onerror=",
    b"onload=",
)
# Our detection -> (Pillow format to decode with, output Pillow format, content type, extension).
FORMATS = {
    "jpeg": ("JPEG", "JPEG", "image/jpeg", "jpg"),
    "png": ("PNG", "PNG", "image/png", "png"),
    "webp": ("WEBP", "WEBP", "image/webp", "webp"),
    "heic": ("HEIF", "JPEG", "image/jpeg", "jpg"),
}
ALLOWED_TEXT = "Upload a JPEG, PNG, WebP or HEIC photo."


class ImageRejected(Exception):
    """The bytes are not an acceptable image; the message is safe to show the uploader."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The image type from the leading bytes (never from a name or a client's header)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "heic"
    return None


def _has_active_content(data: bytes) -> bool:
    lowered = data.lower()
    return any(marker in lowered for marker in ACTIVE_CONTENT_MARKERS)


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded colour profile (so dropping it keeps the colours), else as is."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def process(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> CleanImage:
    """Decode `data` under the pixel limit and re-encode it without any metadata.

    Orientation from EXIF is applied to the pixels first; the output carries no EXIF, XMP,
    IPTC, ICC profile or comment. HEIC becomes JPEG. Raises `ImageRejected`.
    """
    kind = sniff(data)
    if kind is None:
        raise ImageRejected(f"This file is not a supported image. {ALLOWED_TEXT}")
    if _has_active_content(data):
        raise ImageRejected("This image carries embedded web content and was refused.")
    decode_format, out_format, content_type, extension = FORMATS[kind]
    if kind == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(io.BytesIO(data), formats=[decode_format]) as probe:
            if probe.width * probe.height > max_pixels:
                raise ImageRejected("This image has too many pixels.")
            probe.verify()
        # verify() leaves the image unusable: decode again, for real this time.
        with Image.open(io.BytesIO(data), formats=[decode_format]) as image:
            if image.width * image.height > max_pixels or getattr(image, "n_frames", 1) > 1:
                raise ImageRejected("Upload a single still photo within the size limit.")
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            upright = _to_srgb(upright)
            has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
            # convert() always returns a new image, so clearing its info touches no original.
            clean = upright.convert("RGBA" if has_alpha and out_format != "JPEG" else "RGB")
            # Nothing from the original travels on: the savers fall back to `info` otherwise.
            clean.info = {}
            out = io.BytesIO()
            options = {"quality": 90} if out_format in ("JPEG", "WEBP") else {"optimize": True}
            clean.save(out, format=out_format, **options)
            width, height = clean.size
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("This image has too many pixels.") from None
    except MemoryError:
        raise ImageRejected("This image is too large to process.") from None
    except Exception:  # noqa: BLE001 — any decoder failure means "not a valid image"
        raise ImageRejected(f"This image is damaged or incomplete. {ALLOWED_TEXT}") from None
    return CleanImage(out.getvalue(), content_type, extension, width, height)


def _limit_memory(megabytes: int) -> None:
    import resource

    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))


def main(argv: list[str]) -> int:
    max_pixels, memory_mb = int(argv[1]), int(argv[2])
    _limit_memory(memory_mb)
    data = sys.stdin.buffer.read()
    out = sys.stdout.buffer
    try:
        image = process(data, max_pixels=max_pixels)
    except ImageRejected as exc:
        out.write(json.dumps({"ok": False, "error": str(exc)}).encode() + b"\n")
        return 0
    header = {
        "ok": True,
        "content_type": image.content_type,
        "extension": image.extension,
        "width": image.width,
        "height": image.height,
    }
    out.write(json.dumps(header).encode() + b"\n")
    out.write(image.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
