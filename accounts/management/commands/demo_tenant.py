"""``manage.py demo_tenant``: the embedded server's demo tenant, created once.

Its credentials are kept in ``var/demo-tenant.json`` (0600, outside git) so that every
``make run`` uses the same working keys; if the key was revoked a new one is made. The
command prints the tenant id, the portal URL and where the secret key is, never the key:
``make run``'s output is a log like any other.
"""

import json
import os

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import selectors
from accounts.services import secret_key_rotate, tenant_create

DEMO_NAME = "Demo"


class Command(BaseCommand):
    help = (
        "Create the demo tenant if needed; print its tenantId, portal URL and the file holding"
        " its secret key as JSON."
    )

    def handle(self, *args, **options):
        path = settings.VAR_DIR / "demo-tenant.json"
        saved = json.loads(path.read_text()) if path.exists() else {}
        tenant = selectors.tenant_get(tenant_id=saved.get("tenantId", ""))
        secret = saved.get("secretKey", "")
        if tenant is None:
            tenant, secret = tenant_create(name=DEMO_NAME)
        elif selectors.tenant_get_by_secret_key(secret=secret) != tenant:
            _, secret = secret_key_rotate(tenant=tenant)
        credentials = {
            "tenantId": str(tenant.pk),
            "secretKey": secret,
            "portalUrl": f"{settings.RECOGNIZE_PUBLIC_URL}/portal/t/{tenant.pk}/",
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(credentials, handle)
        shown = {key: value for key, value in credentials.items() if key != "secretKey"}
        self.stdout.write(json.dumps({**shown, "secretKeyFile": str(path)}))
