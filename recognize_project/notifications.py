"""Queueing work for a worker once the change that caused it commits.

If the task cannot be queued (the broker is down) or, in the embedded default, runs in the
request and fails, the failure is logged and the request that caused it still succeeds: the
change is committed and should not be reported as failed. What must not be lost has its own
record to come back to (webhooks: the outbox, swept periodically); a code that did not go out
can be asked for again.
"""

import logging

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def notify_after_commit(task: Task, *args: str) -> None:
    """Run ``task.delay(*args)`` after the current transaction commits; never raise."""

    def send() -> None:
        try:
            task.delay(*args)
        except Exception as error:  # noqa: BLE001 (see the module docstring)
            logger.warning("%s could not be queued or failed: %s", task.name, type(error).__name__)

    transaction.on_commit(send)
