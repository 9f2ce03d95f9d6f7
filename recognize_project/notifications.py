"""Queueing a message to the user (e-mail, SMS) once the change that caused it commits.

With a broker, the task is queued and a worker retries it until the provider takes it. In the
embedded default (eager Celery, no worker) the task runs in the request: if the provider is
down it cannot be retried later, so the failure is logged and the request that caused it still
succeeds — the user can ask again.
"""

import logging

from celery import Task
from django.db import transaction

from recognize_project.celery import app

logger = logging.getLogger(__name__)


def notify_after_commit(task: Task, *args: str) -> None:
    """Run ``task.delay(*args)`` after the current transaction commits."""

    def send() -> None:
        if not app.conf.task_always_eager:
            task.delay(*args)
            return
        try:
            task.delay(*args)
        except Exception as error:  # noqa: BLE001 (eager mode: nothing can retry it later)
            logger.warning("%s failed and cannot be retried: %s", task.name, type(error).__name__)

    transaction.on_commit(send)
