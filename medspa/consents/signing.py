"""What a submission binds, and the check that it still does.

The stored `document` is what the patient saw and answered: each shown section and field
with its label, help, paragraph text and options, and the answer as displayed. The
`content_hash` is the SHA-256 of the canonical JSON (sorted keys, UTC times) of the
submission's ids, the version's definition hash, the document, answers, signatures (drawn
images by SHA-256) and computed scores; `signature_hash` chains it with the signer's printed
name, time, IP and user agent and the submission id, so it cannot be moved to another record.
`verify_submissions` recomputes all of it (`medspa consents-verify`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from medspa.charting.signing import sha256, utc_text
from medspa.consents.choices import FieldType
from medspa.consents.definition import display


def definition_hash(definition: dict) -> str:
    return sha256(definition)


def render_document(
    *, name: str, number: int, definition: dict, answers: dict, shown: list[str], signatures: list[dict], computed: dict
) -> dict:
    """The form exactly as shown to the patient, with their answers in place."""
    shown_set = set(shown)
    signed = {s["field"]: s for s in signatures}
    sections = []
    for section in definition["sections"]:
        items = []
        for field in section["fields"]:
            if field["key"] not in shown_set:
                continue
            item = {"key": field["key"], "type": field["type"], "label": field["label"]}
            for extra in ("help", "text"):
                if field.get(extra):
                    item[extra] = field[extra]
            if field["options"]:
                item["options"] = field["options"]
            if field["type"] == FieldType.SIGNATURE:
                mark = signed.get(field["key"])
                item["answer"] = (
                    "" if mark is None else f"Signed ({mark['method']}) by {mark['name']} at {mark['signed_at']}"
                )
            elif field["type"] != FieldType.NOTE:
                item["answer"] = display(field, answers.get(field["key"]))
            items.append(item)
        if items:
            sections.append({"key": section["key"], "title": section["title"], "items": items})
    return {
        "form": name,
        "version": number,
        "sections": sections,
        "computed": [{"label": c["label"], "result": c["result"], "score": c["score"]} for c in computed.values()],
    }


def submission_payload(row: dict) -> dict:
    return {
        "submission_id": str(row["id"]),
        "clinic_id": str(row["clinic_id"]),
        "form_id": str(row["form_id"]),
        "version_id": str(row["version_id"]),
        "definition_hash": row["definition_hash"],
        "patient_id": str(row["patient_id"]),
        "appointment_id": str(row["appointment_id"] or ""),
        "document": row["document"],
        "answers": row["answers"],
        "signatures": row["signatures"],
        "computed": row["computed"],
    }


def content_hash(row: dict) -> str:
    return sha256(submission_payload(row))


def signature_hash(row: dict, content: str) -> str:
    return sha256(
        {
            "submission_id": str(row["id"]),
            "content_hash": content,
            "signer_name": row["signer_name"],
            "submitted_at": utc_text(row["submitted_at"]),
            "ip_address": row["ip_address"],
            "user_agent": row["user_agent"],
            "via": row["via"],
        }
    )


@dataclass(frozen=True)
class Mismatch:
    submission_id: str
    what: str

    def __str__(self) -> str:
        return f"submission {self.submission_id}: {self.what}"


COLUMNS = (
    "id",
    "clinic_id",
    "form_id",
    "version_id",
    "patient_id",
    "appointment_id",
    "document",
    "answers",
    "signatures",
    "computed",
    "signer_name",
    "submitted_at",
    "ip_address",
    "user_agent",
    "via",
    "content_hash",
    "signature_hash",
    "version__definition",
    "version__definition_hash",
)


def _check(row: dict, file_hashes: dict[str, str]) -> Iterator[str]:
    if definition_hash(row["version__definition"]) != row["version__definition_hash"]:
        yield "the form version's definition does not match its hash"
    values = {**row, "definition_hash": row["version__definition_hash"]}
    content = content_hash(values)
    if content != row["content_hash"]:
        yield "content hash mismatch"
    if signature_hash(values, content) != row["signature_hash"]:
        yield "signature hash mismatch"
    for mark in row["signatures"]:
        file_id = mark.get("image_file_id")
        if file_id and file_hashes.get(file_id) != mark.get("image_sha256"):
            yield f"drawn signature {mark['field']} does not match its stored file"


def verify_submissions(rows: Iterable[dict], file_hashes: dict[str, str]) -> list[Mismatch]:
    """Every mismatch between stored submissions and what their hashes bind."""
    return [Mismatch(str(row["id"]), what) for row in rows for what in _check(row, file_hashes)]
