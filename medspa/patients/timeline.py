"""The patient timeline's entries and the registry other modules add theirs to.

`patient_timeline` (patients.selectors) merges profile history and communications with
every registered source. A source is called as `source(actor=, patient_id=, limit=)` and
returns at most `limit` TimelineEntry items, newest first, that the actor may see (an empty
list for roles that may see none). Apps register from their AppConfig.ready(); patients
never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    at: datetime
    title: str
    summary: str
    link: str
    actor: str


Source = Callable[..., Iterable[TimelineEntry]]
_SOURCES: dict[str, Source] = {}


def register_timeline_source(name: str, source: Source) -> None:
    _SOURCES[name] = source


def timeline_sources() -> list[Source]:
    return list(_SOURCES.values())
