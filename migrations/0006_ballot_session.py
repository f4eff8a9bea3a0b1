from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_supervision')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Ballot',
            name='session_key',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
