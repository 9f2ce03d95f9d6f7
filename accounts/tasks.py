"""Celery entry points for accounts: delivering one-time codes by e-mail or SMS."""

import uuid

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import CodeChannel, OneTimeCode
from accounts.sms import SmsError, sms_backend
from recognize_project.task_payloads import CODE_DELIVERY, payload_open


@shared_task(autoretry_for=(OSError, SmsError), retry_backoff=True, max_retries=6)
def one_time_code_deliver(code_id: str, payload: str) -> bool:
    """Send a code (and its magic link) to the address of its authenticator.

    The code and link arrive sealed (``payload``); a code already spent, superseded or
    expired is not sent.
    """
    row = (
        OneTimeCode.objects.select_related("authenticator", "tenant", "user")
        .filter(pk=code_id, used_at__isnull=True)
        .first()
    )
    if row is None:
        return False
    opened = payload_open(CODE_DELIVERY, uuid.UUID(code_id), payload)
    code, link = opened["code"].decode(), opened["link"].decode()
    tenant = row.tenant
    if row.channel == CodeChannel.EMAIL:
        # The link's token rides in the fragment: browsers never send it to a server log.
        link_url = (
            f"{settings.RECOGNIZE_PUBLIC_URL}{reverse('portal:magic-link')}#token={link}"
            if link
            else ""
        )
        context = {"tenant": tenant, "code": code, "link_url": link_url, "purpose": row.purpose}
        send_mail(
            subject=f"Your {tenant.name} sign-in code: {code}",
            message=render_to_string("email/one_time_code.txt", context),
            from_email=None,
            recipient_list=[row.authenticator.email],
        )
    else:
        sms_backend().send(
            to=row.authenticator.phone_number,
            body=f"{code} is your {tenant.name} code. It expires in 10 minutes.",
        )
    return True
