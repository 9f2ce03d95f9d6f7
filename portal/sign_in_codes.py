"""How the portal's sign-in throttles guessing and hides who has an account.

Guesses are throttled at their source before they can lock anyone's account (security item 2):
each sign-in (``Pending``) allows the tenant's threshold of wrong answers, after which its code
stops working and a new one must be asked for, and each client address may make
``RECOGNIZE_PORTAL_ATTEMPTS_PER_MINUTE`` sign-in requests and answers a minute (10). Only past
both does the account-wide limit of a first factor
(``devices.conf.DEVICES_FIRST_FACTOR_LOCKOUT_THRESHOLD``, at most NIST's 100) come into play,
and it locks only the factor that was attacked. Starting a sign-in never cancels
another one's code (``OneTimeCode.attempt``).

An address without an account behaves the same (item 3): the same pages and messages, the
same per-sign-in limit, an account-wide lockout simulated under a keyed hash of the address in
the cache, and the same work in the request — the code is sent by a task queued for both,
which in the embedded default runs after the response went out.
"""

import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest

from accounts.models import EndUser, FirstFactor, Tenant
from devices import conf as devices_conf
from devices.factors.one_time_codes import code_send
from devices.lockout import LockoutPolicy, ThrottleState, attempt_failure, raise_if_locked
from devices.models import CodeChannel
from events.audit import client_ip
from portal.sessions import Pending
from recognize_project import keys, ratelimit
from recognize_project.errors import ApplicationError


def sign_in_code_deliver(*, user_id: str, channel: str, purpose: str, attempt: str) -> bool:
    """Send the code (and link) of sign-in ``attempt``; a refusal (locked, too many sent) is
    not reported to the visitor, who is told only "if it belongs to an account"."""
    user = EndUser.objects.select_related("tenant").filter(pk=user_id).first() if user_id else None
    if user is None:
        return False
    with_link = (
        channel == CodeChannel.EMAIL and FirstFactor.EMAIL_MAGIC_LINK in user.tenant.first_factors
    )
    try:
        code_send(user=user, channel=channel, purpose=purpose, with_link=with_link, attempt=attempt)
    except ApplicationError:
        return False
    return True


def address_key(tenant: Tenant, address: str) -> str:
    """A keyed hash of an address, to keep state about it without keeping the address."""
    key = keys.derive("recognize/portal-address/v1")
    return hmac.new(key, f"{tenant.pk}:{address.lower()}".encode(), hashlib.sha256).hexdigest()


def source_refusal(request: HttpRequest, tenant: Tenant) -> str:
    """ "" while this client address may make another attempt, else what to tell it."""
    allowed, wait = ratelimit.hit(
        f"portal-attempt:{tenant.pk}:{client_ip(request)}",
        settings.RECOGNIZE_PORTAL_ATTEMPTS_PER_MINUTE,
    )
    if allowed:
        return ""
    return f"Too many attempts from your network. Try again in {wait} seconds."


def sign_in_spent(tenant: Tenant, pending: Pending) -> bool:
    """Whether this sign-in had its share of wrong answers (its code no longer works)."""
    return pending.failures >= tenant.lockout_threshold


def _first_factor_policy(tenant: Tenant) -> LockoutPolicy:
    return LockoutPolicy.of_tenant(tenant)._replace(
        threshold=devices_conf.DEVICES_FIRST_FACTOR_LOCKOUT_THRESHOLD
    )


def unknown_address_failure(tenant: Tenant, pending: Pending, what: str) -> ApplicationError:
    """The error a real e-mail or SMS authenticator would give, for an address that matches
    nobody, with its lockout kept in the cache like a real one's."""
    state = ThrottleState.cached(
        f"portal-unknown:{pending.address_key}", _first_factor_policy(tenant)
    )
    try:
        raise_if_locked(state)
    except ApplicationError as locked:
        return locked
    state.throttle_increment()
    return attempt_failure(state, "invalid_code", what)
