"""Search columns compare byte by byte on PostgreSQL too.

Prefix search is a range `[p, p + U+10FFFF)` on normalised (lowercase ASCII) columns, which
is "starts with p" only under binary ordering. SQLite's default collation is binary;
on PostgreSQL the columns get COLLATE "C" so the same composite B-tree indexes answer it.
"""

from django.db import migrations

COLUMNS = ["first_key", "last_key", "preferred_key", "phone_digits", "phone_last4", "alt_phone_digits", "email_lower"]


def _set_collation(apps, schema_editor, collation: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    patient = apps.get_model("patients", "Patient")
    for column in COLUMNS:
        length = patient._meta.get_field(column).max_length
        schema_editor.execute(
            f"ALTER TABLE patients_patient ALTER COLUMN {column} SET DATA TYPE varchar({length}) COLLATE {collation}"
        )


def forward(apps, schema_editor):
    _set_collation(apps, schema_editor, '"C"')


def reverse(apps, schema_editor):
    _set_collation(apps, schema_editor, '"default"')


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
