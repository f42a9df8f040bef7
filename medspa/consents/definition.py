"""A form's definition and the rules it follows: sections of typed fields, show-if
conditions, scoring, and the answers a patient gives to it.

A definition is `{"sections": [...], "scoring": [...]}`. A section is
`{"key", "title", "show_if", "fields": [...]}`; a field is `{"key", "label", "type",
"required", "help", "text", "options", "min", "max", "show_if", "permission", "profile"}`.

A condition is a leaf `{"field": key, "op": op, "value": v}` or a combination
`{"all": [...]}`, `{"any": [...]}`, `{"not": condition}`. A condition may only name a field
that comes before it, so the form reads top to bottom and can never loop. Visibility is
decided in order: a hidden field counts as unanswered for every condition after it, and
answers to hidden fields are dropped (never stored).

A scoring rule (the Fitzpatrick questionnaire) sums the points of the options chosen in its
fields and names the band the total falls in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from medspa.consents.choices import (
    LIST_TYPES,
    NO_ANSWER,
    ConditionOp,
    FieldType,
    PhotoPermission,
    ProfileTarget,
)
from medspa.core.errors import InvalidInput

KEY = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
MAX_SECTIONS = 30
MAX_FIELDS = 200
MAX_OPTIONS = 60
MAX_DEPTH = 6
MAX_LEAVES = 30
MAX_SHORT = 300
MAX_LONG = 10000
MAX_PARAGRAPH = 20000
NUMBER_LIMIT = Decimal("1000000")
SCALAR = (str, int, float, bool)


# ---------------------------------------------------------------------------------------
# Definitions


def _bad(where: str, message: str) -> InvalidInput:
    return InvalidInput(message, fields={where: message})


def _text(value, where: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad(where, "Enter text.")
    value = value.replace("\x00", "").strip()
    if required and not value:
        raise _bad(where, "This cannot be empty.")
    if len(value) > limit:
        raise _bad(where, f"At most {limit} characters.")
    return value


def _key(value, where: str) -> str:
    if not isinstance(value, str) or not KEY.match(value):
        raise _bad(where, "Use lowercase letters, digits and underscores, starting with a letter.")
    return value


def _int(value, where: str, default: int) -> int:
    if value in (None, ""):
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _bad(where, "Enter a whole number.")
    try:
        number = int(value)
    except ValueError:
        raise _bad(where, "Enter a whole number.") from None
    if not -1000 <= number <= 1000:
        raise _bad(where, "Enter a whole number from -1000 to 1000.")
    return number


def _options(value, where: str) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_OPTIONS:
        raise _bad(where, f"Give at most {MAX_OPTIONS} options.")
    options = [_text(o, f"{where}.{i}", 200, required=True) for i, o in enumerate(value)]
    if len(set(options)) != len(options):
        raise _bad(where, "Options must differ.")
    return options


def _field(raw, where: str, known: dict[str, dict]) -> dict:
    if not isinstance(raw, dict):
        raise _bad(where, "A field must be an object.")
    kind = raw.get("type")
    if kind not in FieldType.values:
        raise _bad(f"{where}.type", "Choose a field type.")
    field = {
        "key": _key(raw.get("key"), f"{where}.key"),
        "label": _text(raw.get("label"), f"{where}.label", MAX_SHORT, required=kind != FieldType.NOTE),
        "type": kind,
        "required": bool(raw.get("required")) and kind != FieldType.NOTE,
        "help": _text(raw.get("help"), f"{where}.help", 1000),
        "text": _text(raw.get("text"), f"{where}.text", MAX_PARAGRAPH),
        "options": _options(raw.get("options"), f"{where}.options"),
        "show_if": None,
    }
    if field["key"] in known:
        raise _bad(f"{where}.key", f"The key {field['key']!r} is used twice.")
    if kind in (FieldType.SINGLE_CHOICE, *LIST_TYPES) and not field["options"]:
        raise _bad(f"{where}.options", "Give the options to choose from.")
    if kind in (FieldType.ACKNOWLEDGEMENT, FieldType.NOTE) and not field["text"]:
        raise _bad(f"{where}.text", "Write the paragraph the patient reads.")
    if kind == FieldType.SCALE:
        field["min"] = _int(raw.get("min"), f"{where}.min", 1)
        field["max"] = _int(raw.get("max"), f"{where}.max", 10)
        if field["max"] <= field["min"] or field["max"] - field["min"] > 100:
            raise _bad(f"{where}.max", "The scale's top must be above its bottom (at most 100 steps).")
    permission = raw.get("permission") or ""
    if permission:
        if kind != FieldType.YES_NO or permission not in PhotoPermission.values:
            raise _bad(f"{where}.permission", "Only a yes/no question can grant a photo permission.")
        field["permission"] = permission
    profile = raw.get("profile") or ""
    if profile:
        if profile not in ProfileTarget.values or kind not in (FieldType.SHORT_TEXT, FieldType.LONG_TEXT):
            raise _bad(f"{where}.profile", "Only a text answer can update the profile's allergies or medications.")
        field["profile"] = profile
    if raw.get("show_if"):
        field["show_if"] = condition_clean(raw["show_if"], f"{where}.show_if", known)
    return field


def condition_clean(raw, where: str, known: dict[str, dict], *, depth: int = 0, leaves: list | None = None) -> dict:
    """A well-formed condition naming only fields in `known` (those before it)."""
    leaves = [] if leaves is None else leaves
    if depth > MAX_DEPTH:
        raise _bad(where, f"Conditions nest at most {MAX_DEPTH} deep.")
    if not isinstance(raw, dict) or len(raw) == 0:
        raise _bad(where, "A condition must be an object.")
    for combinator in ("all", "any"):
        if combinator in raw:
            parts = raw[combinator]
            if len(raw) != 1 or not isinstance(parts, list) or not parts:
                raise _bad(where, f"'{combinator}' takes a non-empty list of conditions.")
            return {
                combinator: [
                    condition_clean(p, f"{where}.{i}", known, depth=depth + 1, leaves=leaves)
                    for i, p in enumerate(parts)
                ]
            }
    if "not" in raw:
        if len(raw) != 1:
            raise _bad(where, "'not' takes one condition.")
        return {"not": condition_clean(raw["not"], f"{where}.not", known, depth=depth + 1, leaves=leaves)}
    leaves.append(1)
    if len(leaves) > MAX_LEAVES:
        raise _bad(where, f"At most {MAX_LEAVES} tests in one condition.")
    key, op, value = raw.get("field"), raw.get("op"), raw.get("value")
    if key not in known:
        raise _bad(where, "A condition can only refer to a question that comes before it.")
    if known[key]["type"] in NO_ANSWER:
        raise _bad(where, "That field has no answer to test.")
    if op not in ConditionOp.values:
        raise _bad(where, "Choose how to compare.")
    if op == ConditionOp.ANSWERED:
        value = None
    elif op == ConditionOp.IN:
        if not isinstance(value, list) or not value or not all(isinstance(v, SCALAR) for v in value):
            raise _bad(where, "'is one of' takes a list of values.")
    elif op in (ConditionOp.GT, ConditionOp.LT):
        if _decimal(value) is None:
            raise _bad(where, "Compare with a number.")
    elif not isinstance(value, SCALAR):
        raise _bad(where, "Compare with a value.")
    return {"field": key, "op": op, "value": value}


def _scoring(raw, fields: dict[str, dict]) -> list[dict]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > 5:
        raise _bad("scoring", "Give at most 5 scoring rules.")
    rules = []
    for i, rule in enumerate(raw):
        where = f"scoring.{i}"
        if not isinstance(rule, dict):
            raise _bad(where, "A scoring rule must be an object.")
        points = rule.get("points")
        if not isinstance(points, dict) or not points:
            raise _bad(f"{where}.points", "Give the points of each question's options.")
        for key, scores in points.items():
            field = fields.get(key)
            if field is None or field["type"] != FieldType.SINGLE_CHOICE:
                raise _bad(f"{where}.points", f"{key!r} is not a single-choice question of this form.")
            if not isinstance(scores, list) or len(scores) != len(field["options"]):
                raise _bad(f"{where}.points", f"Give one score per option of {key!r}.")
            if not all(isinstance(s, int) and not isinstance(s, bool) for s in scores):
                raise _bad(f"{where}.points", "Scores are whole numbers.")
        bands = rule.get("bands")
        if not isinstance(bands, list) or not bands:
            raise _bad(f"{where}.bands", "Give the bands the total falls into.")
        clean_bands = []
        for band in bands:
            if not isinstance(band, dict) or not isinstance(band.get("upto"), int):
                raise _bad(f"{where}.bands", "Each band has an 'upto' total and a result.")
            clean_bands.append({"upto": band["upto"], "result": _text(band.get("result"), where, 60, required=True)})
        clean_bands.sort(key=lambda b: b["upto"])
        profile = rule.get("profile") or ""
        if profile and profile != ProfileTarget.SKIN_TYPE:
            raise _bad(f"{where}.profile", "A score can only update the skin type.")
        rules.append(
            {
                "key": _key(rule.get("key"), f"{where}.key"),
                "label": _text(rule.get("label"), f"{where}.label", 120, required=True),
                "points": points,
                "bands": clean_bands,
                "profile": profile,
            }
        )
    return rules


def definition_clean(raw) -> dict:
    """A definition as the builder and API submit it, checked and normalised; InvalidInput
    (naming the offending path) otherwise."""
    if not isinstance(raw, dict):
        raise _bad("sections", "A form definition must be an object with sections.")
    sections = raw.get("sections")
    if not isinstance(sections, list) or not sections:
        raise _bad("sections", "Add at least one section.")
    if len(sections) > MAX_SECTIONS:
        raise _bad("sections", f"At most {MAX_SECTIONS} sections.")
    known: dict[str, dict] = {}
    section_keys: set[str] = set()
    clean = []
    for si, section in enumerate(sections):
        where = f"sections.{si}"
        if not isinstance(section, dict):
            raise _bad(where, "A section must be an object.")
        key = _key(section.get("key"), f"{where}.key")
        if key in section_keys:
            raise _bad(f"{where}.key", f"The section key {key!r} is used twice.")
        section_keys.add(key)
        show_if = condition_clean(section["show_if"], f"{where}.show_if", known) if section.get("show_if") else None
        fields = section.get("fields")
        if not isinstance(fields, list) or not fields:
            raise _bad(f"{where}.fields", "A section needs at least one field.")
        clean_fields = []
        for fi, raw_field in enumerate(fields):
            field = _field(raw_field, f"{where}.fields.{fi}", known)
            known[field["key"]] = field
            clean_fields.append(field)
            if len(known) > MAX_FIELDS:
                raise _bad("sections", f"At most {MAX_FIELDS} fields.")
        clean.append(
            {
                "key": key,
                "title": _text(section.get("title"), f"{where}.title", 200),
                "show_if": show_if,
                "fields": clean_fields,
            }
        )
    return {"sections": clean, "scoring": _scoring(raw.get("scoring"), known)}


def all_fields(definition: dict) -> list[dict]:
    return [f for s in definition["sections"] for f in s["fields"]]


# ---------------------------------------------------------------------------------------
# Conditions


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _same(answer, value) -> bool:
    if isinstance(answer, list):
        return any(_same(a, value) for a in answer)
    a, v = _decimal(answer), _decimal(value)
    if a is not None and v is not None:
        return a == v
    return str(answer).strip().casefold() == str(value).strip().casefold()


def evaluate(condition: dict | None, answers: dict) -> bool:
    """Whether `condition` holds for `answers` (keys of hidden or unanswered fields absent).
    No condition always holds."""
    if not condition:
        return True
    if "all" in condition:
        return all(evaluate(c, answers) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, answers) for c in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], answers)
    answer = answers.get(condition["field"])
    op, value = condition["op"], condition["value"]
    if op == ConditionOp.ANSWERED:
        return answer is not None
    if op == ConditionOp.NOT_EQUALS:
        return answer is None or not _same(answer, value)
    if answer is None:
        return False
    if op == ConditionOp.EQUALS:
        return _same(answer, value)
    if op == ConditionOp.IN:
        return any(_same(answer, v) for v in value)
    if op == ConditionOp.CONTAINS:
        if isinstance(answer, list):
            return _same(answer, value)
        return str(value).casefold() in str(answer).casefold()
    number, limit = _decimal(answer), _decimal(value)
    if number is None or limit is None:
        return False
    return number > limit if op == ConditionOp.GT else number < limit


def visible_keys(definition: dict, answers: dict) -> list[str]:
    """The keys of the fields shown for `answers`, in order. Hidden fields' answers never
    count: each condition sees only the answers of fields already shown."""
    seen: dict = {}
    shown: list[str] = []
    for section in definition["sections"]:
        if not evaluate(section.get("show_if"), seen):
            continue
        for field in section["fields"]:
            if not evaluate(field.get("show_if"), seen):
                continue
            shown.append(field["key"])
            value = answers.get(field["key"])
            if value is not None and field["type"] not in NO_ANSWER:
                seen[field["key"]] = value
    return shown


# ---------------------------------------------------------------------------------------
# Answers


def answer_clean(field: dict, value, where: str):
    """One answer in its stored form, None when unanswered; InvalidInput when malformed."""
    kind = field["type"]
    if value is None or value == "" or value == []:
        return None
    if kind in (FieldType.SHORT_TEXT, FieldType.INITIALS):
        text = _text(value, where, 12 if kind == FieldType.INITIALS else MAX_SHORT)
        return text or None
    if kind == FieldType.LONG_TEXT:
        return _text(value, where, MAX_LONG) or None
    if kind in (FieldType.NUMBER, FieldType.SCALE):
        number = _decimal(value.strip() if isinstance(value, str) else value)
        if number is None or abs(number) > NUMBER_LIMIT:
            raise _bad(where, "Enter a number.")
        if kind == FieldType.SCALE:
            if number != number.to_integral_value() or not field["min"] <= number <= field["max"]:
                raise _bad(where, f"Choose a whole number from {field['min']} to {field['max']}.")
            return int(number)
        return format(number.quantize(Decimal("0.001")).normalize(), "f")
    if kind == FieldType.DATE:
        if not isinstance(value, str):
            raise _bad(where, "Enter a date (YYYY-MM-DD).")
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise _bad(where, "Enter a date (YYYY-MM-DD).") from None
    if kind == FieldType.YES_NO:
        if value in (True, "yes", "Yes"):
            return "yes"
        if value in (False, "no", "No"):
            return "no"
        raise _bad(where, "Answer yes or no.")
    if kind == FieldType.SINGLE_CHOICE:
        if value not in field["options"]:
            raise _bad(where, "Choose one of the listed options.")
        return value
    if kind in LIST_TYPES:
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) and v in field["options"] for v in values):
            raise _bad(where, "Choose from the listed options.")
        chosen = set(values)
        return [o for o in field["options"] if o in chosen]
    if kind == FieldType.ACKNOWLEDGEMENT:
        if value in (True, "true", "on", "yes"):
            return True
        if value in (False, "false", "off", "no"):
            return None
        raise _bad(where, "Tick the box to acknowledge.")
    if kind == FieldType.FILE:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f-]{36}", value):
            raise _bad(where, "Upload the file again.")
        return value
    return None  # notes and signatures carry no answer


@dataclass(frozen=True)
class Cleaned:
    answers: dict
    shown: list[str]
    missing: list[str]  # keys of shown, required fields left unanswered (signatures excluded)


def answers_clean(definition: dict, raw, *, where: str = "answers") -> Cleaned:
    """The answers to the fields shown, each validated; answers to hidden or unknown fields
    are dropped. Every malformed answer is reported at once."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _bad(where, "Answers must be an object.")
    fields = {f["key"]: f for f in all_fields(definition)}
    clean: dict = {}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        field = fields.get(key)
        if field is None:
            continue
        try:
            answer = answer_clean(field, value, f"{where}.{key}")
        except InvalidInput as exc:
            errors.update(exc.fields)
            continue
        if answer is not None:
            clean[key] = answer
    if errors:
        raise InvalidInput("Some answers need attention.", fields=errors)
    shown = visible_keys(definition, clean)
    shown_set = set(shown)
    clean = {k: v for k, v in clean.items() if k in shown_set}
    missing = [
        k for k in shown if fields[k]["required"] and fields[k]["type"] != FieldType.SIGNATURE and k not in clean
    ]
    return Cleaned(answers=clean, shown=shown, missing=missing)


def scores(definition: dict, answers: dict) -> dict:
    """Each scoring rule's total and band for the answers given (questions unanswered score 0)."""
    fields = {f["key"]: f for f in all_fields(definition)}
    results = {}
    for rule in definition.get("scoring", []):
        total = 0
        answered = 0
        for key, points in rule["points"].items():
            answer = answers.get(key)
            if answer in fields[key]["options"]:
                total += points[fields[key]["options"].index(answer)]
                answered += 1
        if not answered:
            continue
        result = next((b["result"] for b in rule["bands"] if total <= b["upto"]), rule["bands"][-1]["result"])
        results[rule["key"]] = {"label": rule["label"], "score": total, "result": result, "profile": rule["profile"]}
    return results


def display(field: dict, answer) -> str:
    """An answer as the patient and the record show it."""
    if answer is None:
        return ""
    if field["type"] == FieldType.ACKNOWLEDGEMENT:
        return "Acknowledged" if answer else ""
    if field["type"] == FieldType.YES_NO:
        return "Yes" if answer == "yes" else "No"
    if isinstance(answer, list):
        return ", ".join(answer)
    return str(answer)
