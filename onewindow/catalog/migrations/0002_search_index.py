"""GIN expression index on the weighted search vector (PostgreSQL only).

The expression is exactly the one ``onewindow.catalog.search.SEARCH_VECTOR`` compiles to, so
the planner uses the index for ``@@`` matches. SQLite has no such index: there the search
falls back to ``icontains`` and ranks in Python.
"""

from django.db import migrations

INDEX_NAME = "catalog_item_search_gin"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON catalog_serviceitem USING GIN (("
    "setweight(to_tsvector('simple'::regconfig, COALESCE(search_title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, COALESCE(search_body, '')), 'B')))"
)
DROP = f"DROP INDEX IF EXISTS {INDEX_NAME}"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
