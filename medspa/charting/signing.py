"""What a signature binds, and the check that it still does.

A chart's canonical form is sorted-key, compact JSON (UTF-8) of its ids, template version,
treatment time and content — decimals as strings, times in UTC, photos by id with their
file's SHA-256 and the annotation version in force — so the same record always gives the
same bytes. `content_hash` is the SHA-256 of that; `signature_hash` chains it with the
signer, time, meaning and chart id, so a signature cannot be moved to another record.
`verify_charts` recomputes both for every signed chart and amendment (`medspa charts-verify`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import F, Q

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_text(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT) if moment else ""


def canonical_bytes(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def sha256(data) -> str:
    return hashlib.sha256(canonical_bytes(data)).hexdigest()


def chart_document(row: dict) -> dict:
    """The signed document of a chart from its column values (a model's or a `.values()` row)."""
    return {
        "chart_id": str(row["id"]),
        "clinic_id": str(row["clinic_id"]),
        "patient_id": str(row["patient_id"]),
        "appointment_id": str(row["appointment_id"] or ""),
        "service_id": str(row["service_id"] or ""),
        "provider_id": str(row["provider_id"]),
        "template_version_id": str(row["template_version_id"]),
        "treated_at": utc_text(row["treated_at"]),
        "content": row["content"],
    }


def chart_row(chart) -> dict:
    return {name: getattr(chart, name) for name in CHART_COLUMNS}


CHART_COLUMNS = (
    "id",
    "clinic_id",
    "patient_id",
    "appointment_id",
    "service_id",
    "provider_id",
    "template_version_id",
    "treated_at",
    "content",
)


def amendment_document(row: dict) -> dict:
    return {
        "amendment_id": str(row["id"]),
        "chart_id": str(row["chart_id"]),
        "number": row["number"],
        "reason": row["reason"],
        "text": row["text"],
        "product_corrections": row["product_corrections"],
        "author_id": str(row["author_id"]),
        "original_content_hash": row["original_content_hash"],
    }


def signature_document(row: dict) -> dict:
    return {
        "chart_id": str(row["chart_id"]),
        "amendment_id": str(row["amendment_id"] or ""),
        "kind": row["kind"],
        "signer_id": str(row["signer_id"]),
        "signer_name": row["signer_name"],
        "signer_role": row["signer_role"],
        "meaning": row["meaning"],
        "signed_at": utc_text(row["signed_at"]),
        "content_hash": row["content_hash"],
        "override_reason": row["override_reason"],
        # The drawn signature, when one was given, by the SHA-256 of its stored image.
        "image_sha256": row.get("image_sha256") or "",
    }


@dataclass(frozen=True)
class Mismatch:
    chart_id: str
    what: str

    def __str__(self) -> str:
        return f"chart {self.chart_id}: {self.what}"


SIGNATURE_COLUMNS = (
    "id",
    "chart_id",
    "amendment_id",
    "kind",
    "signer_id",
    "signer_name",
    "signer_role",
    "meaning",
    "signed_at",
    "content_hash",
    "signature_hash",
    "override_reason",
)


def _batches(ids: list, size: int) -> Iterator[list]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def verify_charts(*, clinic_id=None, batch: int = 1000) -> tuple[int, list[Mismatch]]:
    """Recompute the hashes of every signed chart (and its amendments) and compare them with
    the signatures that bind it; also check each signed photo's file hash. Returns (charts
    checked, mismatches)."""
    from medspa.charting.choices import ChartStatus
    from medspa.charting.models import Chart, ChartAmendment, ChartSignature
    from medspa.photos.models import ClinicalPhoto

    charts = Chart.all_objects.exclude(status=ChartStatus.DRAFT)
    if clinic_id is not None:
        charts = charts.filter(clinic_id=clinic_id)
    ids = list(charts.order_by("id").values_list("id", flat=True))
    problems: list[Mismatch] = []
    for chunk in _batches(ids, batch):
        rows = Chart.all_objects.filter(pk__in=chunk).values(
            *CHART_COLUMNS, "provider_signature_id", "md_signature_id", "status"
        )
        signatures = {
            s["id"]: s
            for s in ChartSignature.objects.filter(Q(chart_id__in=chunk)).values(
                *SIGNATURE_COLUMNS, image_sha256=F("image__sha256")
            )
        }
        amendments = list(
            ChartAmendment.objects.filter(chart_id__in=chunk).values(
                "id", "chart_id", "number", "reason", "text", "product_corrections", "author_id", "clinic_id"
            )
        )
        photo_ids = set()
        for row in rows:
            for photo in (row["content"] or {}).get("photos", []):
                photo_ids.add(photo.get("id"))
        photo_hashes = {
            str(pid): sha
            for pid, sha in ClinicalPhoto.all_objects.filter(pk__in=[p for p in photo_ids if p]).values_list(
                "id", "file__sha256"
            )
        }
        original: dict = {}
        for row in rows:
            problems.extend(_verify_chart(row, signatures, photo_hashes))
            provider = signatures.get(row["provider_signature_id"])
            original[row["id"]] = provider["content_hash"] if provider else ""
        by_chart: dict = {}
        for amendment in amendments:
            by_chart.setdefault(amendment["chart_id"], []).append(amendment)
        for chart_id, items in by_chart.items():
            problems.extend(_verify_amendments(chart_id, items, signatures, original.get(chart_id, "")))
    return len(ids), problems


def _verify_chart(row: dict, signatures: dict, photo_hashes: dict) -> Iterable[Mismatch]:
    chart_id = str(row["id"])
    provider = signatures.get(row["provider_signature_id"])
    if provider is None:
        yield Mismatch(chart_id, f"status {row['status']} but no provider signature binds it")
        return
    content_hash = sha256(chart_document(row))
    bound = [provider]
    if row["md_signature_id"]:
        md = signatures.get(row["md_signature_id"])
        if md is None:
            yield Mismatch(chart_id, "its medical director signature is missing")
        else:
            bound.append(md)
    for signature in bound:
        if str(signature["chart_id"]) != chart_id:
            yield Mismatch(chart_id, f"{signature['kind']} signature belongs to another chart")
        if signature["content_hash"] != content_hash:
            yield Mismatch(chart_id, f"content differs from what the {signature['kind']} signature binds")
        if sha256(signature_document(signature)) != signature["signature_hash"]:
            yield Mismatch(chart_id, f"{signature['kind']} signature record was altered")
    for photo in (row["content"] or {}).get("photos", []):
        if photo_hashes.get(str(photo.get("id"))) != photo.get("sha256"):
            yield Mismatch(chart_id, f"photo {photo.get('id')} differs from the signed file")


def _verify_amendments(chart_id, items: list[dict], signatures: dict, original_hash: str) -> Iterable[Mismatch]:
    by_amendment = {s["amendment_id"]: s for s in signatures.values() if s["amendment_id"]}
    for amendment in items:
        signature = by_amendment.get(amendment["id"])
        if signature is None:
            yield Mismatch(str(chart_id), f"amendment {amendment['number']} is not signed")
            continue
        expected = sha256(amendment_document({**amendment, "original_content_hash": original_hash}))
        if signature["content_hash"] != expected:
            yield Mismatch(str(chart_id), f"amendment {amendment['number']} differs from its signature")
        if sha256(signature_document(signature)) != signature["signature_hash"]:
            yield Mismatch(str(chart_id), f"amendment {amendment['number']} signature record was altered")
