"""The page behind the ``url`` that track returns: what the user sees in the browser.

It shows the action's state, and while a challenge is pending a QR code carrying the deep link
with which the user's app picks the challenge up; it refreshes itself and, once the challenge
succeeded, sends the user back to the tenant's ``redirectUrl`` with the new token.

The action token never travels in a query string, where every server and proxy on the way
logs it: track's ``url`` is ``/challenge#token=...``; the fragment stays in the browser, whose
script (``static/fragment.js``) posts the token to this page and clears it from the address
bar. The deep link and the way back to the tenant carry their tokens in fragments too.
"""

from io import BytesIO
from urllib.parse import urlencode, urlsplit, urlunsplit

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.conf import settings
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

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


def with_fragment_token(url: str, token: str) -> str:
    """``url`` with ``token=<token>`` added to its fragment (never to its query)."""
    parts = urlsplit(url)
    fragment = f"{parts.fragment}&" if parts.fragment else ""
    return urlunsplit(parts._replace(fragment=fragment + urlencode({"token": token})))


@csrf_exempt  # reads state only; the token in the body is the credential, not a cookie
@require_http_methods(["GET", "POST"])
def challenge_page(request):
    """Show a tracked action to its user. GET serves the page that reads the token from the
    URL fragment and posts it; POST (the token in the body) shows the action."""
    if request.method == "GET":
        return render(request, "actions/challenge.html", {"loading": True})
    token = request.POST.get("token", "")
    try:
        claims = token_decode(token, status=400)
    except ApplicationError as error:
        return render(request, "actions/challenge.html", {"error": error.message}, status=400)
    tenant = account_selectors.tenant_get(tenant_id=claims.tenant_id)
    action = tenant and selectors.action_get(tenant=tenant, idempotency_key=claims.idempotency_key)
    if action is None:
        return render(request, "actions/challenge.html", {"error": "Unknown action."}, status=404)
    context = {
        "action": action,
        "pending": action.state == ActionState.CHALLENGE_REQUIRED,
        "token": token,
    }
    if context["pending"]:
        link = with_fragment_token(
            f"{DEEP_LINK_SCHEME}://verify#" + urlencode({"server": settings.RECOGNIZE_PUBLIC_URL}),
            token,
        )
        context.update(deep_link=link, qr=mark_safe(qr_svg(link)))  # noqa: S308 (our SVG)
    elif action.state == ActionState.CHALLENGE_SUCCEEDED and action.redirect_url:
        context["continue_url"] = with_fragment_token(
            action.redirect_url, token_issue(action=action)
        )
    response = render(request, "actions/challenge.html", context)
    response["Cache-Control"] = "no-store"
    return response
