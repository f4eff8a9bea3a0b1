from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0021_help_phone')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Area',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=20)),
                ('name', fields.CharField(max_length=100)),
                ('parent', fields.ForeignKeyField('models.Area', source_field='parent_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.NO_ACTION)),
                ('position', fields.IntField(default=0, db_default=0)),
            ],
            options={'table': 'area', 'app': 'models', 'pk_attr': 'id', 'table_description': "One place in the installation's tree: the district (区) at the top, its streets and towns"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffArea',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_index=True, db_constraint=True, to_field='id', related_name='areas', on_delete=OnDelete.CASCADE)),
                ('area', fields.ForeignKeyField('models.Area', source_field='area_id', db_index=True, db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'staff_area', 'app': 'models', 'unique_together': (('account', 'area'),), 'pk_attr': 'id', 'table_description': 'Where one staff account acts: a district row reaches everything, a street row its'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Consultation',
            name='community',
            field=fields.ForeignKeyField('models.Area', source_field='community_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='consultations', on_delete=OnDelete.NO_ACTION),
        ),
        # SQLite's ADD COLUMN makes no index; PostgreSQL's has one by this name already.
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_consultatio_communi_943f3a" ON "consultation" ("community_id")',
            reverse_sql="SELECT 1",
        ),
        # One district, one street and one community to begin with: every consultation there
        # is goes into the community, and every staff account (admins, organizers, CPPCC
        # members) keeps acting on everything, through a row at the district. Names are for the
        # admin to change (`consult areas rename`).
        ops.RunSQL(
            [
                "INSERT INTO area (kind, name, parent_id, position) VALUES ('DISTRICT', '本区', NULL, 0)",
                "INSERT INTO area (kind, name, parent_id, position) "
                "SELECT 'STREET', '本街道', id, 0 FROM area WHERE kind = 'DISTRICT'",
                "INSERT INTO area (kind, name, parent_id, position) "
                "SELECT 'COMMUNITY', '本社区', id, 0 FROM area WHERE kind = 'STREET'",
                "UPDATE consultation SET community_id = (SELECT id FROM area WHERE kind = 'COMMUNITY')",
                "INSERT INTO staff_area (account_id, area_id) "
                "SELECT account.id, area.id FROM account, area WHERE area.kind = 'DISTRICT' AND "
                "(account.roles LIKE '%ADMIN%' OR account.roles LIKE '%ORGANIZER%' "
                "OR account.roles LIKE '%CPPCC_MEMBER%')",
            ],
            reverse_sql="SELECT 1",
        ),
    ]
