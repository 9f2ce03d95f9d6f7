"""Celery entry points for devices: the new-device e-mail, and one-time codes by e-mail or SMS."""

import uuid

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from devices.factors.sms import SMS, WHATSAPP, SmsError, sms_backend
from devices.models import CodeChannel, Device, OneTimeCode
from recognize_project.task_payloads import CODE_DELIVERY, payload_open


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def device_bound_notify(device_id: str) -> bool:
    """E-mail the user that a new device was bound to their account."""
    device = Device.objects.select_related("user", "tenant").filter(pk=device_id).first()
    if device is None or not device.user.email:
        return False
    context = {
        "device": device,
        "user": device.user,
        "tenant": device.tenant,
        "portal_url": settings.RECOGNIZE_PUBLIC_URL
        + reverse("portal:sign-in", args=[device.tenant_id]),
    }
    send_mail(
        subject=f"A new device was added to your {device.tenant.name} account",
        message=render_to_string("email/device_bound.txt", context),
        html_message=render_to_string("email/device_bound.html", context),
        from_email=None,
        recipient_list=[device.user.email],
    )
    return True


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
            channel=WHATSAPP if row.channel == CodeChannel.WHATSAPP else SMS,
        )
    return True
