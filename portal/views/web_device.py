"""Using this browser as a device: the signed-in user, freshly re-authenticated, asks for a
single-use ``add:authenticators`` token, and the page's script (``static/portal-web-device.js``
with the ``recognize-web`` package) binds a non-extractable WebCrypto key with it."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import EndUser
from actions.services import portal_enrollment_grant
from devices import selectors as device_selectors
from portal.sessions import portal_login_required, reauth_fresh, reauth_required


@require_GET
@portal_login_required
@reauth_required
def web_device_page(request, *, user: EndUser):
    """Explains, and lets the script bind this browser (or says it already is a device)."""
    device_ids = device_selectors.device_list(user=user).values_list("pk", flat=True)
    context = {
        "tenant": user.tenant,
        "user": user,
        "device_ids": " ".join(str(pk) for pk in device_ids),
    }
    response = render(request, "portal/web_device.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@portal_login_required
def web_device_grant_view(request, *, user: EndUser):
    """A token that binds one device to the signed-in user, once; only right after a
    re-authentication (the page sends the user through it first)."""
    if not reauth_fresh(request):
        return JsonResponse(
            {"error": "reauth_required", "errorDescription": "Confirm it is you first."},
            status=403,
        )
    grant = portal_enrollment_grant(user=user)
    response = JsonResponse({"token": grant.token})
    response["Cache-Control"] = "no-store"
    return response
