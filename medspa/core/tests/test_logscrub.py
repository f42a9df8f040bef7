"""PRIV-5: values quoted by database errors never reach the log output."""

from __future__ import annotations

import logging

from medspa.core.logscrub import ScrubRowValues, scrub

PG_UNIQUE = (
    'duplicate key value violates unique constraint "patient_email"\n'
    "DETAIL:  Key (clinic_id, email_lower)=(5f0c…, canary.patient@example.com) already exists."
)
PG_NOT_NULL = 'null value in column "x" violates not-null constraint\nDETAIL:  Failing row contains (1, Canary Zed).'


def test_scrub_removes_quoted_row_values():
    assert "canary.patient@example.com" not in scrub(PG_UNIQUE)
    assert "Key (clinic_id, email_lower)=(…)" in scrub(PG_UNIQUE)
    assert "Canary Zed" not in scrub(PG_NOT_NULL)
    assert scrub("nothing to hide") == "nothing to hide"


def test_the_filter_cleans_messages_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed: %s", (PG_UNIQUE,), None)
    try:
        raise ValueError(PG_NOT_NULL)
    except ValueError as error:
        record.exc_info = (type(error), error, error.__traceback__)
    ScrubRowValues().filter(record)
    output = logging.Formatter().format(record)
    assert "canary.patient@example.com" not in output and "Canary Zed" not in output
    assert "ValueError" in output
