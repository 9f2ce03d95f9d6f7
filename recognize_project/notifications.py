"""Queueing work for a worker once the change that caused it commits.

If the task cannot be queued (the broker is down) or, in the embedded default, runs in the
request and fails, the failure is logged and the request that caused it still succeeds: the
change is committed and should not be reported as failed. What must not be lost has its own
record to come back to (webhooks: the outbox, swept periodically); a code that did not go out
can be asked for again.
"""

import logging
from contextvars import ContextVar

from celery import Task
from django.core.signals import request_finished
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


_after_response: ContextVar[list[tuple[Task, tuple[str, ...]]] | None] = ContextVar(
    "after_response", default=None
)


def notify_after_response(task: Task, *args: str) -> None:
    """Like ``notify_after_commit``, but where tasks run in the request (the embedded default)
    the task runs only once the response has been sent, when the WSGI server closes it.

    For work whose duration must not show in the response time: a sign-in request for an
    address with an account (a code is sent) must take as long as one for an address without.
    Outside a request, and with a worker, it is ``notify_after_commit``.
    """
    deferred = _after_response.get()
    if deferred is None or not task.app.conf.task_always_eager:
        notify_after_commit(task, *args)
        return
    transaction.on_commit(lambda: deferred.append((task, args)))


class AfterResponseMiddleware:
    """Collects the request's ``notify_after_response`` tasks and runs them once the response
    is closed (Django's ``request_finished``, after the WSGI server sent the body)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _after_response.set([])
        return self.get_response(request)


def run_after_response(**kwargs: object) -> None:
    """``request_finished`` receiver: run and forget what the finished request deferred."""
    deferred = _after_response.get()
    if not deferred:
        return
    _after_response.set([])
    for task, args in deferred:
        try:
            task.delay(*args)
        except Exception as error:  # noqa: BLE001 (see the module docstring)
            logger.warning("%s failed after the response: %s", task.name, type(error).__name__)


request_finished.connect(run_after_response, dispatch_uid="recognize-after-response")
