"""Hand the first factors' models to the devices app (state only; the tables stay)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_notify_auth_changes'),
        ('devices', '0006_first_factors_moved_in'),
    ]

    # The tables stay: the devices app owns them from now on (devices/migrations/0006).
    operations = [migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[
        migrations.RemoveField(
            model_name='recoverycode',
            name='authenticator',
        ),
        migrations.RemoveField(
            model_name='totpkey',
            name='authenticator',
        ),
        migrations.DeleteModel(
            name='OneTimeCode',
        ),
        migrations.DeleteModel(
            name='RecoveryCode',
        ),
        migrations.DeleteModel(
            name='TotpKey',
        ),
    ])]
