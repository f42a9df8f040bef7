"""A logging filter that keeps row values out of log output (SECURITY PRIV-5).

Database errors quote the values they refused — PostgreSQL's `DETAIL: Key (email)=(jane@…)`,
`Failing row contains (…)` — and an exception logged with `log.exception` would carry them into
the log. The filter rewrites the message and the formatted traceback of every record that
reaches the console handler, replacing quoted row values with a marker.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    (re.compile(r"(Key \([^)]*\)=)\((?:[^()]|\([^()]*\))*\)"), r"\1(…)"),
    (re.compile(r"(Failing row contains )\(.*?\)(?=\.|$)", re.MULTILINE), r"\1(…)"),
    (re.compile(r"(DETAIL:[ \t]*)(?!Key \()\S.*$", re.MULTILINE), r"\1…"),
]


def scrub(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ScrubRowValues(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
