"""``manage.py rotate_secret_key --tenant ID``: new key, all older keys revoked."""

import json

from django.core.management.base import BaseCommand

from accounts.management.commands._tenant_arg import add_tenant_argument, tenant_from_options
from accounts.services import secret_key_create, secret_key_rotate


class Command(BaseCommand):
    help = (
        "Create a new secret key and revoke the others (--keep-old keeps them for a switch-over)."
    )

    def add_arguments(self, parser):
        add_tenant_argument(parser)
        parser.add_argument("--keep-old", action="store_true", help="do not revoke older keys")

    def handle(self, *args, **options):
        tenant = tenant_from_options(options)
        create = secret_key_create if options["keep_old"] else secret_key_rotate
        key, secret = create(tenant=tenant)
        self.stdout.write(
            json.dumps({"tenantId": str(tenant.pk), "secretKey": secret, "prefix": key.prefix})
        )
