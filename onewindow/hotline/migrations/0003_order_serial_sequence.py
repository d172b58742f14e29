"""The serial sequence for work-order numbers (PostgreSQL; SQLite uses WorkOrderSerial)."""

from django.db import migrations


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS hotline_order_serial CACHE 20")


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS hotline_order_serial")


class Migration(migrations.Migration):
    dependencies = [("hotline", "0002_work_orders")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
