"""Signing in: an e-mail or phone number, then a code or magic link, then TOTP if set up.

Every answer is the same whether or not the address belongs to an account: for an unknown
address no code is sent, but the pages, messages and lockout behave exactly as for a real one
(the lockout is simulated in the session with the same throttle code), so nobody learns who
has an account here.
"""

from datetime import UTC, datetime

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts import selectors as account_selectors
from accounts.models import EndUser, FirstFactor, Tenant
from devices.factors.one_time_codes import (
    MAX_SENDS,
    code_send,
    code_verify,
    magic_link_get,
    magic_link_use,
)
from devices.factors.recovery_codes import recovery_code_use
from devices.factors.totp import totp_authenticator, totp_verify
from devices.lockout import LockoutPolicy, ThrottleState, attempt_failure, raise_if_locked
from devices.models import CodeChannel, CodePurpose
from devices.passkeys import passkey_exists, portal_relying_party
from events.services import event_record
from portal import sessions
from portal.sessions import Pending
from recognize_project.errors import ApplicationError

_CODE_FACTOR = {CodeChannel.EMAIL: FirstFactor.EMAIL_OTP, CodeChannel.SMS: FirstFactor.SMS_OTP}
_OTHER_FACTORS = {FirstFactor.TOTP: totp_verify, FirstFactor.RECOVERY_CODE: recovery_code_use}


def _mask(address: str) -> str:
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}•••@{domain}"
    return f"•••{address[-2:]}"


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
    channel = CodeChannel.EMAIL if "@" in address else CodeChannel.SMS
    allowed = context["email"] if channel == CodeChannel.EMAIL else sms
    if not address or not allowed or (channel == CodeChannel.SMS and not _phone_like(address)):
        context["error"] = "Enter your e-mail address" + (" or phone number." if sms else ".")
        return render(request, "portal/sign_in.html", context, status=400)
    lookup = {"email": address} if channel == CodeChannel.EMAIL else {"phone_number": address}
    user = account_selectors.user_by_address(tenant=tenant, **lookup)
    if user is not None:
        _send(tenant, user, channel, CodePurpose.SIGN_IN)
    request.session.cycle_key()
    sessions.pending_set(
        request,
        Pending(
            tenant=str(tenant.pk),
            channel=channel,
            masked=_mask(address),
            user=user.pk if user else None,
        ),
    )
    return redirect("portal:code")


def _phone_like(address: str) -> bool:
    digits = address.removeprefix("+").replace(" ", "")
    return digits.isdigit() and 6 <= len(digits) <= 15


def _send(tenant: Tenant, user: EndUser, channel: str, purpose: str) -> ApplicationError | None:
    """Send a code; a refusal (locked, too many) is returned, not raised."""
    with_link = (
        channel == CodeChannel.EMAIL and FirstFactor.EMAIL_MAGIC_LINK in tenant.first_factors
    )
    try:
        code_send(user=user, channel=channel, purpose=purpose, with_link=with_link)
    except ApplicationError as error:
        return error
    return None


def _simulated_failure(tenant: Tenant, pending: Pending, what: str) -> ApplicationError:
    """The error a real authenticator would give, for an address that matches nobody."""
    state = ThrottleState(
        LockoutPolicy.of_tenant(tenant),
        failure_count=pending.failure_count,
        lockout_count=pending.lockout_count,
        locked_until=_from_timestamp(pending.locked_until),
    )
    try:
        raise_if_locked(state)
    except ApplicationError as locked:
        return locked
    state.throttle_increment()
    pending.failure_count, pending.lockout_count = state.failure_count, state.lockout_count
    pending.locked_until = state.locked_until.timestamp() if state.locked_until else None
    return attempt_failure(state, "invalid_code", what)


def _from_timestamp(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


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
        "others": [f for f in _OTHER_FACTORS if f in factors],
    }
    if request.method == "POST":
        step = request.POST.get("step", "code")
        if step == "resend":
            context["notice"], context["error"] = _resend(tenant, user, pending)
        else:
            factor = _CODE_FACTOR[pending.channel] if step == "code" else step
            if factor not in factors or factor not in {*_OTHER_FACTORS, *_CODE_FACTOR.values()}:
                context["error"] = "Choose one of the ways offered."
            else:
                code = request.POST.get("code", "")[:64]
                try:
                    if user is None:
                        raise _simulated_failure(tenant, pending, "Wrong or expired code")
                    if factor in _OTHER_FACTORS:
                        _OTHER_FACTORS[factor](user=user, code=code)
                    else:
                        code_verify(
                            user=user,
                            channel=pending.channel,
                            purpose=CodePurpose.SIGN_IN,
                            code=code,
                        )
                except ApplicationError as error:
                    context["error"] = error.message
                else:
                    return _first_factor_passed(request, user, factor)
        sessions.pending_set(request, pending)
    status = 400 if context.get("error") else 200
    return render(request, "portal/code.html", context, status=status)


def _resend(tenant: Tenant, user: EndUser | None, pending: Pending) -> tuple[str, str]:
    """(notice, error) after a resend; counts sends the same way for unknown addresses."""
    refusal = None
    if pending.sends >= MAX_SENDS:
        refusal = "Too many codes were sent recently. Wait a few minutes, then ask again."
    elif user is not None:
        error = _send(tenant, user, pending.channel, CodePurpose.SIGN_IN)
        if error is not None and error.code == "too_many_codes":
            refusal = error.message
    if refusal:
        return "", refusal
    pending.sends += 1
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
        verify = _OTHER_FACTORS.get(factor)
        try:
            if verify is None:
                raise ApplicationError("invalid_request", "Choose one of the ways offered.")
            verify(user=user, code=request.POST.get("code", "")[:64])
        except ApplicationError as error:
            context["error"] = error.message
            return render(request, "portal/second_factor.html", context, status=400)
        return _signed_in(request, user, ["e-mail or SMS", factor])
    return render(request, "portal/second_factor.html", context)


@require_http_methods(["GET", "POST"])
def magic_link_page(request, token: str):
    """A magic link: GET shows a button (mail scanners that fetch links spend nothing);
    POST spends the link and signs this browser in."""
    row = magic_link_get(token=token)
    if row is None or FirstFactor.EMAIL_MAGIC_LINK not in row.tenant.first_factors:
        return render(
            request,
            "portal/message.html",
            {"title": "This link is not valid", "message": "Ask for a new sign-in link."},
            status=400,
        )
    context = {"tenant": row.tenant, "token": token}
    try:
        if request.method == "POST":
            row = magic_link_use(token=token)
            return _first_factor_passed(request, row.user, FirstFactor.EMAIL_MAGIC_LINK)
        if row.used_at is not None:
            raise ApplicationError("link_used", "This sign-in link was already used or replaced.")
        if row.expires_at <= datetime.now(tz=UTC):
            raise ApplicationError("link_expired", "This sign-in link has expired.")
    except ApplicationError as error:
        context.update(error=error.message, sign_in_url=_sign_in_url(row.tenant))
        return render(request, "portal/magic_link.html", context, status=400)
    return render(request, "portal/magic_link.html", context)


def _sign_in_url(tenant: Tenant) -> str:
    return reverse("portal:sign-in", args=[tenant.pk])


@require_http_methods(["POST"])
def sign_out_view(request):
    """Sign out: the session is deleted on the server."""
    user = sessions.signed_in_user(request)
    sessions.sign_out(request)
    if user is None:
        return redirect("portal:signed-out")
    event_record(tenant=user.tenant, user=user, event_type="portal.signed_out")
    return redirect(_sign_in_url(user.tenant))


def signed_out_page(request):
    """Where a visitor without a session lands."""
    return render(
        request,
        "portal/message.html",
        {
            "title": "You are not signed in",
            "message": "Open the sign-in link of the service you use to reach your account.",
        },
    )
