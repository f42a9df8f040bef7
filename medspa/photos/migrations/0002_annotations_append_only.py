"""Annotation versions are append-only, and a photo's original file is never re-pointed.

PostgreSQL: row triggers; SQLite: BEFORE triggers. Both honour only the per-connection
maintenance switch of `medspa.core.audit.append_only_suspended` (test resets).
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION medspa_photos_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('medspa.audit_purge', true), '') = 'on' THEN
        IF TG_OP = 'TRUNCATE' THEN RETURN NULL; END IF;
        IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER photos_photoannotation_append_only BEFORE UPDATE OR DELETE ON photos_photoannotation
    FOR EACH ROW EXECUTE FUNCTION medspa_photos_append_only();
CREATE OR REPLACE FUNCTION medspa_photo_original_fixed() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('medspa.audit_purge', true), '') = 'on' THEN RETURN NEW; END IF;
    IF NEW.file_id IS DISTINCT FROM OLD.file_id OR NEW.patient_id IS DISTINCT FROM OLD.patient_id THEN
        RAISE EXCEPTION 'a clinical photo keeps its original file and patient' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER photos_clinicalphoto_original_fixed BEFORE UPDATE ON photos_clinicalphoto
    FOR EACH ROW EXECUTE FUNCTION medspa_photo_original_fixed();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS photos_photoannotation_append_only ON photos_photoannotation;
DROP TRIGGER IF EXISTS photos_clinicalphoto_original_fixed ON photos_clinicalphoto;
DROP FUNCTION IF EXISTS medspa_photos_append_only();
DROP FUNCTION IF EXISTS medspa_photo_original_fixed();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER photos_photoannotation_no_update BEFORE UPDATE ON photos_photoannotation
       WHEN medspa_audit_purge() = 0
       BEGIN SELECT RAISE(ABORT, 'photos_photoannotation is append-only (UPDATE refused)'); END;""",
    """CREATE TRIGGER photos_photoannotation_no_delete BEFORE DELETE ON photos_photoannotation
       WHEN medspa_audit_purge() = 0
       BEGIN SELECT RAISE(ABORT, 'photos_photoannotation is append-only (DELETE refused)'); END;""",
    """CREATE TRIGGER photos_clinicalphoto_original_fixed BEFORE UPDATE ON photos_clinicalphoto
       WHEN medspa_audit_purge() = 0 AND (NEW.file_id IS NOT OLD.file_id OR NEW.patient_id IS NOT OLD.patient_id)
       BEGIN SELECT RAISE(ABORT, 'a clinical photo keeps its original file and patient'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS photos_photoannotation_no_update;",
    "DROP TRIGGER IF EXISTS photos_photoannotation_no_delete;",
    "DROP TRIGGER IF EXISTS photos_clinicalphoto_original_fixed;",
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
    dependencies = [("photos", "0001_initial"), ("core", "0002_audit_append_only")]
    operations = [migrations.RunPython(forward, reverse)]
