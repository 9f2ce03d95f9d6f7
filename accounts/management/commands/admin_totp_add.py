"""``manage.py admin_totp_add USER``: give a staff user an authenticator app for the admin.

Prints the ``otpauth://`` URL (and the secret, to type) once; the admin asks for a code from
the app at sign-in when ``RECOGNIZE_ADMIN_2FA`` is on. A user may have several devices.
"""

import base64

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Add an authenticator app (TOTP) for a staff user's admin sign-in; prints its URL once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="authenticator app", help="the device's name")

    def handle(self, *args, username: str, name: str, **options):
        user = get_user_model().objects.filter(username=username, is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff user named {username!r}.")
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        self.stdout.write(f"Add this to the authenticator app of {username} (shown once):")
        self.stdout.write(device.config_url)
        self.stdout.write(f"or type the secret: {secret}")
