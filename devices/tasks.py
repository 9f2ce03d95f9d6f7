"""Celery entry points for devices."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from devices.models import Device


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
        "portal_url": settings.RECOGNIZE_PUBLIC_URL,
    }
    send_mail(
        subject=f"A new device was added to your {device.tenant.name} account",
        message=render_to_string("email/device_bound.txt", context),
        html_message=render_to_string("email/device_bound.html", context),
        from_email=None,
        recipient_list=[device.user.email],
    )
    return True
