"""The completeness check shown before a provider signs, and the registry other modules
add their checks to (consents: required forms on file; billing: the visit is paid).

A check is called as `check(actor=, chart=)` and returns a list of `Item`s; an item that is
not `ok` is named on the sign step and, where the clinic allows it, needs a written reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from medspa.charting.choices import FieldType
from medspa.charting.library import template_fields


@dataclass(frozen=True)
class Item:
    """One line of the sign step. A `guard` item (a required consent) is also shown as a
    blocking warning when the chart is opened, and can always be signed past with a reason."""

    key: str
    label: str
    ok: bool
    detail: str = ""
    guard: bool = False
    # Where the module that raised a guard item lets staff resolve it (e.g. a kiosk for the forms).
    action_url: str = ""
    action_label: str = ""


Check = Callable[..., list[Item]]
_CHECKS: dict[str, Check] = {}


def register_sign_check(name: str, check: Check) -> None:
    """Add a module's check to the sign step (called from its AppConfig.ready())."""
    _CHECKS[name] = check


def registered_checks() -> list[Check]:
    return list(_CHECKS.values())


def guard_items(*, actor, chart, unmet_only: bool = True) -> list[Item]:
    """The registered checks' guard items (required consents): by default only those not met
    (the warning on opening a chart); all of them for the medical director's review."""
    items = (item for check in registered_checks() for item in check(actor=actor, chart=chart))
    return [item for item in items if item.guard and not (unmet_only and item.ok)]


def content_items(*, sections: list[dict], content: dict, photo_count: int, before_photos: int, min_before: int):
    """The chart's own items: required answers, products with lot and expiry, photos."""
    answers = content.get("fields", {})
    missing = []
    for field in template_fields(sections):
        if not field["required"]:
            continue
        kind = field["type"]
        if kind == FieldType.FACE_CHART:
            present = bool(content.get("injections"))
        elif kind == FieldType.PRODUCTS:
            present = bool(content.get("products"))
        elif kind == FieldType.PHOTOS:
            present = photo_count > 0
        elif kind == FieldType.SIGNATURE:
            continue  # the signature itself
        elif kind == FieldType.CHECKBOX:
            present = answers.get(field["key"]) is True
        else:
            present = answers.get(field["key"]) not in (None, "", [])
        if not present:
            missing.append(field["label"])
    items = [
        Item(
            "required_fields",
            "Required fields",
            not missing,
            ("Missing: " + ", ".join(missing)) if missing else "All answered",
        )
    ]
    products = content.get("products", [])
    incomplete = [
        p["name"] for p in products if not (p.get("lot_number") and p.get("expiry_date") and p.get("quantity"))
    ]
    if products:
        items.append(
            Item(
                "product_lots",
                "Lot, expiry and amount on every product",
                not incomplete,
                ("Incomplete: " + ", ".join(incomplete)) if incomplete else f"{len(products)} recorded",
            )
        )
    if min_before:
        items.append(
            Item(
                "before_photos",
                f"At least {min_before} before photos",
                before_photos >= min_before,
                f"{before_photos} of {min_before} taken",
            )
        )
    return items
