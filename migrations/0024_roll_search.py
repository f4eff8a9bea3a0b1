from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index


class PostgresOnly(ops.RunSQL):
    """SQL for PostgreSQL alone: SQLite has no trigram index, and its LIKE scans the one
    consultation's entries that the (consultation, position, id) index already narrows to."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and getattr(state_editor, "DIALECT", None) == "postgres":
            await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and getattr(state_editor, "DIALECT", None) == "postgres":
            await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('models', '0023_reminders')]

    initial = False

    operations = [
        # A page of the roll is one range read of this index, however deep, and its count one
        # index-only scan (schema.roll).
        ops.AddIndex(
            model_name='VoterRollEntry',
            index=Index(fields=['consultation_id', 'active', 'position', 'id']),
        ),
        # Searching a label for a fragment ("401", "2单元") is LIKE '%…%': on PostgreSQL a
        # trigram GIN index answers it. pg_trgm ships with PostgreSQL but creating it may be
        # refused (no privilege, a managed server without it): then the search still works,
        # by scanning the consultation's entries, and nothing fails.
        PostgresOnly(
            [
                "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; "
                "EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm is not available: the roll search scans'; END $$",
                "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN "
                "EXECUTE 'CREATE INDEX IF NOT EXISTS \"idx_voter_roll_label_trgm\" ON \"voter_roll_entry\" "
                "USING gin (\"label\" gin_trgm_ops)'; END IF; END $$",
            ],
            reverse_sql='DROP INDEX IF EXISTS "idx_voter_roll_label_trgm"',
        ),
    ]
