from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_slip_used_at')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountSlip',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_index=True, db_constraint=True, to_field='id', related_name='slips', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='issued_slips', on_delete=OnDelete.CASCADE)),
                ('redeemed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('voided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_slip', 'app': 'models', 'pk_attr': 'id', 'table_description': "The code on a printed slip that signs a party's representative in, without a password,"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='phone',
            field=fields.CharField(null=True, max_length=30),
        ),
    ]
