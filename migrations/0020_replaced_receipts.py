from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0019_roll_area_given')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReplacedReceipt',
            fields=[
                ('digest', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('poll', fields.ForeignKeyField('models.Poll', source_field='poll_id', db_constraint=True, to_field='id', related_name='replaced_receipts', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'replaced_receipt', 'app': 'models', 'pk_attr': 'digest', 'table_description': 'A receipt a revote replaced, kept only as its keyed digest beside its poll.'},
            bases=['Model'],
        ),
    ]
