from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class SQLiteOnly(ops.RunSQL):
    """SQL for SQLite alone. SQLite alters a column by rebuilding its table, and the rebuild
    keeps no index and no multi-column UNIQUE: this puts back what the earlier migrations made."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and getattr(state_editor, "DIALECT", None) == "sqlite":
            await super().database_forward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('models', '0007_roll_account_index')]

    initial = False

    operations = [
        # Ballot ids are random from now on (consult.services.voting.new_ballot_id).
        ops.AlterField(
            model_name='Ballot',
            name='id',
            field=fields.BigIntField(primary_key=True, generated=False),
        ),
        # A secret poll's ballot keeps these only inside `sealed`.
        ops.AlterField(
            model_name='Ballot',
            name='cast_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='Ballot',
            name='choices',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AlterField(
            model_name='Ballot',
            name='weight_e4',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Ballot',
            name='sealed',
            field=fields.TextField(null=True, unique=False),
        ),
        # 0003 declared this index, but AddField creates none.
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_consultatio_publish_66cb85" ON "consultation" ("published")',
            reverse_sql='DROP INDEX IF EXISTS "idx_consultatio_publish_66cb85"',
        ),
        SQLiteOnly(
            [
                'CREATE UNIQUE INDEX IF NOT EXISTS "uid_ballot_poll_id_54b14e" ON "ballot" ("poll_id", "voter_key")',
                'CREATE INDEX IF NOT EXISTS "idx_ballot_poll_id_06ae2d" ON "ballot" ("poll_id")',
                # 0007 rebuilt voter_roll_entry on SQLite the same way.
                'CREATE INDEX IF NOT EXISTS "idx_voter_roll__consult_862eae" ON "voter_roll_entry" ("consultation_id")',
                'CREATE INDEX IF NOT EXISTS "idx_voter_roll__account_6d15cc" ON "voter_roll_entry" ("account_id")',
            ]
        ),
    ]
