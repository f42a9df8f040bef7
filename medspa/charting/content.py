"""The chart document: validation of a draft's content and the totals computed from it.

`content` = {"fields": {key: answer}, "products": [...], "injections": [...],
"aftercare": str, "notes": str}. Decimals travel as plain strings ("12.5"), dates as
ISO strings, face chart coordinates as numbers in [0, 1] from the diagram's top-left.
Drafts may be incomplete (required answers are the checklist's business) but every value
present must be well formed.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation

from medspa.charting.choices import (
    CUSTOM_ZONE,
    FACE_ZONES,
    STRUCTURED_TYPES,
    Depth,
    FieldType,
    Instrument,
    ProductType,
    ProductUnit,
    Technique,
)
from medspa.charting.library import template_fields
from medspa.core.errors import InvalidInput

MAX_TEXT = 10000
MAX_SHORT = 300
MAX_PRODUCTS = 30
MAX_INJECTIONS = 300
MAX_QUANTITY = Decimal("1000")
EMPTY = {"fields": {}, "products": [], "injections": [], "aftercare": "", "notes": ""}


def empty_content(*, aftercare: str = "") -> dict:
    return {**EMPTY, "fields": {}, "products": [], "injections": [], "aftercare": aftercare}


def _bad(where: str, message: str) -> InvalidInput:
    return InvalidInput(message, fields={where: message})


def _text(value, where: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _bad(where, "Enter text.")
    value = value.replace("\x00", "").strip()
    if len(value) > limit:
        raise _bad(where, f"At most {limit} characters.")
    return value


def decimal_text(value, where: str, *, minimum: Decimal = Decimal(0), maximum: Decimal = MAX_QUANTITY) -> str:
    """A non-negative decimal as its canonical string ("12.5", never "1.25E+1")."""
    if isinstance(value, bool) or value is None or value == "":
        raise _bad(where, "Enter a number.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _bad(where, "Enter a number.") from None
    if not number.is_finite() or number < minimum or number > maximum:
        raise _bad(where, f"Enter a number from {minimum} to {maximum}.")
    number = number.quantize(Decimal("0.001")).normalize()
    return format(number, "f")


def _date(value, where: str) -> str:
    if not isinstance(value, str):
        raise _bad(where, "Enter a date (YYYY-MM-DD).")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise _bad(where, "Enter a date (YYYY-MM-DD).") from None


def _coordinate(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(where, "A coordinate must be a number from 0 to 1.")
    if value < 0 or value > 1:
        raise _bad(where, "A coordinate must be a number from 0 to 1.")
    return round(float(value), 4)


def _choice(value, where: str, allowed, *, blank: bool = True) -> str:
    value = "" if value is None else value
    if value == "" and blank:
        return ""
    if value not in allowed:
        raise _bad(where, "Choose one of the listed options.")
    return value


def _row_id(value, where: str) -> str:
    if value in (None, ""):
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise _bad(where, "Not a valid id.") from None


def _answer(field: dict, value, where: str):
    kind = field["type"]
    if value is None or value == "" or value == []:
        return None
    if kind in (FieldType.SHORT_TEXT,):
        return _text(value, where, MAX_SHORT)
    if kind == FieldType.LONG_TEXT:
        return _text(value, where, MAX_TEXT)
    if kind == FieldType.NUMBER:
        return decimal_text(value, where, minimum=Decimal("-100000"), maximum=Decimal("100000"))
    if kind == FieldType.CHECKBOX:
        if not isinstance(value, bool):
            raise _bad(where, "Tick or untick.")
        return value
    if kind == FieldType.DATE:
        return _date(value, where)
    if kind == FieldType.SELECT:
        return _choice(value, where, field["options"])
    if kind == FieldType.MULTISELECT:
        if not isinstance(value, list):
            raise _bad(where, "Choose from the listed options.")
        chosen = [_choice(v, where, field["options"], blank=False) for v in value]
        return [o for o in field["options"] if o in chosen]
    raise _bad(where, "This field is not answered here.")


def validate_fields(sections: list[dict], answers) -> dict:
    """Answers keyed by field key: unknown keys refused, empty answers dropped."""
    if answers is None:
        return {}
    if not isinstance(answers, dict):
        raise _bad("fields", "Answers must be an object.")
    by_key = {f["key"]: f for f in template_fields(sections) if f["type"] not in STRUCTURED_TYPES}
    clean = {}
    for key, value in answers.items():
        field = by_key.get(key)
        if field is None:
            raise _bad(f"fields.{key}", "This template has no such field.")
        answer = _answer(field, value, f"fields.{key}")
        if answer is not None:
            clean[key] = answer
    return clean


def validate_products(rows, *, treated_on: date) -> list[dict]:
    """Product rows; a lot that expired before the treatment date is refused."""
    if rows is None:
        return []
    if not isinstance(rows, list) or len(rows) > MAX_PRODUCTS:
        raise _bad("products", f"At most {MAX_PRODUCTS} products.")
    clean = []
    seen = set()
    for index, row in enumerate(rows):
        at = f"products.{index}"
        if not isinstance(row, dict):
            raise _bad(at, "Not a product row.")
        name = _text(row.get("name"), f"{at}.name", 120)
        if not name:
            raise _bad(f"{at}.name", "Name the product.")
        expiry = row.get("expiry_date") or ""
        expiry = _date(expiry, f"{at}.expiry_date") if expiry else ""
        if expiry and date.fromisoformat(expiry) < treated_on:
            raise _bad(f"{at}.expiry_date", f"This lot expired on {expiry}; it cannot be used.")
        quantity = row.get("quantity")
        product = {
            "id": _row_id(row.get("id"), f"{at}.id"),
            "name": name,
            "brand": _text(row.get("brand"), f"{at}.brand", 120),
            "product_type": _choice(row.get("product_type") or "other", f"{at}.product_type", ProductType.values),
            "lot_number": _text(row.get("lot_number"), f"{at}.lot_number", 60),
            "expiry_date": expiry,
            "unit": _choice(row.get("unit") or "units", f"{at}.unit", ProductUnit.values),
            "quantity": decimal_text(quantity, f"{at}.quantity", minimum=Decimal("0.001"))
            if quantity not in (None, "")
            else "",
            "dilution": _text(row.get("dilution"), f"{at}.dilution", 120),
        }
        if product["id"] in seen:
            raise _bad(f"{at}.id", "Two product rows share an id.")
        seen.add(product["id"])
        clean.append(product)
    return clean


def validate_injections(rows, *, product_ids: set[str]) -> list[dict]:
    """Injection points: a preset zone or a custom point (which needs coordinates and a
    label); units positive; a product reference must name a product row of the chart."""
    if rows is None:
        return []
    if not isinstance(rows, list) or len(rows) > MAX_INJECTIONS:
        raise _bad("injections", f"At most {MAX_INJECTIONS} injection points.")
    clean = []
    for index, row in enumerate(rows):
        at = f"injections.{index}"
        if not isinstance(row, dict):
            raise _bad(at, "Not an injection point.")
        zone = row.get("zone")
        if zone != CUSTOM_ZONE and zone not in FACE_ZONES:
            raise _bad(f"{at}.zone", "Choose a zone of the face chart.")
        x, y = row.get("x"), row.get("y")
        if zone == CUSTOM_ZONE or x is not None or y is not None:
            x = _coordinate(x, f"{at}.x")
            y = _coordinate(y, f"{at}.y")
        else:
            x, y = FACE_ZONES[zone][1], FACE_ZONES[zone][2]
        label = _text(row.get("label"), f"{at}.label", 80)
        if zone == CUSTOM_ZONE and not label:
            raise _bad(f"{at}.label", "Label the custom point.")
        product_id = row.get("product_id") or ""
        if product_id and str(product_id) not in product_ids:
            raise _bad(f"{at}.product_id", "Choose one of this chart's products.")
        clean.append(
            {
                "id": _row_id(row.get("id"), f"{at}.id"),
                "zone": zone,
                "x": x,
                "y": y,
                "label": label,
                "units": decimal_text(row.get("units"), f"{at}.units", minimum=Decimal("0.001"), maximum=Decimal(500)),
                "product_id": str(product_id),
                "depth": _choice(row.get("depth"), f"{at}.depth", Depth.values),
                "technique": _choice(row.get("technique"), f"{at}.technique", Technique.values),
                "instrument": _choice(row.get("instrument"), f"{at}.instrument", Instrument.values),
                "needle": _text(row.get("needle"), f"{at}.needle", 40),
            }
        )
    return clean


def validate_content(sections: list[dict], content, *, treated_on: date) -> dict:
    """A whole chart document, validated and normalised (what is stored and hashed)."""
    if not isinstance(content, dict):
        raise _bad("content", "The chart content must be an object.")
    unknown = set(content) - set(EMPTY)
    if unknown:
        raise _bad(sorted(unknown)[0], "Unknown part of a chart.")
    products = validate_products(content.get("products"), treated_on=treated_on)
    return {
        "fields": validate_fields(sections, content.get("fields")),
        "products": products,
        "injections": validate_injections(content.get("injections"), product_ids={p["id"] for p in products}),
        "aftercare": _text(content.get("aftercare"), "aftercare", MAX_TEXT),
        "notes": _text(content.get("notes"), "notes", MAX_TEXT),
    }


def totals(content: dict) -> dict:
    """Units by zone and by product (injection rows), with each product's recorded quantity."""
    by_zone: dict[str, Decimal] = defaultdict(Decimal)
    by_product: dict[str, Decimal] = defaultdict(Decimal)
    for row in content.get("injections", []):
        units = Decimal(row["units"])
        by_zone[row["label"] if row["zone"] == CUSTOM_ZONE else row["zone"]] += units
        by_product[row.get("product_id") or ""] += units
    products = []
    for product in content.get("products", []):
        products.append(
            {
                "id": product["id"],
                "name": product["name"],
                "unit": product["unit"],
                "quantity": product["quantity"],
                "injected_units": format(by_product.get(product["id"], Decimal(0)).normalize(), "f"),
            }
        )
    all_units = sum(by_zone.values(), Decimal(0))
    return {
        "by_zone": {zone: format(units.normalize(), "f") for zone, units in by_zone.items()},
        "products": products,
        "total_units": format(all_units.normalize(), "f"),
    }
