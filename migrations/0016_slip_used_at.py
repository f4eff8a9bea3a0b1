from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_own_passwords')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Session',
            name='slip_used_at',
            field=fields.DatetimeField(null=True),
        ),
    ]
