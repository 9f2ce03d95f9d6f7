"""The ``--tenant ID`` argument shared by the operator commands."""

from django.core.management.base import CommandError

from accounts import selectors
from accounts.models import Tenant


def add_tenant_argument(parser) -> None:
    """Add a required ``--tenant`` option taking the public tenant id."""
    parser.add_argument("--tenant", required=True, help="the tenant id (UUID)")


def tenant_from_options(options) -> Tenant:
    """The tenant named by ``--tenant``, or a CommandError."""
    tenant = selectors.tenant_get(tenant_id=options["tenant"])
    if tenant is None:
        raise CommandError(f"No tenant with id {options['tenant']!r}.")
    return tenant
