"""Take over the first factors' tables from the accounts app (state only)."""

import django.db.models.deletion
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    # The tables were created by the accounts app's migrations; this takes them over in Django's
    # state only, so existing databases need no data migration (see devices/models.py).
    dependencies = [
        ('accounts', '0007_notify_auth_changes'),
        ('devices', '0005_lean_indexes'),
    ]

    operations = [migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[
        migrations.CreateModel(
            name='TotpKey',
            fields=[
                ('authenticator', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='totp_key', serialize=False, to='devices.authenticator')),
                ('sealed_secret', models.BinaryField()),
                ('last_time_step', models.BigIntegerField(default=-1, help_text='The last accepted time step; a code is never accepted twice.')),
            ],
            options={
                'db_table': 'accounts_totpkey',
            },
        ),
        migrations.CreateModel(
            name='OneTimeCode',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('channel', models.CharField(choices=[('EMAIL', 'E-mail'), ('SMS', 'SMS')], max_length=8)),
                ('purpose', models.CharField(choices=[('SIGN_IN', 'Portal sign-in'), ('REAUTH', 'Re-authentication before a sensitive change')], max_length=16)),
                ('code_hash', models.CharField(max_length=64)),
                ('link_hash', models.CharField(blank=True, db_index=True, max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('expires_at', models.DateTimeField()),
                ('used_at', models.DateTimeField(blank=True, null=True)),
                ('authenticator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='one_time_codes', to='devices.authenticator')),
                ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='accounts.tenant')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='one_time_codes', to='accounts.enduser')),
            ],
            options={
                'db_table': 'accounts_onetimecode',
                'indexes': [models.Index(fields=['authenticator', 'purpose', 'created_at'], name='accounts_on_authent_770d81_idx')],
            },
        ),
        migrations.CreateModel(
            name='RecoveryCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code_hash', models.CharField(max_length=64)),
                ('used_at', models.DateTimeField(blank=True, null=True)),
                ('authenticator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='recovery_codes', to='devices.authenticator')),
            ],
            options={
                'db_table': 'accounts_recoverycode',
                'indexes': [models.Index(fields=['authenticator', 'code_hash'], name='accounts_re_authent_44216e_idx')],
            },
        ),
    ])]
