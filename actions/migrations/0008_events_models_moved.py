"""Hand the event log's models to the events app (state only; the tables stay)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('actions', '0007_lean_indexes'),
        ('events', '0001_initial'),
    ]

    # The tables stay: the events app owns them from now on (events/migrations/0001).
    operations = [migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[
        migrations.RemoveField(
            model_name='webhookdelivery',
            name='endpoint',
        ),
        migrations.RemoveField(
            model_name='webhookdelivery',
            name='tenant',
        ),
        migrations.RemoveField(
            model_name='webhookendpoint',
            name='tenant',
        ),
        migrations.DeleteModel(
            name='AuditEvent',
        ),
        migrations.DeleteModel(
            name='WebhookDelivery',
        ),
        migrations.DeleteModel(
            name='WebhookEndpoint',
        ),
    ])]
