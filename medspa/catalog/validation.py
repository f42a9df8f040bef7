"""Field checks shared by the catalog services: each reads `data[name]` when present and
records either a message in `errors` or the clean value in `clean`; a service runs the
checks its fields need, then raises once with every error (422 with per-field messages)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from medspa.catalog.selectors import as_uuid
from medspa.core.errors import InvalidInput

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class FieldChecks:
    """Collects clean values and per-field errors for one write."""

    def __init__(self, data: dict[str, Any], allowed: Iterable[str]):
        self.data = data
        self.errors: dict[str, str] = {}
        self.clean: dict[str, Any] = {}
        for name in sorted(set(data) - set(allowed)):
            self.errors[name] = "Unknown field."

    def has(self, name: str) -> bool:
        return name in self.data and name not in self.errors

    def text(self, name: str, *, max_length: int, required: bool = False) -> None:
        if not self.has(name):
            if required:
                self.errors[name] = "This field is required."
            return
        value = self.data[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.errors[name] = "Enter text."
            return
        value = value.strip()
        if required and not value:
            self.errors[name] = "This field is required."
        elif len(value) > max_length:
            self.errors[name] = f"Keep it under {max_length} characters."
        else:
            self.clean[name] = value

    def integer(self, name: str, *, low: int, high: int, required: bool = False, nullable: bool = False) -> None:
        if not self.has(name):
            if required:
                self.errors[name] = "This field is required."
            return
        value = self.data[name]
        if value is None or value == "":
            if nullable:
                self.clean[name] = None
            else:
                self.errors[name] = "This field is required."
            return
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.errors[name] = "Enter a whole number."
            return
        try:
            number = int(value)
        except ValueError:
            self.errors[name] = "Enter a whole number."
            return
        if not low <= number <= high:
            self.errors[name] = f"Enter a number from {low} to {high}."
        else:
            self.clean[name] = number

    def decimal(self, name: str, *, low: Decimal, high: Decimal, places: int, required: bool = False) -> None:
        if not self.has(name):
            if required:
                self.errors[name] = "This field is required."
            return
        value = self.data[name]
        if isinstance(value, bool) or value is None or value == "":
            self.errors[name] = "Enter an amount."
            return
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            self.errors[name] = "Enter an amount."
            return
        if not number.is_finite():
            self.errors[name] = "Enter an amount."
        elif number < low:
            self.errors[name] = f"Cannot be less than {low}."
        elif number > high:
            self.errors[name] = f"Cannot be more than {high}."
        elif -number.as_tuple().exponent > places:
            self.errors[name] = f"Use at most {places} decimal places."
        else:
            self.clean[name] = number.quantize(Decimal(1).scaleb(-places))

    def boolean(self, name: str) -> None:
        if self.has(name):
            if isinstance(self.data[name], bool):
                self.clean[name] = self.data[name]
            else:
                self.errors[name] = "Choose yes or no."

    def choice(self, name: str, choices: Iterable[str], *, required: bool = False) -> None:
        if not self.has(name):
            if required:
                self.errors[name] = "This field is required."
            return
        value = self.data[name] or ""
        if value not in choices:
            self.errors[name] = "Choose a valid option."
        else:
            self.clean[name] = value

    def color(self, name: str) -> None:
        if self.has(name):
            value = self.data[name]
            if isinstance(value, str) and HEX_COLOR.match(value):
                self.clean[name] = value.lower()
            else:
                self.errors[name] = "Use a hex colour like #a855f7."

    def one_id(self, name: str, queryset, *, required: bool = False, message: str = "Unknown id.") -> None:
        """An id that must name a row of `queryset` (already scoped to the actor's clinic)."""
        if not self.has(name):
            if required:
                self.errors[name] = "This field is required."
            return
        value = self.data[name]
        if value in (None, ""):
            if required:
                self.errors[name] = "This field is required."
            else:
                self.clean[name] = None
            return
        row = queryset.filter(pk=as_uuid(value)).first() if as_uuid(value) else None
        if row is None:
            self.errors[name] = message
        else:
            self.clean[name] = row.pk

    def many_ids(self, name: str, queryset, *, message: str) -> None:
        """A list of ids that must all name rows of `queryset` (scoped to the actor's clinic)."""
        if not self.has(name):
            return
        values = self.data[name] or []
        if not isinstance(values, list | tuple | set) or len(values) > 200:
            self.errors[name] = "Give a list of ids."
            return
        wanted = {as_uuid(v) for v in values}
        if None in wanted:
            self.errors[name] = message
            return
        found = set(queryset.filter(pk__in=wanted).values_list("pk", flat=True))
        if found != wanted:
            self.errors[name] = message
        else:
            self.clean[name] = sorted(found, key=str)

    def raise_if_invalid(self) -> None:
        if self.errors:
            raise InvalidInput(fields=self.errors)
