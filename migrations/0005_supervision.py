from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_voting')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Dossier',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('consultation', fields.OneToOneField('models.Consultation', source_field='consultation_id', db_constraint=True, to_field='id', related_name='dossier', on_delete=OnDelete.CASCADE)),
                ('sealed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sha256', fields.CharField(max_length=64)),
                ('document', fields.TextField(unique=False)),
            ],
            options={'table': 'dossier', 'app': 'models', 'pk_attr': 'id', 'table_description': '存入档案单: the sealed record of a finished consultation.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FollowUp',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('consultation', fields.ForeignKeyField('models.Consultation', source_field='consultation_id', db_index=True, db_constraint=True, to_field='id', related_name='follow_ups', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('by', fields.ForeignKeyField('models.Account', source_field='by_id', null=True, db_constraint=True, to_field='id', related_name='follow_ups', on_delete=OnDelete.CASCADE)),
                ('notes', fields.TextField(unique=False)),
            ],
            options={'table': 'follow_up', 'app': 'models', 'pk_attr': 'id', 'table_description': '跟踪回访: a follow-up visit after the works.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Milestone',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('consultation', fields.ForeignKeyField('models.Consultation', source_field='consultation_id', db_index=True, db_constraint=True, to_field='id', related_name='milestones', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('kind', fields.CharField(max_length=20)),
                ('responsible_party', fields.ForeignKeyField('models.Party', source_field='responsible_party_id', null=True, db_constraint=True, to_field='id', related_name='milestones', on_delete=OnDelete.CASCADE)),
                ('planned_start', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('planned_end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actual_start', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('actual_end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('progress', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'milestone', 'app': 'models', 'pk_attr': 'id', 'table_description': '定时限单: a step of the works with its planned and actual dates.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Inspection',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('consultation', fields.ForeignKeyField('models.Consultation', source_field='consultation_id', db_index=True, db_constraint=True, to_field='id', related_name='inspections', on_delete=OnDelete.CASCADE)),
                ('inspector', fields.ForeignKeyField('models.Account', source_field='inspector_id', db_constraint=True, to_field='id', related_name='inspections', on_delete=OnDelete.CASCADE)),
                ('milestone', fields.ForeignKeyField('models.Milestone', source_field='milestone_id', null=True, db_constraint=True, to_field='id', related_name='inspections', on_delete=OnDelete.CASCADE)),
                ('visited_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('notes', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inspection', 'app': 'models', 'pk_attr': 'id', 'table_description': "A CPPCC member's visit to the works."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Finding',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('consultation', fields.ForeignKeyField('models.Consultation', source_field='consultation_id', db_index=True, db_constraint=True, to_field='id', related_name='findings', on_delete=OnDelete.CASCADE)),
                ('inspection', fields.ForeignKeyField('models.Inspection', source_field='inspection_id', db_index=True, db_constraint=True, to_field='id', related_name='findings', on_delete=OnDelete.CASCADE)),
                ('category', fields.CharField(max_length=30)),
                ('description', fields.TextField(unique=False)),
                ('assignee', fields.ForeignKeyField('models.Account', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='assigned_findings', on_delete=OnDelete.CASCADE)),
                ('responsible_party', fields.ForeignKeyField('models.Party', source_field='responsible_party_id', db_constraint=True, to_field='id', related_name='findings', on_delete=OnDelete.CASCADE)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expected_outcome', fields.TextField(unique=False)),
                ('status', fields.CharField(max_length=20)),
                ('resolution', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'finding', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A problem found while supervising, closed by the five-fixed loop (五定闭环).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MilestoneUpdate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('milestone', fields.ForeignKeyField('models.Milestone', source_field='milestone_id', db_index=True, db_constraint=True, to_field='id', related_name='updates', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('by', fields.ForeignKeyField('models.Account', source_field='by_id', null=True, db_constraint=True, to_field='id', related_name='milestone_updates', on_delete=OnDelete.CASCADE)),
                ('progress', fields.IntField()),
                ('note', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'milestone_update', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rating',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('consultation', fields.ForeignKeyField('models.Consultation', source_field='consultation_id', db_index=True, db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.CASCADE)),
                ('entry', fields.ForeignKeyField('models.VoterRollEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.CASCADE)),
                ('score', fields.SmallIntField()),
                ('comment', fields.TextField(null=True, unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rating', 'app': 'models', 'unique_together': (('consultation', 'entry'),), 'pk_attr': 'id', 'table_description': 'A household rating of the outcome (给反馈单), one per roll entry.'},
            bases=['Model'],
        ),
    ]
