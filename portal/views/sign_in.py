"""Signing in: an e-mail or phone number, then a code or magic link, then TOTP if set up.

By default nothing signs in alone but a code or link sent to an address on record: the
authenticator app and recovery codes are the second step (``Tenant.portal_sign_in``; a tenant
may allow them alone, as one factor, with ``CODE_OR_APP``).

Wrong answers are throttled per sign-in and per client address before any account locks, and
every answer is the same whether or not the address belongs to an account
(``portal.sign_in_codes``), so nobody can lock a user out with their address alone or learn who
has an account here.
"""

import secrets

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts import selectors as account_selectors
from accounts.models import EndUser, FirstFactor, PortalSignIn, Tenant
from accounts.phones import phone_number_normalize
from devices.factors.one_time_codes import (
    MAX_SENDS,
    code_attempt_void,
    code_verify,
    magic_link_get,
    magic_link_use,
)
from devices.factors.recovery_codes import recovery_code_use, recovery_codes_remaining
from devices.factors.totp import totp_authenticator, totp_verify
from devices.models import CodeChannel, CodePurpose
from devices.passkeys import passkey_exists, portal_relying_party
from events.services import event_record
from portal import sessions
from portal.activity import address_mask
from portal.sessions import Pending
from portal.sign_in_codes import (
    address_key,
    sign_in_spent,
    source_refusal,
    unknown_address_failure,
)
from portal.tasks import sign_in_code_send
from recognize_project.errors import ApplicationError
from recognize_project.notifications import notify_after_response

_CODE_FACTOR = {CodeChannel.EMAIL: FirstFactor.EMAIL_OTP, CodeChannel.SMS: FirstFactor.SMS_OTP}
_OTHER_FACTORS = {FirstFactor.TOTP: totp_verify, FirstFactor.RECOVERY_CODE: recovery_code_use}
_WRONG = {
    FirstFactor.EMAIL_OTP: "Wrong or used code",
    FirstFactor.SMS_OTP: "Wrong or used code",
    FirstFactor.TOTP: "Wrong code",
    FirstFactor.RECOVERY_CODE: "Wrong or used recovery code",
}
_SPENT = "Too many wrong answers for this sign-in. Ask for a new code."


def _not_found(request):
    return render(
        request,
        "portal/message.html",
        {"title": "Page not found", "message": "Check the link you were given."},
        status=404,
    )


def _tenant(tenant_id: str) -> Tenant | None:
    return account_selectors.tenant_get(tenant_id=str(tenant_id))


def _email_factors(tenant: Tenant) -> set[str]:
    return {FirstFactor.EMAIL_OTP, FirstFactor.EMAIL_MAGIC_LINK} & set(tenant.first_factors)


@require_http_methods(["GET", "POST"])
def sign_in_page(request, tenant_id):
    """Ask for an e-mail address (or phone number) and send a code to it."""
    tenant = _tenant(tenant_id)
    if tenant is None:
        return _not_found(request)
    sms = FirstFactor.SMS_OTP in tenant.first_factors
    context = {"tenant": tenant, "sms": sms, "email": bool(_email_factors(tenant))}
    if request.method == "GET":
        return render(request, "portal/sign_in.html", context)
    address = request.POST.get("address", "").strip()[:254]
    context["address"] = address
    channel = CodeChannel.EMAIL if "@" in address else CodeChannel.SMS
    allowed = context["email"] if channel == CodeChannel.EMAIL else sms
    if not address or not allowed:
        context["error"] = "Enter your e-mail address" + (" or phone number." if sms else ".")
        return render(request, "portal/sign_in.html", context, status=400)
    if channel == CodeChannel.SMS:
        try:
            address = phone_number_normalize(address, tenant=tenant)
        except ApplicationError as invalid:
            context["error"] = invalid.message
            return render(request, "portal/sign_in.html", context, status=400)
    refusal = source_refusal(request, tenant)
    if refusal:
        context["error"] = refusal
        return render(request, "portal/sign_in.html", context, status=429)
    lookup = {"email": address} if channel == CodeChannel.EMAIL else {"phone_number": address}
    user = account_selectors.user_by_address(tenant=tenant, **lookup)
    pending = Pending(
        tenant=str(tenant.pk),
        channel=channel,
        masked=address_mask(address),
        user=user.pk if user else None,
        attempt=secrets.token_urlsafe(16),
        address_key="" if user else address_key(tenant, address),
    )
    _send(pending)
    request.session.cycle_key()
    sessions.pending_set(request, pending)
    return redirect("portal:code")


def _send(pending: Pending) -> None:
    """Queue this sign-in's code, for an unknown address too (where the task does nothing)."""
    notify_after_response(
        sign_in_code_send,
        str(pending.user or ""),
        pending.channel,
        CodePurpose.SIGN_IN,
        pending.attempt,
    )


def _answer_refusal(
    tenant: Tenant, user: EndUser | None, pending: Pending, factor: str, code: str
) -> str:
    """ "" when ``code`` signs ``user`` in for ``factor``, else what to tell the visitor.

    A wrong answer counts toward this sign-in's limit (then its code stops working) and the
    factor's account-wide lockout; an address without an account gets the same answers.
    """
    what = _WRONG[factor]
    try:
        if sign_in_spent(tenant, pending):
            return _SPENT
        if user is None:
            raise unknown_address_failure(tenant, pending, what)
        if factor in _OTHER_FACTORS:
            _OTHER_FACTORS[factor](user=user, code=code)
        else:
            code_verify(
                user=user,
                channel=pending.channel,
                purpose=CodePurpose.SIGN_IN,
                code=code,
                attempt=pending.attempt,
            )
        return ""
    except ApplicationError as error:
        if error.status == 429 or "lockedUntil" in error.extra or error.code == "code_expired":
            return error.message
        pending.failures += 1
        if sign_in_spent(tenant, pending):
            if user is not None and factor not in _OTHER_FACTORS:
                code_attempt_void(
                    user=user,
                    channel=pending.channel,
                    purpose=CodePurpose.SIGN_IN,
                    attempt=pending.attempt,
                )
            return _SPENT
        left = tenant.lockout_threshold - pending.failures
        return f"{what}. {left} more attempt(s) with this sign-in."


@require_http_methods(["GET", "POST"])
def code_page(request):
    """Enter the code that was sent (or another first factor), or ask for a new code."""
    pending = sessions.pending_get(request)
    tenant = pending and _tenant(pending.tenant)
    if tenant is None or pending.step != "first":
        return redirect("portal:signed-out")
    user = EndUser.objects.filter(pk=pending.user, tenant=tenant).first() if pending.user else None
    factors = set(tenant.first_factors)
    context = {
        "tenant": tenant,
        "pending": pending,
        "code_allowed": _CODE_FACTOR[pending.channel] in factors,
        "link_sent": pending.channel == CodeChannel.EMAIL
        and FirstFactor.EMAIL_MAGIC_LINK in factors,
        "others": _alone_factors(tenant),
    }
    if request.method == "POST":
        step = request.POST.get("step", "code")
        if step == "resend":
            refusal = source_refusal(request, tenant)
            if refusal:
                context["error"] = refusal
            else:
                context["notice"], context["error"] = _resend(tenant, user, pending)
        else:
            factor = _CODE_FACTOR[pending.channel] if step == "code" else step
            if factor not in factors or factor not in {
                *context["others"],
                _CODE_FACTOR[pending.channel],
            }:
                context["error"] = "Choose one of the ways offered."
            else:
                refusal = source_refusal(request, tenant) or _answer_refusal(
                    tenant, user, pending, factor, request.POST.get("code", "")[:64]
                )
                if not refusal:
                    return _first_factor_passed(request, user, factor)
                context["error"] = refusal
        sessions.pending_set(request, pending)
    status = 400 if context.get("error") else 200
    return render(request, "portal/code.html", context, status=status)


def _alone_factors(tenant: Tenant) -> list[str]:
    """The factors that may sign in without a code or link first: none by default."""
    if tenant.portal_sign_in != PortalSignIn.CODE_OR_APP:
        return []
    return [f for f in _OTHER_FACTORS if f in tenant.first_factors]


def _resend(tenant: Tenant, user: EndUser | None, pending: Pending) -> tuple[str, str]:
    """(notice, error) after a resend: a new code for this sign-in, with its own attempts;
    counted the same way for unknown addresses."""
    if pending.sends >= MAX_SENDS:
        return "", "Too many codes were sent recently. Wait a few minutes, then ask again."
    _send(pending)
    pending.sends += 1
    pending.failures = 0
    return "We sent a new code. Only the newest code works.", ""


def _has_portal_passkey(user: EndUser) -> bool:
    return passkey_exists(user=user, rp=portal_relying_party(user.tenant))


def _first_factor_passed(request, user: EndUser, factor: str):
    """Go on to the second step when the user has TOTP or a passkey, or finish signing in."""
    needs_second = factor not in _OTHER_FACTORS and (
        totp_authenticator(user=user) is not None or _has_portal_passkey(user)
    )
    if needs_second:
        request.session.cycle_key()
        sessions.pending_set(
            request,
            Pending(tenant=str(user.tenant_id), channel="", masked="", user=user.pk, step="second"),
        )
        return redirect("portal:second-factor")
    return _signed_in(request, user, [factor])


def _signed_in(request, user: EndUser, factors: list[str]):
    sessions.sign_in(request, user)
    if FirstFactor.RECOVERY_CODE in factors:
        left = recovery_codes_remaining(user=user)
        messages.warning(
            request,
            f"You used a recovery code; {left} left."
            + (" Make new ones soon." if left <= 3 else ""),
        )
    event_record(
        tenant=user.tenant,
        user=user,
        event_type="portal.signed_in",
        factors=" + ".join(factors),
    )
    return redirect("portal:home")


@require_http_methods(["GET", "POST"])
def second_factor_page(request):
    """The second step after a code or link: a passkey or TOTP (or a recovery code instead);
    the passkey answers through ``portal.views.passkeys``."""
    pending = sessions.pending_get(request)
    if pending is None or pending.step != "second":
        return redirect("portal:signed-out")
    user = EndUser.objects.select_related("tenant").filter(pk=pending.user).first()
    if user is None:
        return redirect("portal:signed-out")
    context = {
        "tenant": user.tenant,
        "has_totp": totp_authenticator(user=user) is not None,
        "has_passkey": _has_portal_passkey(user),
    }
    if request.method == "POST":
        factor = request.POST.get("step", FirstFactor.TOTP)
        refusal = source_refusal(request, user.tenant)
        if not refusal and factor not in _OTHER_FACTORS:
            refusal = "Choose one of the ways offered."
        elif not refusal:
            refusal = _answer_refusal(
                user.tenant, user, pending, factor, request.POST.get("code", "")[:64]
            )
        if refusal:
            sessions.pending_set(request, pending)
            context["error"] = refusal
            return render(request, "portal/second_factor.html", context, status=400)
        return _signed_in(request, user, ["e-mail or SMS", factor])
    return render(request, "portal/second_factor.html", context)


@require_http_methods(["GET", "POST"])
def magic_link_page(request):
    """A magic link, ``/portal/link#token=...``: GET shows a button (mail scanners that fetch
    links spend nothing) and the page's script moves the token from the URL fragment, which no
    server logs, into the form; POST spends the link and signs this browser in."""
    if request.method == "GET":
        return render(request, "portal/magic_link.html", {})
    token = request.POST.get("token", "")[:128]
    row = magic_link_get(token=token) if token else None
    if row is None or FirstFactor.EMAIL_MAGIC_LINK not in row.tenant.first_factors:
        return render(
            request,
            "portal/message.html",
            {
                "title": "This link is not valid",
                "message": "Ask for a new sign-in link.",
                "action_url": reverse("portal:front-door"),
                "action_label": "Sign in",
            },
            status=400,
        )
    try:
        row = magic_link_use(token=token)
    except ApplicationError as error:
        context = {"tenant": row.tenant, "error": error.message}
        context["sign_in_url"] = _sign_in_url(row.tenant)
        return render(request, "portal/magic_link.html", context, status=400)
    return _first_factor_passed(request, row.user, FirstFactor.EMAIL_MAGIC_LINK)


def _sign_in_url(tenant: Tenant) -> str:
    return reverse("portal:sign-in", args=[tenant.pk])


@require_http_methods(["POST"])
def sign_out_view(request):
    """Sign out: the session is deleted on the server."""
    user = sessions.signed_in_user(request)
    sessions.sign_out(request)
    if user is None:
        return redirect("portal:signed-out")
    messages.success(request, "You are signed out.")
    event_record(tenant=user.tenant, user=user, event_type="portal.signed_out")
    return redirect(_sign_in_url(user.tenant))


def signed_out_page(request):
    """Where a visitor without a session lands."""
    return render(
        request,
        "portal/message.html",
        {
            "title": "You are not signed in",
            "message": "Sign in to see your devices and keep your account safe.",
            "action_url": reverse("portal:front-door"),
            "action_label": "Sign in",
        },
    )


def front_door_page(request):
    """``/``: a signed-in user's account, the one tenant's sign-in, or a choice of services.

    Links in e-mails and on the other pages lead here when they cannot name the tenant.
    """
    if sessions.signed_in_user(request) is not None:
        return redirect("portal:home")
    tenants = list(account_selectors.tenant_list(limit=100))
    if len(tenants) == 1:
        return redirect(_sign_in_url(tenants[0]))
    return render(request, "portal/front_door.html", {"tenants": tenants})
