"""``manage.py create_tenant NAME``: create a tenant and print its id and secret key as JSON."""

import json

from django.core.management.base import BaseCommand

from accounts.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant; prints one JSON line with tenantId and secretKey (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name: str, **options):
        tenant, secret = tenant_create(name=name)
        self.stdout.write(json.dumps({"tenantId": str(tenant.pk), "secretKey": secret}))
