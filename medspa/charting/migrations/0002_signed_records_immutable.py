"""The database refuses to change what has been signed (the services refuse first).

- A chart's content, patient, appointment, service, provider and template version cannot
  change once it has left Draft; a signed chart cannot be deleted or soft-deleted, and an
  MD-signed or locked chart never goes back to Draft.
- Signatures, amendments and template versions are append-only.

PostgreSQL: row triggers; SQLite: BEFORE triggers with RAISE(ABORT). Both honour only the
per-connection maintenance switch of `medspa.core.audit.append_only_suspended` (test resets).
"""

from django.db import migrations

CONTENT_COLUMNS = ("content", "patient_id", "appointment_id", "service_id", "provider_id", "template_version_id")
APPEND_ONLY = ("charting_chartsignature", "charting_chartamendment", "charting_charttemplateversion")


def _changed(columns, *, pg: bool) -> str:
    if pg:
        return " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION medspa_chart_signed_guard() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('medspa.audit_purge', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'a signed chart cannot be deleted' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND ({_changed((*CONTENT_COLUMNS, "deleted_at"), pg=True)}) THEN
        RAISE EXCEPTION 'a signed chart cannot change' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status IN ('md_signed', 'locked') AND NEW.status IN ('draft', 'needs_signoff') THEN
        RAISE EXCEPTION 'a co-signed or locked chart cannot reopen' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER charting_chart_signed_guard BEFORE UPDATE OR DELETE ON charting_chart
    FOR EACH ROW EXECUTE FUNCTION medspa_chart_signed_guard();

CREATE OR REPLACE FUNCTION medspa_charting_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('medspa.audit_purge', true), '') = 'on' THEN
        IF TG_OP = 'TRUNCATE' THEN RETURN NULL; END IF;
        IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
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
    "DROP TRIGGER IF EXISTS charting_chart_signed_guard ON charting_chart;"
    + "".join(
        f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}; DROP TRIGGER IF EXISTS {t}_no_truncate ON {t};"
        for t in APPEND_ONLY
    )
    + "DROP FUNCTION IF EXISTS medspa_chart_signed_guard(); DROP FUNCTION IF EXISTS medspa_charting_append_only();"
)

SQLITE_FORWARD = [
    f"""CREATE TRIGGER charting_chart_signed_no_update BEFORE UPDATE ON charting_chart
       WHEN medspa_audit_purge() = 0 AND OLD.status <> 'draft'
            AND ({_changed((*CONTENT_COLUMNS, "deleted_at"), pg=False)})
       BEGIN SELECT RAISE(ABORT, 'a signed chart cannot change'); END;""",
    """CREATE TRIGGER charting_chart_signed_no_reopen BEFORE UPDATE ON charting_chart
       WHEN medspa_audit_purge() = 0 AND OLD.status IN ('md_signed', 'locked')
            AND NEW.status IN ('draft', 'needs_signoff')
       BEGIN SELECT RAISE(ABORT, 'a co-signed or locked chart cannot reopen'); END;""",
    """CREATE TRIGGER charting_chart_signed_no_delete BEFORE DELETE ON charting_chart
       WHEN medspa_audit_purge() = 0 AND OLD.status <> 'draft'
       BEGIN SELECT RAISE(ABORT, 'a signed chart cannot be deleted'); END;""",
]
for _table in APPEND_ONLY:
    SQLITE_FORWARD += [
        f"""CREATE TRIGGER {_table}_no_update BEFORE UPDATE ON {_table} WHEN medspa_audit_purge() = 0
           BEGIN SELECT RAISE(ABORT, '{_table} is append-only (UPDATE refused)'); END;""",
        f"""CREATE TRIGGER {_table}_no_delete BEFORE DELETE ON {_table} WHEN medspa_audit_purge() = 0
           BEGIN SELECT RAISE(ABORT, '{_table} is append-only (DELETE refused)'); END;""",
    ]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS charting_chart_signed_no_update;",
    "DROP TRIGGER IF EXISTS charting_chart_signed_no_reopen;",
    "DROP TRIGGER IF EXISTS charting_chart_signed_no_delete;",
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
    dependencies = [("charting", "0001_initial"), ("core", "0002_audit_append_only")]
    operations = [migrations.RunPython(forward, reverse)]
