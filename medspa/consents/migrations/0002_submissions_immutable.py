"""The database refuses to change what a patient submitted (the services refuse first).

- A submission's answers, signatures, document, hashes and every other recorded fact never
  change and it is never deleted; only the staff review of its profile updates moves.
- Form versions and revocations are append-only.

PostgreSQL: row triggers; SQLite: BEFORE triggers with RAISE(ABORT). Both honour only the
per-connection maintenance switch of `medspa.core.audit.append_only_suspended` (test resets).
"""

from django.db import migrations

SUBMISSION = "consents_formsubmission"
FROZEN = (
    "form_id", "version_id", "patient_id", "appointment_id", "answers", "signatures", "computed", "document", "via",
    "signer_name", "submitted_at", "expires_at", "ip_address", "user_agent", "entered_by_id", "content_hash",
    "signature_hash", "profile_updates", "clinic_id", "created_at",
)
APPEND_ONLY = ("consents_formversion", "consents_formrevocation")


def _changed(columns, *, pg: bool) -> str:
    if pg:
        return " OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in columns)
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION medspa_form_submission_guard() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('medspa.audit_purge', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a submitted form cannot be deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF {_changed(FROZEN, pg=True)} THEN
        RAISE EXCEPTION 'a submitted form cannot change' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {SUBMISSION}_guard BEFORE UPDATE OR DELETE ON {SUBMISSION}
    FOR EACH ROW EXECUTE FUNCTION medspa_form_submission_guard();
CREATE TRIGGER {SUBMISSION}_no_truncate BEFORE TRUNCATE ON {SUBMISSION}
    FOR EACH STATEMENT EXECUTE FUNCTION medspa_charting_append_only();
""" + "".join(
    f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION medspa_charting_append_only();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION medspa_charting_append_only();
"""
    for table in APPEND_ONLY
)
PG_REVERSE = (
    f"DROP TRIGGER IF EXISTS {SUBMISSION}_guard ON {SUBMISSION};"
    f"DROP TRIGGER IF EXISTS {SUBMISSION}_no_truncate ON {SUBMISSION};"
    + "".join(
        f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}; DROP TRIGGER IF EXISTS {t}_no_truncate ON {t};"
        for t in APPEND_ONLY
    )
    + "DROP FUNCTION IF EXISTS medspa_form_submission_guard();"
)

SQLITE_FORWARD = [
    f"""CREATE TRIGGER {SUBMISSION}_no_update BEFORE UPDATE ON {SUBMISSION}
       WHEN medspa_audit_purge() = 0 AND ({_changed(FROZEN, pg=False)})
       BEGIN SELECT RAISE(ABORT, 'a submitted form cannot change'); END;""",
    f"""CREATE TRIGGER {SUBMISSION}_no_delete BEFORE DELETE ON {SUBMISSION} WHEN medspa_audit_purge() = 0
       BEGIN SELECT RAISE(ABORT, 'a submitted form cannot be deleted'); END;""",
]
for _table in APPEND_ONLY:
    SQLITE_FORWARD += [
        f"""CREATE TRIGGER {_table}_no_update BEFORE UPDATE ON {_table} WHEN medspa_audit_purge() = 0
           BEGIN SELECT RAISE(ABORT, '{_table} is append-only (UPDATE refused)'); END;""",
        f"""CREATE TRIGGER {_table}_no_delete BEFORE DELETE ON {_table} WHEN medspa_audit_purge() = 0
           BEGIN SELECT RAISE(ABORT, '{_table} is append-only (DELETE refused)'); END;""",
    ]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {SUBMISSION}_no_update;",
    f"DROP TRIGGER IF EXISTS {SUBMISSION}_no_delete;",
    *(f"DROP TRIGGER IF EXISTS {t}_no_update;" for t in APPEND_ONLY),
    *(f"DROP TRIGGER IF EXISTS {t}_no_delete;" for t in APPEND_ONLY),
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


def reverse(apps, schema_editor):
    statements = [PG_REVERSE] if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("consents", "0001_initial"), ("charting", "0002_signed_records_immutable")]
    operations = [migrations.RunPython(forward, reverse)]
