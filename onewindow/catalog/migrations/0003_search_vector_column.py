"""Stored search vector (PostgreSQL only): a generated ``search_vector`` tsvector column.

0002's expression index made matching fast, but ranking still had to rebuild every matching
row's vector (to_tsvector of the whole body) — hundreds of milliseconds for a common word over
5,000 items. A STORED generated column keeps the weighted vector on the row, so both ``@@``
(GIN index) and ``ts_rank`` read it. The column is maintained by PostgreSQL from
``search_title``/``search_body`` and is not a model field: Django never writes it, and
``onewindow.catalog.search`` refers to it by name. SQLite has no such column and searches with
``icontains`` instead. See docs/performance-search.md.
"""

from django.db import migrations

VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, COALESCE(search_title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, COALESCE(search_body, '')), 'B')"
)
FORWARD = [
    "DROP INDEX IF EXISTS catalog_item_search_gin",
    "ALTER TABLE catalog_serviceitem ADD COLUMN IF NOT EXISTS search_vector tsvector "
    f"GENERATED ALWAYS AS ({VECTOR}) STORED",
    "CREATE INDEX IF NOT EXISTS catalog_item_search_vector_gin ON catalog_serviceitem "
    "USING GIN (search_vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS catalog_item_search_vector_gin",
    "ALTER TABLE catalog_serviceitem DROP COLUMN IF EXISTS search_vector",
    f"CREATE INDEX IF NOT EXISTS catalog_item_search_gin ON catalog_serviceitem USING GIN (({VECTOR}))",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_search_index")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
