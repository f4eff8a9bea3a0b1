from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_installation_trail')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReissueRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('entry', fields.ForeignKeyField('models.VoterRollEntry', source_field='entry_id', db_index=True, db_constraint=True, to_field='id', related_name='reissue_requests', on_delete=OnDelete.CASCADE)),
                ('reason', fields.TextField(unique=False)),
                ('status', fields.CharField(max_length=20)),
                ('requested_by', fields.ForeignKeyField('models.Account', source_field='requested_by_id', db_constraint=True, to_field='id', related_name='reissues_requested', on_delete=OnDelete.CASCADE)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('approved_by', fields.ForeignKeyField('models.Account', source_field='approved_by_id', null=True, db_constraint=True, to_field='id', related_name='reissues_approved', on_delete=OnDelete.CASCADE)),
                ('approved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reissue_request', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A household that signed in needs a new slip (a lost phone, a changed number). One person'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Invitation',
            name='reissued',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Session',
            name='reissued',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
