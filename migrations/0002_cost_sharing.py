from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CostPlan',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('proposal', fields.OneToOneField('models.Proposal', source_field='proposal_id', db_constraint=True, to_field='id', related_name='cost_plan', on_delete=OnDelete.CASCADE)),
                ('total_fen', fields.BigIntField()),
                ('method', fields.CharField(max_length=20)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_by', fields.ForeignKeyField('models.Account', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name='cost_plans', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'cost_plan', 'app': 'models', 'pk_attr': 'id', 'table_description': '出资分担方案: how the cost of one proposal is split among the paying parties.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CostShare',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('models.CostPlan', source_field='plan_id', db_index=True, db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('party', fields.ForeignKeyField('models.Party', source_field='party_id', db_constraint=True, to_field='id', related_name='cost_shares', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('amount_fen', fields.BigIntField()),
                ('percent', fields.CharField(null=True, max_length=20)),
                ('weight', fields.CharField(null=True, max_length=30)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_by', fields.ForeignKeyField('models.Account', source_field='confirmed_by_id', null=True, db_constraint=True, to_field='id', related_name='confirmed_shares', on_delete=OnDelete.CASCADE)),
                ('paid_fen', fields.BigIntField(default=0)),
            ],
            options={'table': 'cost_share', 'app': 'models', 'unique_together': (('plan', 'party'),), 'pk_attr': 'id', 'table_description': 'The share of one party in a plan, confirmed by its representative (签协议).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Contribution',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('share', fields.ForeignKeyField('models.CostShare', source_field='share_id', db_index=True, db_constraint=True, to_field='id', related_name='contributions', on_delete=OnDelete.CASCADE)),
                ('amount_fen', fields.BigIntField()),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('note', fields.TextField(null=True, unique=False)),
                ('recorded_by', fields.ForeignKeyField('models.Account', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='contributions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'contribution', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Money received against a share.'},
            bases=['Model'],
        ),
    ]
