from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_sealed_running_tallies')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='own_password',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='CostShare',
            name='confirmed_on_behalf',
            field=fields.BooleanField(null=True),
        ),
    ]
