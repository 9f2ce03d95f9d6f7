"""Celery entry points for actions."""

from celery import shared_task

from actions import services, webhooks


@shared_task(ignore_result=True)
def expired_purge() -> None:
    """Delete challenges and consumed-token records that can no longer be used."""
    services.expired_purge()


@shared_task(ignore_result=True)
def webhook_deliver(delivery_id: str) -> None:
    """Deliver one outbox row; schedule its next attempt if it failed."""

    wait = webhooks.webhook_delivery_attempt(delivery_id)
    if wait is not None and not webhook_deliver.app.conf.task_always_eager:
        try:
            webhook_deliver.apply_async((delivery_id,), countdown=wait)
        except Exception:  # noqa: BLE001 (the broker is down: the outbox sweep retries it)
            return


@shared_task(ignore_result=True)
def webhook_outbox_sweep() -> int:
    """Queue every webhook and push delivery that no task is carrying (run by beat)."""
    from actions.push import push_outbox_due

    due = webhooks.webhook_outbox_due()
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    pushes = push_outbox_due()
    for challenge_id in pushes:
        push_deliver.delay(challenge_id)
    return len(due) + len(pushes)


@shared_task(ignore_result=True)
def push_deliver(challenge_id: str) -> None:
    """Deliver a push challenge; try again shortly if a gateway failed for now."""
    from actions.push import push_challenge_deliver

    if push_challenge_deliver(challenge_id) and not push_deliver.app.conf.task_always_eager:
        try:
            push_deliver.apply_async((challenge_id,), countdown=2)
        except Exception:  # noqa: BLE001 (the broker is down: the outbox sweep retries it)
            return
