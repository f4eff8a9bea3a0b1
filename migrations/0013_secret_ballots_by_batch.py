from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_batched_secret_tallies')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Poll',
            name='moved_pending',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
