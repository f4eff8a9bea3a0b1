from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_cost_sharing')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Consultation',
            name='published',
            field=fields.BooleanField(default=False, db_index=True, db_default=False),
        ),
        # Consultations that already left DRAFT were public before this field existed. One
        # cancelled straight from DRAFT cannot be told apart here and stays public, as it was.
        ops.RunSQL(
            "UPDATE consultation SET published = TRUE WHERE stage <> 'DRAFT'",
            reverse_sql="SELECT 1",
        ),
    ]
