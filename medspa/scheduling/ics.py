"""A small iCalendar (RFC 5545) writer for the providers' calendar feeds: text escaping
(section 3.3.11), UTC date-times, and lines folded at 75 octets with CRLF endings (3.1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

CRLF = "\r\n"
FOLD_OCTETS = 75


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    end: datetime
    summary: str
    stamp: datetime
    sequence: int = 0
    location: str = ""
    status: str = "CONFIRMED"  # CONFIRMED | TENTATIVE | CANCELLED


def escape_text(value: str) -> str:
    """TEXT value escaping: backslash, semicolon, comma and newlines."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(ch for ch in value if ch == "\t" or (ord(ch) >= 0x20 and ord(ch) != 0x7F))


def utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces (never inside a UTF-8 character); each
    continuation starts with one space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= FOLD_OCTETS:
        return line
    pieces, current, size, limit = [], [], 0, FOLD_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, FOLD_OCTETS - 1  # the leading space counts
        current.append(ch)
        size += width
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


def calendar(name: str, events: Iterable[Event], *, prodid: str = "-//Medspa//Calendar feed//EN") -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{escape_text(prodid)}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(event.uid)}",
            f"DTSTAMP:{utc(event.stamp)}",
            f"DTSTART:{utc(event.start)}",
            f"DTEND:{utc(event.end)}",
            f"SEQUENCE:{int(event.sequence)}",
            f"SUMMARY:{escape_text(event.summary)}",
            f"STATUS:{event.status}",
            "TRANSP:OPAQUE",
        ]
        if event.location:
            lines.append(f"LOCATION:{escape_text(event.location)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
