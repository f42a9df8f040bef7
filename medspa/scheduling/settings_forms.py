"""Forms of the Schedules and Booking rules settings pages: parse what staff type (HH:MM in the
location's zone) into the minutes the scheduling services take. The services check every
value again (overlaps, breaks inside working hours, limits)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms

from medspa.scheduling.choices import WEEKDAYS, BlockKind, ExceptionKind
from medspa.scheduling.services import Block

BLANK_ROWS = 1  # empty rows offered under a day's blocks (two on a day without any)
MAX_ROWS = 12  # rows read per day (a day rarely has more than a few blocks)
MAX_NOTICE_MINUTES = 60 * 24 * 14  # the model's limit: two weeks
TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def minute_of(text: str) -> int | None:
    """'09:30' -> 570; '24:00' -> 1440; anything else -> None."""
    match = TIME.match((text or "").strip())
    if not match:
        return None
    minute = int(match[1]) * 60 + int(match[2])
    return minute if minute <= 24 * 60 else None


def hhmm(minute: int | None) -> str:
    return "" if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass
class Row:
    """One editable line of the weekly grid."""

    weekday: int
    index: int
    start: str = ""
    end: str = ""
    kind: str = BlockKind.WORK
    errors: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"d{self.weekday}-{self.index}"

    @property
    def blank(self) -> bool:
        return not self.start.strip() and not self.end.strip()


@dataclass
class Day:
    weekday: int
    rows: list[Row]
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return WEEKDAYS[self.weekday]

    @property
    def filled(self) -> list[Row]:
        return [r for r in self.rows if not r.blank]


class HoursGrid:
    """The weekly editor: seven days of rows (start, end, work or break).

    Built from saved rows (`from_hours`) or from a POST (`from_post`); `blocks()` returns the
    service's Blocks and remembers which row each came from, so the service's errors
    (`blocks.<n>`, `day.<weekday>`) land next to the right row or day."""

    def __init__(self, days: list[Day]) -> None:
        self.days = days
        self.errors: list[str] = []
        self._origin: list[Row] = []

    @classmethod
    def from_hours(cls, hours) -> HoursGrid:
        by_day: dict[int, list[Row]] = {d: [] for d in range(7)}
        for row in sorted(hours, key=lambda h: (h.weekday, h.start_minute, h.kind)):
            rows = by_day[row.weekday]
            rows.append(Row(row.weekday, len(rows), hhmm(row.start_minute), hhmm(row.end_minute), row.kind))
        return cls([Day(d, rows) for d, rows in by_day.items()]).padded()

    @classmethod
    def from_post(cls, data) -> HoursGrid:
        days = []
        for weekday in range(7):
            rows = []
            for index in range(MAX_ROWS):
                prefix = f"d{weekday}-{index}"
                if f"{prefix}-start" not in data and f"{prefix}-end" not in data:
                    continue
                kind = data.get(f"{prefix}-kind") or BlockKind.WORK
                rows.append(
                    Row(
                        weekday, len(rows), data.get(f"{prefix}-start", "")[:5], data.get(f"{prefix}-end", "")[:5], kind
                    )
                )
            days.append(Day(weekday, rows))
        return cls(days)

    def padded(self) -> HoursGrid:
        """Drop blank rows, renumber, and offer BLANK_ROWS empty rows under every day."""
        for day in self.days:
            kept = [r for r in day.rows if not r.blank or r.errors]
            for row in kept:
                row.index = kept.index(row)
            blanks = BLANK_ROWS if kept else BLANK_ROWS + 1
            day.rows = kept + [Row(day.weekday, len(kept) + n) for n in range(blanks)]
        return self

    def copy_monday(self) -> HoursGrid:
        """Monday's blocks copied to Tuesday–Friday (not saved until the form is saved)."""
        monday = [r for r in self.days[0].rows if not r.blank]
        for day in self.days[1:5]:
            day.rows = [Row(day.weekday, n, r.start, r.end, r.kind) for n, r in enumerate(monday)]
            day.errors = []
        return self.padded()

    def blocks(self) -> list[Block] | None:
        """The Blocks to save, or None after marking rows that do not parse."""
        blocks, self._origin = [], []
        valid = True
        for day in self.days:
            for row in day.rows:
                if row.blank:
                    continue
                start, end = minute_of(row.start), minute_of(row.end)
                if row.kind not in BlockKind.values:
                    row.errors.append("Choose working hours or a break.")
                if start is None or end is None:
                    row.errors.append("Give a start and an end as HH:MM.")
                elif end <= start:
                    row.errors.append("The end must be after the start.")
                if row.errors:
                    valid = False
                    continue
                blocks.append(Block(day.weekday, start, end, row.kind))
                self._origin.append(row)
        if not valid:
            self.errors.append("Some rows need attention.")
            return None
        return blocks

    def add_service_errors(self, fields: dict, detail: str) -> None:
        placed = False
        for key, messages in (fields or {}).items():
            kind, _, rest = key.partition(".")
            if kind == "blocks" and rest.isdigit() and int(rest) < len(self._origin):
                self._origin[int(rest)].errors.extend(messages)
                placed = True
            elif kind == "day" and rest.isdigit() and int(rest) < 7:
                self.days[int(rest)].errors.extend(messages)
                placed = True
        self.errors.append(detail)
        if not placed:
            self.errors.extend(m for messages in (fields or {}).values() for m in messages if isinstance(m, str))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(d.errors or any(r.errors for r in d.rows) for d in self.days)

    @property
    def total_minutes(self) -> int:
        """Working minutes a week (breaks taken off), for the summary line."""
        total = 0
        for day in self.days:
            for row in day.rows:
                start, end = minute_of(row.start), minute_of(row.end)
                if start is not None and end is not None and end > start:
                    total += (end - start) * (1 if row.kind == BlockKind.WORK else -1)
        return max(total, 0)


class ExceptionForm(forms.Form):
    """A dated change: time off (whole day when no times are given) or extra hours."""

    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="Kind", choices=ExceptionKind.choices, initial=ExceptionKind.TIME_OFF)
    start = forms.CharField(
        label="From",
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "HH:MM", "autocomplete": "off"}),
    )
    end = forms.CharField(
        label="Until",
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "HH:MM", "autocomplete": "off"}),
    )
    location_id = forms.ChoiceField(label="Location", required=False)
    reason = forms.CharField(label="Reason", required=False, max_length=200)

    def __init__(self, *args, locations=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location_id"].choices = [("", "Every location")] + [(str(loc.pk), loc.name) for loc in locations]
        self.fields["start"].help_text = "Leave both times empty for the whole day (time off)."

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            text = (data.get(name) or "").strip()
            if text and minute_of(text) is None:
                self.add_error(name, "Use HH:MM.")
            data[f"{name}_minute"] = minute_of(text) if text else None
        return data

    def to_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "day": data["day"],
            "kind": data["kind"],
            "location_id": data.get("location_id") or None,
            "start_minute": data.get("start_minute"),
            "end_minute": data.get("end_minute"),
            "reason": data.get("reason", ""),
        }

    # The service names its fields after its arguments; show them on the form's fields.
    SERVICE_FIELDS = {"start_minute": "start", "end_minute": "end", "location_id": "location_id", "day": "day"}


class BookingRulesForm(forms.Form):
    slot_minutes = forms.TypedChoiceField(
        label="Slot size",
        coerce=int,
        choices=[(n, f"{n} minutes") for n in (5, 10, 15, 20, 30, 60)],
        help_text="Start times are offered on this grid (online, by the front desk and by the assistant).",
    )
    allow_staff_double_booking = forms.BooleanField(
        label="Staff may double-book a provider",
        required=False,
        help_text="After confirming, and recorded in the audit log. Online booking never double-books.",
    )
    online_min_notice_minutes = forms.IntegerField(
        label="Online minimum notice (minutes)",
        min_value=0,
        max_value=MAX_NOTICE_MINUTES,
        help_text="How soon before a time patients can still book it online. 120 = two hours.",
    )
    online_window_days = forms.IntegerField(
        label="Online booking window (days)",
        min_value=1,
        max_value=365,
        help_text="How far ahead patients can book online.",
    )
