"""Full-text search over lessons in Chinese, without a word segmenter (emergency.knowledge).

SQLite: an external-content FTS5 table with the trigram tokenizer over title, body and
tags, kept in sync by triggers, filled from the rows already there. PostgreSQL: pg_trgm
and GIN trigram indexes (ILIKE and similarity use them). Other backends: nothing (search
falls back to LIKE).

Note for later migrations of `emergency_lesson` on SQLite: Django rebuilds a table it
alters there, which drops its triggers; such a migration must run this one's SQL again.
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS emergency_lesson_fts USING fts5("
    "title, body, tags, content='emergency_lesson', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS emergency_lesson_fts_ai AFTER INSERT ON emergency_lesson BEGIN "
    "INSERT INTO emergency_lesson_fts(rowid, title, body, tags) "
    "VALUES (new.id, new.title, new.body, new.tags); END",
    "CREATE TRIGGER IF NOT EXISTS emergency_lesson_fts_ad AFTER DELETE ON emergency_lesson BEGIN "
    "INSERT INTO emergency_lesson_fts(emergency_lesson_fts, rowid, title, body, tags) "
    "VALUES ('delete', old.id, old.title, old.body, old.tags); END",
    "CREATE TRIGGER IF NOT EXISTS emergency_lesson_fts_au AFTER UPDATE ON emergency_lesson BEGIN "
    "INSERT INTO emergency_lesson_fts(emergency_lesson_fts, rowid, title, body, tags) "
    "VALUES ('delete', old.id, old.title, old.body, old.tags); "
    "INSERT INTO emergency_lesson_fts(rowid, title, body, tags) "
    "VALUES (new.id, new.title, new.body, new.tags); END",
    "INSERT INTO emergency_lesson_fts(emergency_lesson_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS emergency_lesson_fts_ai",
    "DROP TRIGGER IF EXISTS emergency_lesson_fts_ad",
    "DROP TRIGGER IF EXISTS emergency_lesson_fts_au",
    "DROP TABLE IF EXISTS emergency_lesson_fts",
]
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS emergency_lesson_title_trgm "
    "ON emergency_lesson USING gin (title gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS emergency_lesson_body_trgm "
    "ON emergency_lesson USING gin (body gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS emergency_lesson_tags_trgm "
    "ON emergency_lesson USING gin (tags gin_trgm_ops)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS emergency_lesson_title_trgm",
    "DROP INDEX IF EXISTS emergency_lesson_body_trgm",
    "DROP INDEX IF EXISTS emergency_lesson_tags_trgm",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("emergency", "0003_shopping_list_workorder")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
