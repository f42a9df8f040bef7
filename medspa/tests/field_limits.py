"""AUTHZ-4: what each role must never receive, and a scanner for JSON and rendered HTML.

Forbidden fields are keyed by the permission that unlocks them; a role that lacks the
permission must not get any of them: not as a JSON key (at any depth), not as a template
block marked `data-field="<name>"`, not as a form input `name="<name>"`, and not as the
canary values the matrix fixtures store in those fields.

Roles without any write permission (ReadOnly) must also get no write controls: no POST
form and no hx-post/put/patch/delete outside the short allowlist of reads and sign-out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django.urls import reverse

from medspa.core.permissions import ROLE_PERMISSIONS
from medspa.patients.services import CLINICAL_FIELDS

# permission -> field names only holders of that permission may receive.
FORBIDDEN_WITHOUT: dict[str, tuple[str, ...]] = {
    "patients.view_clinical": CLINICAL_FIELDS,
}
# Values the matrix fixtures store in the clinical fields of their patients.
CLINICAL_CANARIES = {
    "medications": ["Canarymed-Zolpidex"],
    "medical_history": "Canaryhistory of migraines",
    "clinical_notes": "Canarynote: prefers left side",
    "aesthetic_concerns": ["Canaryconcern-glabella"],
    "preferred_treatment_areas": ["Canaryarea-jawline"],
}
CANARY_TEXTS = ("Canarymed", "Canaryhistory", "Canarynote", "Canaryconcern", "Canaryarea")
# Writes a read-only role may still be offered: its own account (sign-out, password, MFA),
# switching clinic, and the patient search (a read sent by POST to keep names out of URLs).
WRITE_CONTROL_ALLOWED_NAMES = ("clinic_switch", "patients_list")
WRITE_CONTROL_ALLOWED_PREFIXES = ("/accounts/",)

_WRITE_ATTR = re.compile(r"""hx-(?:post|put|patch|delete)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_POST_FORM = re.compile(r"""<form\b[^>]*\bmethod\s*=\s*["']?post["']?[^>]*>""", re.IGNORECASE)
_ACTION = re.compile(r"""\baction\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def _allowed_write(target: str) -> bool:
    allowed = {reverse(name) for name in WRITE_CONTROL_ALLOWED_NAMES}
    return target in allowed or target.startswith(WRITE_CONTROL_ALLOWED_PREFIXES)


def forbidden_fields(role: str) -> frozenset[str]:
    held = ROLE_PERMISSIONS.get(role, frozenset())
    names: set[str] = set()
    for permission, fields in FORBIDDEN_WITHOUT.items():
        if permission not in held:
            names.update(fields)
    return frozenset(names)


def is_read_only(role: str) -> bool:
    """True when every permission the role holds only reads (views and reports)."""
    held = ROLE_PERMISSIONS.get(role, frozenset())
    return all(p.endswith((".view", ".view_own", ".view_clinical")) or p.startswith("reports.") for p in held)


@dataclass
class Findings:
    scanned: int = 0
    present: list[str] = field(default_factory=list)


TOTALS = Findings()


def _json_keys(value, path="") -> list[tuple[str, str]]:
    found = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.append((key, f"{path}.{key}"))
            found += _json_keys(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _json_keys(inner, f"{path}[{index}]")
    return found


def scan(role: str, response) -> list[str]:
    """Forbidden things in one response for `role` (empty when it is clean)."""
    forbidden = forbidden_fields(role)
    content_type = response.get("Content-Type", "") if hasattr(response, "get") else ""
    raw = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    text = raw.decode("utf-8", "replace")
    present: list[str] = []
    if "json" in content_type:
        try:
            body = json.loads(text or "null")
        except ValueError:
            body = None
        present += [f"json key {where}" for key, where in _json_keys(body) if key in forbidden]
    elif "html" in content_type:
        for name in forbidden:
            if re.search(rf"""data-field\s*=\s*["']{name}["']""", text):
                present.append(f'html block data-field="{name}"')
            if re.search(rf"""\bname\s*=\s*["']{name}["']""", text):
                present.append(f'html input name="{name}"')
        if forbidden and 'data-field-group="clinical"' in text:
            present.append("html clinical block")
        if is_read_only(role):
            targets = [m.group(1) for m in _WRITE_ATTR.finditer(text)]
            for form in _POST_FORM.finditer(text):
                action = _ACTION.search(form.group(0))
                targets.append(action.group(1) if action else "(this page)")
            present += [f"write control {t}" for t in targets if not _allowed_write(t)]
    if forbidden & set(CLINICAL_FIELDS):
        present += [f"canary {c}" for c in CANARY_TEXTS if c in text]
    TOTALS.scanned += 1
    TOTALS.present += present
    return present


def assert_clean(role: str, response, label: str = "") -> None:
    present = scan(role, response)
    assert present == [], (label, role, present)
