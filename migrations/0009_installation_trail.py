from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_sealed_ballots')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InstallationEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('seq', fields.IntField(unique=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor', fields.ForeignKeyField('models.Account', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='installation_events', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=60)),
                ('subject', fields.CharField(null=True, max_length=120)),
                ('summary', fields.TextField(unique=False)),
                ('payload', fields.TextField(unique=False)),
                ('prev_hash', fields.CharField(null=True, max_length=64)),
                ('hash', fields.CharField(max_length=64)),
            ],
            options={'table': 'installation_event', 'app': 'models', 'pk_attr': 'id', 'table_description': "One link of the installation's own hash chain: who made which account, with which roles."},
            bases=['Model'],
        ),
    ]
