"""PRIV-2: no XSS. A payload corpus goes into every free-text patient field (through the
services, as staff would type it), then the pages that show them are opened in Chromium
with a dialog hook, the CSP console hook and a DOM check for injected markup.

Figures: payloads that execute (dialogs) = 0; CSP violations = 0 (a violation would mean
markup got in and only the CSP stopped it); injected elements or attributes in the DOM = 0.
A static test keeps `|safe`, `mark_safe` and friends out of the code outside an allowlist.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from medspa.core.actors import Actor
from medspa.core.permissions import Role
from medspa.patients import services
from medspa.patients.models import Allergy, Patient, Tag
from medspa.tests.test_browser import CHROMIUM, page, sign_in  # noqa: F401 - the page fixture

ROOT = Path(__file__).resolve().parents[1]

# Every payload carries "xssmark" so injected markup can be found in the DOM.
PAYLOADS = [
    "<script>alert('xssmark1')</script>",
    '"><img src=x onerror=alert(2) class=xssmark>',
    "'><svg onload=alert(3) class=xssmark>",
    "javascript:alert(4)//xssmark",
    "{{7*7}}xssmark",
    '" hx-get="/x?xssmark" hx-trigger="load',
    "' x-init='alert(5)' data-xssmark='",
    '<a href="javascript:alert(6)">xssmark</a>',
    "</textarea><script>alert(7)</script>xssmark",
    "${alert(8)}xssmark",
    '<iframe srcdoc="<script>alert(9)</script>">xssmark',
    "<details open ontoggle=alert(10)>xssmark",
    '<div x-data @click="alert(11)" data-xssmark>',
    "<style>*{display:none}</style>xssmark",
]
TEXT_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "pronouns",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "referral_source",
    "notes",
)
# Finds what the payloads would add if they were parsed as markup: event handlers, inline
# scripts, javascript: links, htmx/Alpine attributes, or anything marked "xssmark".
DOM_CHECK = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase(), value = attr.value.toLowerCase();
      if (name.startsWith('on')) found.push(el.tagName + ' ' + name);
      if ((name === 'href' || name === 'src') && value.startsWith('javascript:')) found.push(el.tagName + ' ' + name);
      if (name.includes('xssmark') || (name !== 'value' && value.includes('xssmark') && name !== 'aria-label'
          && name !== 'title' && name !== 'placeholder' && name !== 'alt')) found.push(el.tagName + ' ' + name);
    }
    if (el.tagName === 'SCRIPT' && !el.src && el.type !== 'application/json') found.push('inline script');
    if (['IFRAME', 'DETAILS', 'SVG', 'STYLE'].includes(el.tagName) && el.outerHTML.includes('xssmark'))
      found.push(el.tagName);
  }
  if (document.body.innerText.includes('49xssmark')) found.push('template expression evaluated');
  return found;
}"""


def fits(model, field: str, value: str) -> bool:
    max_length = model._meta.get_field(field).max_length
    return max_length is None or len(value) <= max_length


@pytest.fixture
def poisoned(clinic, make_member):
    """One profile per payload, the payload in every free-text field that can hold it."""
    boss = make_member(clinic, Role.OWNER, email="boss@test.example")
    actor = Actor.staff(user=boss, clinic=clinic, role=Role.OWNER)
    patients = []
    for number, payload in enumerate(PAYLOADS):
        data = {name: payload for name in TEXT_FIELDS if fits(Patient, name, payload)}
        data.setdefault("first_name", f"P{number}")
        data.setdefault("last_name", "Xss")
        data["medical_alerts"] = [payload]
        data["medications"] = [payload]
        data["medical_history"] = payload
        data["clinical_notes"] = payload
        data["allergies"] = [
            {"substance": payload if fits(Allergy, "substance", payload) else "Latex", "reaction": payload}
        ]
        tag = services.tag_create(actor=actor, name=payload[: Tag._meta.get_field("name").max_length])
        data["tags"] = [tag.pk]
        patient = services.patient_create(actor=actor, data=data)
        services.communication_create(actor=actor, patient_id=patient.pk, kind="note", body=payload)
        patients.append(patient)
    for left, right in itertools.pairwise(patients):
        services.relationship_create(actor=actor, patient_id=left.pk, related_id=right.pk, kind="sibling")
    return patients


def watch(browser_page):
    browser_page.dialogs = []
    browser_page.on("dialog", lambda dialog: (browser_page.dialogs.append(dialog.message), dialog.dismiss()))
    return browser_page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)")
def test_payloads_never_execute(page, poisoned):  # noqa: F811
    watch(page)
    sign_in(page, "boss@test.example")
    injected: dict[str, list[str]] = {}
    opened = 0

    def visit(url: str):
        nonlocal opened
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
        opened += 1
        found = page.evaluate(DOM_CHECK)
        if found:
            injected[url] = found

    visit("/patients/")
    visit("/settings/tags/")
    for patient in poisoned:
        for tab in ("", "timeline/", "communications/", "family/", "edit/"):
            visit(f"/patients/{patient.pk}/{tab}")
    visit(f"/patients/{poisoned[0].pk}/merge/{poisoned[1].pk}/")

    # Typed into the search boxes: the results partials (htmx) echo nothing executable.
    page.goto("/patients/")
    search = page.get_by_label("Search patients")
    for payload in PAYLOADS:
        with page.expect_response(lambda r: r.url.endswith("/patients/") and r.request.method == "POST"):
            search.fill(payload[:100])
        page.wait_for_load_state("networkidle")
        if found := page.evaluate(DOM_CHECK):
            injected[f"search {payload}"] = found
    print(f"\nPRIV-2: {opened} pages and {len(PAYLOADS)} searches; dialogs {len(page.dialogs)}")  # noqa: T201
    assert page.dialogs == []
    assert page.csp_violations == []
    assert injected == {}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(CHROMIUM is None, reason="system Chromium not installed (apt-get install chromium)")
def test_the_hooks_see_an_execution(page, clinic, make_member):  # noqa: F811
    """The hooks can fail: a page that does run a payload is caught by the dialog hook and
    the DOM check (set here with page content, not through the app)."""
    watch(page)
    page.set_content('<img src=x onerror="alert(1)" class=xssmark><p>49xssmark</p>')
    page.wait_for_timeout(200)
    assert page.dialogs == ["1"]
    found = page.evaluate(DOM_CHECK)
    assert "IMG onerror" in found and "template expression evaluated" in found


# Static: no escaping switched off ------------------------------------------------------

# (path, pattern) pairs reviewed as safe: none today.
UNESCAPED_ALLOWLIST: set[tuple[str, str]] = set()
UNESCAPED = re.compile(
    r"\|\s*safe\b|\|\s*safeseq\b|mark_safe\(|SafeString\(|autoescape\s+off|\{%\s*filter\s+safe|"
    r"is_safe\s*=\s*True|x-html\b|\.innerHTML\s*=|insertAdjacentHTML|document\.write"
)


def test_no_unescaped_output_outside_the_allowlist():
    sources = [*ROOT.rglob("*.html"), *ROOT.rglob("*.py"), *(ROOT.parent / "frontend").rglob("*.js")]
    found = set()
    for path in sources:
        relative = path.relative_to(ROOT.parent).as_posix()
        if "/tests/" in relative or relative.startswith("medspa/static/"):
            continue
        for match in UNESCAPED.finditer(path.read_text(encoding="utf-8", errors="replace")):
            found.add((relative, match.group(0)))
    assert found - UNESCAPED_ALLOWLIST == set()
    assert len(sources) > 50


def test_static_pattern_catches_the_usual_suspects():
    for text in ("{{ patient.notes|safe }}", "mark_safe(value)", "{% autoescape off %}", '<div x-html="notes">'):
        assert UNESCAPED.search(text), text
