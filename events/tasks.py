"""Celery entry points for webhook delivery.

``events.webhooks`` queues these tasks, so the task bodies import it where they run (the one
place a function-level import is the rule: a task module and its service module need each
other).
"""

from celery import shared_task


@shared_task(ignore_result=True)
def webhook_deliver(delivery_id: str) -> None:
    """Deliver one outbox row; schedule its next attempt if it failed."""
    from events.webhooks import webhook_delivery_attempt

    wait = webhook_delivery_attempt(delivery_id)
    if wait is not None and not webhook_deliver.app.conf.task_always_eager:
        try:
            webhook_deliver.apply_async((delivery_id,), countdown=wait)
        except Exception:  # noqa: BLE001 (the broker is down: the outbox sweep retries it)
            return


@shared_task(ignore_result=True)
def webhook_outbox_sweep() -> int:
    """Queue every webhook delivery that no task is carrying (run by beat)."""
    from events.webhooks import webhook_outbox_due

    due = webhook_outbox_due()
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    return len(due)
