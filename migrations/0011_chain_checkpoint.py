from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_reissue_approval')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Consultation',
            name='checked_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Consultation',
            name='checked_seq',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
