"""Image fixtures built in code: clean photos, a GPS-tagged photo and a bomb corpus."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(size=(64, 48), color=(200, 120, 90), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", **save)
    return out.getvalue()


def png(size=(32, 32), mode="RGBA", color=(10, 200, 90, 128), **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG", **save)
    return out.getvalue()


def webp(size=(40, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, "WEBP", **save)
    return out.getvalue()


def heic(size=(48, 32)) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", size, (90, 30, 160)).save(out, "HEIF")
    return out.getvalue()


def tagged_exif() -> Image.Exif:
    """EXIF with GPS coordinates, camera make, model, serial, owner and orientation 6."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 5D"
    exif[0xA431] = "SERIAL-123456789"  # BodySerialNumber (Exif IFD tag, stored here for the test)
    exif[0xA430] = "Dr Owner Name"  # CameraOwnerName
    exif[GPS_IFD] = {1: "N", 2: (40.0, 44.0, 54.36), 3: "W", 4: (73.0, 59.0, 8.5)}
    return exif


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="40,44.906N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def gps_jpeg(size=(60, 40)) -> bytes:
    """A landscape JPEG tagged with GPS, camera serial and owner, XMP, and orientation 6."""
    return jpeg(size, exif=tagged_exif().tobytes(), xmp=XMP, comment=b"shot at home")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` (a decompression bomb's calling card)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF")
    return out.getvalue()


def bomb_corpus() -> dict[str, tuple[str, bytes]]:
    """Name -> (upload name, bytes); every one must be refused."""
    whole = jpeg((400, 300), quality=95)
    with_comment = jpeg((40, 30), comment=b"<html><body><script>alert(document.cookie)</script></body></html>")
    svg = (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
    )
    return {
        "png_header_60mpx": ("big.png", png_header_only(10_000, 6_000)),
        "png_header_10gpx": ("huge.png", png_header_only(100_000, 100_000)),
        "truncated_jpeg": ("cut.jpg", whole[: len(whole) // 2]),
        "jpeg_html_polyglot_comment": ("poly.jpg", with_comment),
        "jpeg_html_polyglot_appended": ("poly2.jpg", jpeg() + b"<!DOCTYPE html><script>alert(1)</script>"),
        "svg_with_script": ("photo.svg", svg),
        "svg_named_jpg": ("photo.jpg", svg),
        "html_named_jpg": ("photo.jpg", b"<html><body onload=alert(1)>hi</body></html>"),
        "gif_named_jpg": ("photo.jpg", gif()),
        "text_named_jpg": ("photo.jpg", b"just some text, not a photo\n" * 20),
        "pdf_named_png": ("scan.png", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"),
        "jpeg_magic_then_garbage": ("x.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200),
        "empty": ("empty.jpg", b""),
    }
