"""Starting a recovery from the portal: the signed-in user passed a first factor; the new
phone scans the QR code (or opens the link), then proves the face with a selfie."""

from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from accounts.models import EndUser
from actions.pages import qr_svg
from biometrics.recovery import recovery_start
from portal.sessions import portal_login_required


@require_http_methods(["GET", "POST"])
@portal_login_required
def recovery_page(request, *, user: EndUser):
    """GET explains; POST starts a recovery and shows its QR code, link and token."""
    context = {"tenant": user.tenant}
    if request.method == "POST":
        started = recovery_start(tenant=user.tenant, user_id=user.external_id)
        context.update(
            started=started,
            qr=mark_safe(qr_svg(started.url)),  # noqa: S308 (our own SVG)
        )
    response = render(request, "portal/recovery.html", context)
    response["Cache-Control"] = "no-store"
    return response
