from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0017_representative_slips')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Photo',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uploaded_by', fields.ForeignKeyField('models.Account', source_field='uploaded_by_id', db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.CASCADE)),
                ('uploaded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('format', fields.CharField(max_length=8)),
                ('sha256', fields.CharField(max_length=64)),
                ('byte_size', fields.IntField()),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('phone_sha256', fields.CharField(max_length=64)),
                ('phone_byte_size', fields.IntField()),
                ('phone_width', fields.IntField()),
                ('phone_height', fields.IntField()),
                ('consultation', fields.ForeignKeyField('models.Consultation', source_field='consultation_id', null=True, db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.CASCADE)),
                ('subject_kind', fields.CharField(null=True, max_length=12)),
                ('subject_id', fields.BigIntField(null=True)),
                ('attached_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('position', fields.SmallIntField(default=0)),
            ],
            options={'table': 'photo', 'app': 'models', 'indexes': [Index(fields=['subject_kind', 'subject_id']), Index(fields=['uploaded_by_id', 'attached_at']), Index(fields=['consultation_id', 'subject_kind'])], 'pk_attr': 'id', 'table_description': 'One photo as evidence (随手拍): kept re-encoded, by content hash (consult.blobs).'},
            bases=['Model'],
        ),
    ]
