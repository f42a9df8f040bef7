"""The template library every clinic starts with, and the rules a template must follow.

A template is a list of sections, each a list of typed fields:
`{"key", "title", "fields": [{"key", "label", "type", "required", "unit", "options", "help"}]}`.
Keys are what chart answers are stored under, so they are unique across the template.
"""

from __future__ import annotations

import re

from medspa.charting.choices import FieldType
from medspa.core.errors import InvalidInput

KEY = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
MAX_SECTIONS = 30
MAX_FIELDS = 150
MAX_OPTIONS = 40


def _f(key, label, kind=FieldType.SHORT_TEXT, *, required=False, unit="", options=(), help=""):
    return {
        "key": key,
        "label": label,
        "type": str(kind),
        "required": required,
        "unit": unit,
        "options": list(options),
        "help": help,
    }


def _s(key, title, *fields):
    return {"key": key, "title": title, "fields": list(fields)}


def _treatment_close():
    return _s(
        "close",
        "Aftercare and follow-up",
        _f(
            "tolerance",
            "Patient tolerated treatment",
            FieldType.SELECT,
            required=True,
            options=("Well", "Fair", "Poorly"),
        ),
        _f("adverse_events", "Adverse events", FieldType.LONG_TEXT, help="None observed, or describe."),
        _f("follow_up", "Follow-up", FieldType.SELECT, options=("2 weeks", "4 weeks", "3 months", "As needed")),
        _f("provider_signature", "Provider signature", FieldType.SIGNATURE),
    )


def _assessment():
    return _s(
        "assessment",
        "Assessment",
        _f("concerns", "Patient concerns", FieldType.LONG_TEXT, required=True),
        _f("contraindications_reviewed", "Contraindications reviewed", FieldType.CHECKBOX, required=True),
        _f("pregnant_or_nursing", "Pregnant or breastfeeding", FieldType.SELECT, options=("No", "Yes")),
    )


LIBRARY: dict[str, dict] = {
    "soap-note": {
        "name": "SOAP note",
        "description": "Subjective, objective, assessment and plan.",
        "sections": [
            _s(
                "soap",
                "SOAP",
                _f("subjective", "Subjective", FieldType.LONG_TEXT, required=True),
                _f("objective", "Objective", FieldType.LONG_TEXT, required=True),
                _f("assessment", "Assessment", FieldType.LONG_TEXT, required=True),
                _f("plan", "Plan", FieldType.LONG_TEXT, required=True),
            ),
            _s("sign", "Signature", _f("provider_signature", "Provider signature", FieldType.SIGNATURE)),
        ],
    },
    "consultation": {
        "name": "Consultation",
        "description": "Goals, skin assessment and a treatment plan.",
        "sections": [
            _s(
                "consult",
                "Consultation",
                _f("goals", "Patient goals", FieldType.LONG_TEXT, required=True),
                _f(
                    "areas_of_concern",
                    "Areas of concern",
                    FieldType.MULTISELECT,
                    options=(
                        "Forehead",
                        "Glabella",
                        "Crow's feet",
                        "Lips",
                        "Cheeks",
                        "Jawline",
                        "Neck",
                        "Skin texture",
                    ),
                ),
                _f(
                    "fitzpatrick",
                    "Fitzpatrick skin type",
                    FieldType.SELECT,
                    options=("I", "II", "III", "IV", "V", "VI"),
                ),
                _f("plan", "Recommended treatment plan", FieldType.LONG_TEXT, required=True),
                _f("budget", "Budget discussed", FieldType.CHECKBOX),
            ),
            _s("photos", "Photos", _f("baseline_photos", "Baseline photos", FieldType.PHOTOS)),
        ],
    },
    "neurotoxin": {
        "name": "Neurotoxin",
        "description": "Botulinum toxin treatment with face chart and lots.",
        "sections": [
            _assessment(),
            _s(
                "treatment",
                "Treatment",
                _f("face_chart", "Injection sites", FieldType.FACE_CHART, required=True),
                _f("products", "Products used", FieldType.PRODUCTS, required=True),
                _f("photos", "Before and after photos", FieldType.PHOTOS),
            ),
            _treatment_close(),
        ],
    },
    "dermal-filler": {
        "name": "Dermal filler",
        "description": "Hyaluronic acid filler with syringes, depth and technique.",
        "sections": [
            _assessment(),
            _s(
                "treatment",
                "Treatment",
                _f("anesthetic", "Topical anesthetic", FieldType.SELECT, options=("None", "BLT cream", "Lidocaine 4%")),
                _f("face_chart", "Injection sites", FieldType.FACE_CHART, required=True),
                _f("products", "Products used", FieldType.PRODUCTS, required=True),
                _f("hyaluronidase_available", "Hyaluronidase available", FieldType.CHECKBOX, required=True),
                _f("photos", "Before and after photos", FieldType.PHOTOS),
            ),
            _treatment_close(),
        ],
    },
    "laser-ipl": {
        "name": "Laser / IPL",
        "description": "Device settings, test spot and skin response.",
        "sections": [
            _s(
                "pre",
                "Pre-treatment",
                _f(
                    "fitzpatrick",
                    "Fitzpatrick skin type",
                    FieldType.SELECT,
                    required=True,
                    options=("I", "II", "III", "IV", "V", "VI"),
                ),
                _f("recent_sun", "Sun exposure in the last 2 weeks", FieldType.SELECT, options=("No", "Yes")),
                _f("test_spot", "Test spot done", FieldType.CHECKBOX),
            ),
            _s(
                "settings",
                "Device settings",
                _f("device", "Device", required=True),
                _f("wavelength", "Wavelength / filter", FieldType.NUMBER, unit="nm"),
                _f("fluence", "Fluence", FieldType.NUMBER, required=True, unit="J/cm²"),
                _f("pulse_width", "Pulse width", FieldType.NUMBER, unit="ms"),
                _f("spot_size", "Spot size", FieldType.NUMBER, unit="mm"),
                _f("passes", "Passes", FieldType.NUMBER),
                _f("areas", "Areas treated", FieldType.LONG_TEXT, required=True),
                _f(
                    "response",
                    "Skin response",
                    FieldType.MULTISELECT,
                    options=("Erythema", "Edema", "Frosting", "None"),
                ),
            ),
            _treatment_close(),
        ],
    },
    "chemical-peel": {
        "name": "Chemical peel",
        "description": "Peel agent, layers, time and frosting.",
        "sections": [
            _s(
                "peel",
                "Peel",
                _f("prep", "Skin prep", FieldType.SELECT, options=("Cleanser", "Acetone", "Alcohol")),
                _f("agent", "Peel agent and strength", required=True),
                _f("layers", "Layers", FieldType.NUMBER, required=True),
                _f("contact_time", "Contact time", FieldType.NUMBER, unit="min"),
                _f("frosting", "Frosting level", FieldType.SELECT, options=("None", "Level 1", "Level 2", "Level 3")),
                _f("neutralized", "Neutralized", FieldType.CHECKBOX),
                _f("products", "Products used", FieldType.PRODUCTS),
            ),
            _treatment_close(),
        ],
    },
    "microneedling": {
        "name": "Microneedling",
        "description": "Depth per area, passes and serums.",
        "sections": [
            _s(
                "treatment",
                "Treatment",
                _f("device", "Device"),
                _f("depth", "Needle depth", FieldType.NUMBER, required=True, unit="mm"),
                _f("passes", "Passes", FieldType.NUMBER),
                _f("areas", "Areas treated", FieldType.LONG_TEXT, required=True),
                _f("serum", "Serum / PRP", FieldType.SHORT_TEXT),
                _f(
                    "endpoint", "Endpoint reached", FieldType.SELECT, options=("Pinpoint bleeding", "Erythema", "Other")
                ),
                _f("photos", "Photos", FieldType.PHOTOS),
            ),
            _treatment_close(),
        ],
    },
    "facial": {
        "name": "Facial",
        "description": "Skin analysis, steps and products.",
        "sections": [
            _s(
                "facial",
                "Facial",
                _f("skin_analysis", "Skin analysis", FieldType.LONG_TEXT),
                _f(
                    "facial_type",
                    "Facial",
                    FieldType.SELECT,
                    options=("HydraFacial", "Signature", "Dermaplaning", "Acne"),
                ),
                _f(
                    "steps",
                    "Steps",
                    FieldType.MULTISELECT,
                    options=("Cleanse", "Exfoliate", "Extractions", "Mask", "LED"),
                ),
                _f("home_care", "Home care recommended", FieldType.LONG_TEXT),
            ),
            _s("sign", "Signature", _f("provider_signature", "Provider signature", FieldType.SIGNATURE)),
        ],
    },
}


def validate_sections(sections) -> list[dict]:
    """The template's sections, normalised; InvalidInput naming the first problem.

    Every field key is unique across the template and names a known type; choice fields
    carry options; at most one face chart, one products table and one photo set."""
    if not isinstance(sections, list) or not sections:
        raise InvalidInput("A template needs at least one section.", fields={"sections": "Add a section."})
    if len(sections) > MAX_SECTIONS:
        raise InvalidInput(fields={"sections": f"At most {MAX_SECTIONS} sections."})
    seen: set[str] = set()
    singles: set[str] = set()
    clean = []
    total = 0
    for s_index, section in enumerate(sections):
        where = f"sections.{s_index}"
        if not isinstance(section, dict):
            raise InvalidInput(fields={where: "Not a section."})
        title = str(section.get("title") or "").strip()[:120]
        skey = str(section.get("key") or "").strip() or f"section_{s_index + 1}"
        if not title:
            raise InvalidInput(fields={f"{where}.title": "Give the section a title."})
        if not KEY.match(skey):
            raise InvalidInput(fields={f"{where}.key": "Use lowercase letters, digits and underscores."})
        fields = section.get("fields")
        if not isinstance(fields, list) or not fields:
            raise InvalidInput(fields={f"{where}.fields": "Add at least one field."})
        out_fields = []
        for f_index, field in enumerate(fields):
            at = f"{where}.fields.{f_index}"
            if not isinstance(field, dict):
                raise InvalidInput(fields={at: "Not a field."})
            key = str(field.get("key") or "").strip()
            label = str(field.get("label") or "").strip()[:160]
            kind = str(field.get("type") or "")
            if not KEY.match(key):
                raise InvalidInput(fields={f"{at}.key": "Use lowercase letters, digits and underscores."})
            if key in seen:
                raise InvalidInput(fields={f"{at}.key": f"The key {key!r} is used twice."})
            if not label:
                raise InvalidInput(fields={f"{at}.label": "Give the field a label."})
            if kind not in FieldType.values:
                raise InvalidInput(fields={f"{at}.type": "Unknown field type."})
            if kind in (FieldType.FACE_CHART, FieldType.PRODUCTS, FieldType.PHOTOS):
                if kind in singles:
                    raise InvalidInput(fields={f"{at}.type": "A template holds at most one of this field."})
                singles.add(kind)
            options = field.get("options") or []
            if not isinstance(options, list) or len(options) > MAX_OPTIONS:
                raise InvalidInput(fields={f"{at}.options": f"At most {MAX_OPTIONS} options."})
            options = [str(o).strip()[:120] for o in options if str(o).strip()]
            if kind in (FieldType.SELECT, FieldType.MULTISELECT) and not options:
                raise InvalidInput(fields={f"{at}.options": "A choice field needs options."})
            if len(set(options)) != len(options):
                raise InvalidInput(fields={f"{at}.options": "Options must differ."})
            seen.add(key)
            out_fields.append(
                {
                    "key": key,
                    "label": label,
                    "type": kind,
                    "required": bool(field.get("required")),
                    "unit": str(field.get("unit") or "").strip()[:20],
                    "options": options,
                    "help": str(field.get("help") or "").strip()[:300],
                }
            )
            total += 1
        clean.append({"key": skey, "title": title, "fields": out_fields})
    if total > MAX_FIELDS:
        raise InvalidInput(fields={"sections": f"At most {MAX_FIELDS} fields."})
    return clean


def template_fields(sections: list[dict]) -> list[dict]:
    """Every field of a template version, in order."""
    return [field for section in sections for field in section["fields"]]
