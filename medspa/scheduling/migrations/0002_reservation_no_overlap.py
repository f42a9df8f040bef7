"""PostgreSQL: two active reservations of the same resource unit can never overlap.

An exclusion constraint over (resource, unit, minute range) — the database itself refuses a
double booking, whatever the application does. SQLite has no equivalent: there the booking
service serialises writes (BEGIN IMMEDIATE) and re-checks inside the transaction.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_reservation ADD CONSTRAINT reservation_no_overlap
    EXCLUDE USING gist (resource_id WITH =, unit WITH =, int8range(start_minute, end_minute) WITH &&)
    WHERE (active);
"""
DROP = "ALTER TABLE scheduling_reservation DROP CONSTRAINT IF EXISTS reservation_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
