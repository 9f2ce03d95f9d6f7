"""Setting up TOTP (scan a QR code, confirm with a first code) and recovery codes (shown once).

Replacing an existing TOTP or set of recovery codes needs a fresh re-authentication; setting
up the first one does not (it only adds protection).
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from accounts.models import EndUser
from actions.pages import qr_svg
from devices.factors.recovery_codes import recovery_codes_generate, recovery_codes_remaining
from devices.factors.totp import (
    totp_authenticator,
    totp_enroll,
    totp_pending_open,
    totp_pending_seal,
    totp_secret_new,
    totp_uri,
)
from events.services import event_record
from portal import sessions
from portal.sessions import portal_login_required
from recognize_project.errors import ApplicationError


@require_http_methods(["GET", "POST"])
@portal_login_required
def totp_setup_page(request, *, user: EndUser):
    """Show a new secret as a QR code; a first code from the app confirms it."""
    if totp_authenticator(user=user) is not None and (detour := sessions.reauth_detour(request)):
        return detour
    secret = None
    sealed = request.session.get(sessions.TOTP_PENDING)
    if sealed:
        secret = totp_pending_open(user=user, sealed=sealed)
    context = {"tenant": user.tenant}
    if request.method == "POST" and secret is not None:
        try:
            totp_enroll(user=user, secret=secret, code=request.POST.get("code", "")[:16])
        except ApplicationError as error:
            context["error"] = error.message
        else:
            del request.session[sessions.TOTP_PENDING]
            event_record(tenant=user.tenant, user=user, event_type="totp.enrolled")
            messages.success(
                request,
                "Your authenticator app is set up: we will ask for its code when you sign in.",
            )
            return redirect("portal:home")
    if secret is None:
        secret = totp_secret_new()
        request.session[sessions.TOTP_PENDING] = totp_pending_seal(user=user, secret=secret)
    uri = totp_uri(user=user, secret=secret)
    context.update(
        qr=mark_safe(qr_svg(uri)),  # noqa: S308 (our own SVG)
        secret=" ".join(_groups(uri.split("secret=")[1].split("&")[0])),
    )
    return render(request, "portal/totp.html", context, status=400 if "error" in context else 200)


def _groups(text: str) -> list[str]:
    return [text[i : i + 4] for i in range(0, len(text), 4)]


@require_http_methods(["GET", "POST"])
@portal_login_required
def recovery_codes_page(request, *, user: EndUser):
    """GET explains; POST makes a new set and shows it this once."""
    remaining = recovery_codes_remaining(user=user)
    context = {"tenant": user.tenant, "remaining": remaining}
    if request.method == "POST":
        if remaining > 0 and (detour := sessions.reauth_detour(request)):
            return detour
        context["codes"] = recovery_codes_generate(user=user)
        event_record(tenant=user.tenant, user=user, event_type="recovery_codes.generated")
    response = render(request, "portal/recovery_codes.html", context)
    response["Cache-Control"] = "no-store"
    return response
