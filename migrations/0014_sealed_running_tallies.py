from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0013_secret_ballots_by_batch")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Poll",
            name="running_sealed",
            field=fields.TextField(null=True),
        ),
        # A closed secret poll keeps its areas in the clear only where its rule counts them.
        # Open ones are sealed by `consult migrate`, which has the server key.
        ops.RunSQL(
            [
                "UPDATE poll_option SET weight_e4 = 0 WHERE poll_id IN "
                "(SELECT id FROM poll WHERE secret = TRUE AND by_area = FALSE AND status = 'CLOSED')",
                "UPDATE poll SET ballots_weight_e4 = 0, shown_weight_e4 = 0 "
                "WHERE secret = TRUE AND by_area = FALSE AND status = 'CLOSED'",
            ],
            reverse_sql="SELECT 1",
        ),
    ]
