"""Celery entry points for actions."""

from celery import shared_task

from actions import services


@shared_task(ignore_result=True)
def expired_purge() -> None:
    """Delete challenges and consumed-token records that can no longer be used."""
    services.expired_purge()
