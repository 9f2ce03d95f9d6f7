"""What the event log records of the apps below it, which announce changes by signal instead
of calling up into ``events``."""

from django.dispatch import receiver

from accounts.models import Tenant
from accounts.signals import account_changed
from events.services import event_record


@receiver(account_changed)
def account_change_record(
    sender: object, *, tenant: Tenant, event_type: str, detail: dict, **kwargs: object
) -> None:
    """Record a tenant's key change in the audit log (and webhooks, for subscribed types)."""
    event_record(tenant=tenant, event_type=event_type, **detail)
