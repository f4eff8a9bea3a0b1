from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_draft_privacy')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Poll',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('consultation', fields.ForeignKeyField('models.Consultation', source_field='consultation_id', db_index=True, db_constraint=True, to_field='id', related_name='polls', on_delete=OnDelete.CASCADE)),
                ('question', fields.TextField(unique=False)),
                ('kind', fields.CharField(max_length=20)),
                ('status', fields.CharField(max_length=20)),
                ('max_choices', fields.IntField(null=True)),
                ('opens_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closes_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('opened_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('secret', fields.BooleanField()),
                ('allow_revote', fields.BooleanField()),
                ('live_results', fields.BooleanField()),
                ('preset', fields.CharField(max_length=30)),
                ('quorum_num', fields.IntField()),
                ('quorum_den', fields.IntField()),
                ('threshold_num', fields.IntField()),
                ('threshold_den', fields.IntField()),
                ('threshold_strict', fields.BooleanField()),
                ('by_area', fields.BooleanField()),
                ('electorate_size', fields.IntField(default=0)),
                ('electorate_weight_e4', fields.BigIntField(default=0)),
                ('tally_version', fields.IntField(default=0)),
                ('ballots_cast', fields.IntField(default=0)),
                ('ballots_weight_e4', fields.BigIntField(default=0)),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='polls', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'poll', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A question put to the voter roll, with its decision rule and a running tally.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Ballot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('poll', fields.ForeignKeyField('models.Poll', source_field='poll_id', db_index=True, db_constraint=True, to_field='id', related_name='ballots', on_delete=OnDelete.CASCADE)),
                ('voter_key', fields.CharField(max_length=64)),
                ('entry', fields.ForeignKeyField('models.VoterRollEntry', source_field='entry_id', null=True, db_constraint=True, to_field='id', related_name='named_ballots', on_delete=OnDelete.CASCADE)),
                ('receipt', fields.CharField(unique=True, max_length=40)),
                ('origin', fields.CharField(max_length=10)),
                ('choices', fields.TextField(unique=False)),
                ('weight_e4', fields.BigIntField()),
                ('cast_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('assisted_by', fields.ForeignKeyField('models.Account', source_field='assisted_by_id', null=True, db_constraint=True, to_field='id', related_name='assisted_ballots', on_delete=OnDelete.CASCADE)),
                ('note', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'ballot', 'app': 'models', 'unique_together': (('poll', 'voter_key'),), 'pk_attr': 'id', 'table_description': 'One ballot per roll entry and poll.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PollElector',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('poll', fields.ForeignKeyField('models.Poll', source_field='poll_id', db_constraint=True, to_field='id', related_name='electors', on_delete=OnDelete.CASCADE)),
                ('entry', fields.ForeignKeyField('models.VoterRollEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='electorates', on_delete=OnDelete.CASCADE)),
                ('weight_e4', fields.BigIntField()),
            ],
            options={'table': 'poll_elector', 'app': 'models', 'unique_together': (('poll', 'entry'),), 'pk_attr': 'id', 'table_description': 'One roll entry in the electorate of a poll, with its weight when the poll opened.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PollOption',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('poll', fields.ForeignKeyField('models.Poll', source_field='poll_id', db_index=True, db_constraint=True, to_field='id', related_name='options', on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(max_length=200)),
                ('position', fields.IntField()),
                ('proposal', fields.ForeignKeyField('models.Proposal', source_field='proposal_id', null=True, db_constraint=True, to_field='id', related_name='poll_options', on_delete=OnDelete.CASCADE)),
                ('votes', fields.IntField(default=0)),
                ('weight_e4', fields.BigIntField(default=0)),
            ],
            options={'table': 'poll_option', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
