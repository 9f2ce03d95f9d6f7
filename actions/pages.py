"""The page behind the ``url`` that track returns: what the user sees in the browser.

It shows the action's state, and while a challenge is pending a QR code carrying the deep link
with which the user's app picks the challenge up; it refreshes itself and, once the challenge
succeeded, sends the user back to the tenant's ``redirectUrl`` with the new token.
"""

from io import BytesIO
from urllib.parse import urlencode, urlsplit, urlunsplit

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.conf import settings
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from accounts import selectors as account_selectors
from actions import selectors
from actions.models import ActionState
from actions.tokens import token_decode, token_issue
from recognize_project.errors import ApplicationError

DEEP_LINK_SCHEME = "recognize"


def qr_svg(text: str) -> str:
    """``text`` as an inline SVG QR code."""
    # Level L (7 % redundancy) keeps long links (a token is ~500 characters) to fewer, larger
    # modules, which phone cameras read more easily off a screen.
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=8,
        error_correction=qrcode.constants.ERROR_CORRECT_L,
    )
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def _with_token(url: str, token: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({"token": token})))


@require_GET
def challenge_page(request):
    """Show a tracked action to its user (the token in the query names it)."""
    try:
        claims = token_decode(request.GET.get("token", ""), status=400)
    except ApplicationError as error:
        return render(request, "actions/challenge.html", {"error": error.message}, status=400)
    tenant = account_selectors.tenant_get(tenant_id=claims.tenant_id)
    action = tenant and selectors.action_get(tenant=tenant, idempotency_key=claims.idempotency_key)
    if action is None:
        return render(request, "actions/challenge.html", {"error": "Unknown action."}, status=404)
    context = {"action": action, "pending": action.state == ActionState.CHALLENGE_REQUIRED}
    if context["pending"]:
        link = f"{DEEP_LINK_SCHEME}://verify?" + urlencode(
            {"server": settings.RECOGNIZE_PUBLIC_URL, "token": request.GET["token"]}
        )
        context.update(deep_link=link, qr=mark_safe(qr_svg(link)))  # noqa: S308 (our SVG)
    elif action.state == ActionState.CHALLENGE_SUCCEEDED and action.redirect_url:
        context["continue_url"] = _with_token(action.redirect_url, token_issue(action=action))
    return render(request, "actions/challenge.html", context)
