from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_ballot_session')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='VoterRollEntry',
            name='account',
            field=fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='roll_entries', on_delete=OnDelete.CASCADE),
        ),
    ]
