from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_chain_checkpoint')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Poll',
            name='shown_ballots',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Poll',
            name='shown_version',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Poll',
            name='shown_weight_e4',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='PollOption',
            name='shown_votes',
            field=fields.IntField(default=0, db_default=0),
        ),
        # Polls counted before batching show what they showed: their whole count so far.
        ops.RunSQL(
            [
                "UPDATE poll SET shown_version = tally_version, shown_ballots = ballots_cast, "
                "shown_weight_e4 = ballots_weight_e4",
                "UPDATE poll_option SET shown_votes = votes",
            ],
            reverse_sql="SELECT 1",
        ),
    ]
