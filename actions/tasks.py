"""Celery entry points for actions.

``actions.push`` queues ``push_deliver``, so the task bodies import it where they run (a task
module and its service module need each other).
"""

from celery import shared_task


@shared_task(ignore_result=True)
def expired_purge() -> None:
    """Delete challenges and consumed-token records that can no longer be used."""
    from actions.services import expired_purge as purge

    purge()


@shared_task(ignore_result=True)
def push_outbox_sweep() -> int:
    """Queue every push delivery that no task is carrying (run by beat)."""
    from actions.push import push_outbox_due

    pushes = push_outbox_due()
    for challenge_id in pushes:
        push_deliver.delay(challenge_id)
    return len(pushes)


@shared_task(ignore_result=True)
def push_deliver(challenge_id: str) -> None:
    """Deliver a push challenge; try again shortly if a gateway failed for now."""
    from actions.push import push_challenge_deliver

    if push_challenge_deliver(challenge_id) and not push_deliver.app.conf.task_always_eager:
        try:
            push_deliver.apply_async((challenge_id,), countdown=2)
        except Exception:  # noqa: BLE001 (the broker is down: the outbox sweep retries it)
            return
