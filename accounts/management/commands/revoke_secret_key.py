"""``manage.py revoke_secret_key --tenant ID PREFIX``: revoke the key starting with PREFIX."""

from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands._tenant_arg import add_tenant_argument, tenant_from_options
from accounts.models import SecretKey
from accounts.services import secret_key_revoke


class Command(BaseCommand):
    help = "Revoke a tenant's secret key, named by its prefix (as listed in the admin)."

    def add_arguments(self, parser):
        add_tenant_argument(parser)
        parser.add_argument("prefix")

    def handle(self, *args, prefix: str, **options):
        tenant = tenant_from_options(options)
        keys = list(
            SecretKey.objects.filter(
                tenant=tenant, prefix__startswith=prefix[:16], revoked_at__isnull=True
            )
        )
        if len(keys) != 1:
            raise CommandError(f"{len(keys)} active keys match {prefix!r}; name exactly one.")
        secret_key_revoke(key=keys[0])
        self.stdout.write(f"Revoked {keys[0].prefix}…")
