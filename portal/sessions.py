"""The portal's session: who is signed in, how far a sign-in got, and when they last re-authed.

Portal users are a tenant's end users, not Django users, so the session keeps their ids
itself. The session lives on the server (database backend): signing out deletes it, and the
session key changes at each step up in privilege, so a planted cookie gains nothing.
"""

import time
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import EndUser

USER = "portal_user"
PENDING = "portal_pending"
REAUTH_AT = "portal_reauth_at"
TOTP_PENDING = "portal_totp_pending"
#: How long a re-authentication lets the user delete devices and change factors.
REAUTH_SECONDS = 300


@dataclass
class Pending:
    """A sign-in in progress. ``user`` is None for an address that matches nobody: the pages
    behave the same either way, so they reveal nothing about who has an account."""

    tenant: str
    channel: str
    masked: str
    user: int | None
    step: str = "first"  # "first": a code or link is due; "second": the TOTP step
    sends: int = 1
    #: This sign-in's codes (``OneTimeCode.attempt``): another sign-in never replaces them.
    attempt: str = ""
    #: Wrong answers in this sign-in; at the tenant's threshold its code stops working.
    failures: int = 0
    #: For an unknown address: the keyed hash its simulated lockout is kept under.
    address_key: str = ""


def pending_get(request: HttpRequest) -> Pending | None:
    data = request.session.get(PENDING)
    return Pending(**data) if data else None


def pending_set(request: HttpRequest, pending: Pending) -> None:
    request.session[PENDING] = pending.__dict__


def sign_in(request: HttpRequest, user: EndUser) -> None:
    """Make ``user`` the signed-in user of this browser, under a new session key."""
    request.session.pop(PENDING, None)
    request.session.cycle_key()
    request.session[USER] = user.pk


def sign_out(request: HttpRequest) -> None:
    """End the session on the server; the old cookie no longer works."""
    request.session.flush()


def signed_in_user(request: HttpRequest) -> EndUser | None:
    user_id = request.session.get(USER)
    if user_id is None:
        return None
    return EndUser.objects.select_related("tenant").filter(pk=user_id).first()


def reauth_mark(request: HttpRequest) -> None:
    request.session.cycle_key()
    request.session[REAUTH_AT] = time.time()


def reauth_fresh(request: HttpRequest) -> bool:
    return time.time() - request.session.get(REAUTH_AT, 0) < REAUTH_SECONDS


def portal_login_required(view):
    """Only for a signed-in user, who is passed to the view as ``user``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = signed_in_user(request)
        if user is None:
            return redirect("portal:signed-out")
        return view(request, *args, user=user, **kwargs)

    return wrapper


def reauth_detour(request: HttpRequest) -> HttpResponse | None:
    """A redirect to re-authenticate (and come back) unless the user just did."""
    if reauth_fresh(request):
        return None
    return redirect(reverse("portal:reauth") + "?" + urlencode({"next": request.path}))


def reauth_required(view):
    """Only right after a re-authentication; otherwise off to re-authenticate first."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return reauth_detour(request) or view(request, *args, **kwargs)

    return wrapper
