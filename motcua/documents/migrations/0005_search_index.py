"""Full-text index of documents: GIN on PostgreSQL, an FTS5 table on SQLite (see documents.search)."""

from django.db import migrations

# PostgreSQL: a stored generated tsvector (not a model field: Django never writes it) + GIN index,
# so a query can filter by it cheaply whichever plan it picks (index scan by id or bitmap on GIN).
PG_COLUMN = (
    "ALTER TABLE documents_document ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED"
)
PG_INDEX = "CREATE INDEX IF NOT EXISTS doc_search_gin ON documents_document USING gin (search_vector)"
# Word frequencies for the planner: with the default 100 most common elements every other word is
# assumed to match 0.5 % of rows, so a rare word or an ID number would walk the id index instead of
# the GIN index. 10,000 elements keep rare words rare in the estimate.
PG_STATS = "ALTER TABLE documents_document ALTER COLUMN search_vector SET STATISTICS 10000"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_COLUMN)
        schema_editor.execute(PG_INDEX)
        schema_editor.execute(PG_STATS)
    elif vendor == "sqlite":
        schema_editor.execute("CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(body, tokenize='unicode61')")
        schema_editor.execute(
            "INSERT INTO documents_fts (rowid, body) SELECT id, search_text FROM documents_document"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS doc_search_gin")
        schema_editor.execute("ALTER TABLE documents_document DROP COLUMN IF EXISTS search_vector")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS documents_fts")


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_drop_inline_file")]
    operations = [migrations.RunPython(forwards, backwards)]
