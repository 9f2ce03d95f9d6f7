"""Celery entry points of the portal: sending a sign-in code.

A sign-in request queues this task whether or not the address has an account, and in the
embedded default it runs after the response went out (``notify_after_response``), so the
request takes the same time either way (security item 3: no user enumeration by timing).
"""

from celery import shared_task


@shared_task(ignore_result=True)
def sign_in_code_send(user_id: str, channel: str, purpose: str, attempt: str) -> bool:
    """Send the code (and link) of a sign-in attempt to ``user_id``; "" is nobody: no-op."""
    from portal.sign_in_codes import sign_in_code_deliver

    return sign_in_code_deliver(user_id=user_id, channel=channel, purpose=purpose, attempt=attempt)
