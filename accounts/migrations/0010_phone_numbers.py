"""Phone numbers in E.164 beside the form the tenant gave, and the tenant's default region."""

import phonenumbers
from django.conf import settings
from django.db import migrations, models


def e164_fill(apps, schema_editor):
    """Give existing users the E.164 form of their number (left empty where it cannot be one)."""
    EndUser = apps.get_model("accounts", "EndUser")
    users = EndUser.objects.exclude(phone_number="").select_related("tenant")
    for user in users.iterator():
        region = (user.tenant.phone_region or settings.RECOGNIZE_DEFAULT_PHONE_REGION or "").upper()
        try:
            parsed = phonenumbers.parse(user.phone_number, region or None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(parsed):
            user.phone_number_e164 = phonenumbers.format_number(
                parsed, phonenumbers.PhoneNumberFormat.E164
            )
            user.save(update_fields=["phone_number_e164"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_portal_sign_in_policy'),
    ]

    operations = [
        migrations.AddField(
            model_name='enduser',
            name='phone_number_e164',
            field=models.CharField(blank=True, db_index=True, editable=False, help_text='The same number in E.164: what codes are sent to and numbers are matched by.', max_length=16),
        ),
        migrations.AddField(
            model_name='tenant',
            name='phone_region',
            field=models.CharField(blank=True, help_text='Two-letter region (ISO 3166) of phone numbers typed without a country code; empty means RECOGNIZE_DEFAULT_PHONE_REGION.', max_length=2),
        ),
        migrations.AlterField(
            model_name='enduser',
            name='phone_number',
            field=models.CharField(blank=True, help_text='As the tenant gave it (returned as given).', max_length=32),
        ),
        migrations.RunPython(e164_fill, migrations.RunPython.noop),
    ]
