"""The database itself refuses to change or remove audit events and chain heads' history.

PostgreSQL: row triggers reject UPDATE and DELETE, a statement trigger rejects TRUNCATE.
SQLite: BEFORE UPDATE/DELETE triggers RAISE(ABORT). Both honour only the per-connection
maintenance switch of `medspa.core.audit.append_only_suspended` (test resets, retention).
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION medspa_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('medspa.audit_purge', true), '') = 'on' THEN
        IF TG_OP = 'TRUNCATE' THEN RETURN NULL; END IF;
        IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'core_auditevent is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION medspa_audit_append_only();
CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION medspa_audit_append_only();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS core_auditevent_no_update ON core_auditevent;
DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;
DROP FUNCTION IF EXISTS medspa_audit_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
       WHEN medspa_audit_purge() = 0
       BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only (UPDATE refused)'); END;""",
    """CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
       WHEN medspa_audit_purge() = 0
       BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only (DELETE refused)'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete;",
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
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
