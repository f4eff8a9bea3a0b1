from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0018_photos')]

    initial = False

    operations = [
        ops.AddField(
            model_name='VoterRollEntry',
            name='area_given',
            field=fields.BooleanField(default=True, db_default=True),
        ),
    ]
