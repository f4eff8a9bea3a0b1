from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0020_replaced_receipts')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Consultation',
            name='help_phone',
            field=fields.CharField(null=True, max_length=30),
        ),
    ]
