from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0022_areas')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Reminder',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=30)),
                ('subject_type', fields.CharField(max_length=20)),
                ('subject_id', fields.BigIntField()),
                ('consultation', fields.ForeignKeyField('models.Consultation', source_field='consultation_id', db_index=True, db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('party_id', fields.BigIntField(null=True)),
                ('person_id', fields.BigIntField(null=True)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('text', fields.TextField(unique=False)),
                ('dedupe_key', fields.CharField(unique=True, max_length=120)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('fanned_out', fields.BooleanField(default=False, db_index=True, db_default=False)),
            ],
            options={'table': 'reminder', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One reminder, raised once by the sweep (consult.services.reminders.sweep). `dedupe_key`'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reminder', fields.ForeignKeyField('models.Reminder', source_field='reminder_id', db_index=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(max_length=10)),
                ('target', fields.CharField(max_length=500)),
                ('status', fields.CharField(db_index=True, max_length=10)),
                ('attempts', fields.IntField(default=0, db_default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'delivery', 'app': 'models', 'unique_together': (('reminder', 'channel', 'target'),), 'pk_attr': 'id', 'table_description': "One reminder going out by one channel to one target (an email address, or the webhook's"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE)),
                ('reminder', fields.ForeignKeyField('models.Reminder', source_field='reminder_id', db_index=True, db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notice', 'app': 'models', 'unique_together': (('account', 'reminder'),), 'indexes': [Index(fields=['account_id', 'read_at'])], 'pk_attr': 'id', 'table_description': 'A reminder as one account sees it in the app (the bell).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SchedulerLease',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('holder', fields.CharField(null=True, max_length=120)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'scheduler_lease', 'app': 'models', 'pk_attr': 'name', 'table_description': 'Which server process runs the reminder scheduler: the one whose lease has not run out.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='email',
            field=fields.CharField(null=True, max_length=254),
        ),
    ]
