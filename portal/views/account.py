"""The signed-in user's account: devices, authenticators, recent activity; deleting a device
or authenticator after a fresh re-authentication."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts.models import EndUser
from devices import selectors as device_selectors
from devices import services as device_services
from devices.factors.one_time_codes import code_send, code_verify
from devices.factors.recovery_codes import recovery_code_use, recovery_codes_remaining
from devices.factors.totp import totp_authenticator, totp_verify
from devices.models import CodeChannel, CodePurpose, DeviceType, VerificationMethod
from events.selectors import audit_event_list
from events.services import event_record
from portal import sessions
from portal.activity import activity_lines
from portal.sessions import portal_login_required, reauth_required
from recognize_project.errors import ApplicationError

#: Names users understand, for the verification methods.
METHOD_NAMES = {
    VerificationMethod.IN_APP: "App on a phone (device key)",
    VerificationMethod.PUSH: "Push notification",
    VerificationMethod.FACE: "Face",
    VerificationMethod.EMAIL_OTP: "E-mail code",
    VerificationMethod.SMS_OTP: "SMS code",
    VerificationMethod.EMAIL_MAGIC_LINK: "E-mail link",
    VerificationMethod.TOTP: "Authenticator app",
    VerificationMethod.RECOVERY_CODE: "Recovery codes",
    VerificationMethod.PASSKEY: "Passkey",
    VerificationMethod.SECURITY_KEY: "Security key",
}
DEVICE_TYPE_NAMES = {
    DeviceType.SDK: "Phone app",
    DeviceType.BACKUP: "Backup for recovery",
    DeviceType.TEMPORARY: "Temporary (this sign-in only)",
}

#: The platform the web client (clients/web) binds its devices with.
WEB_PLATFORM = "web"


@portal_login_required
def home_page(request, *, user: EndUser):
    """Devices, authenticators, security settings and recent activity on one page."""
    devices = list(device_selectors.device_list(user=user))
    for device in devices:
        device.type_name = DEVICE_TYPE_NAMES.get(device.type, device.type)
        if device.type == DeviceType.SDK and device.platform == WEB_PLATFORM:
            device.type_name = "Web browser"
    authenticators = list(device_selectors.authenticator_list(user=user))
    for authenticator in authenticators:
        authenticator.method_name = METHOD_NAMES.get(
            authenticator.verification_method, authenticator.verification_method
        )
    context = {
        "user": user,
        "tenant": user.tenant,
        "devices": devices,
        "authenticators": authenticators,
        "has_totp": totp_authenticator(user=user) is not None,
        "recovery_codes_left": recovery_codes_remaining(user=user),
        "activity": activity_lines(user=user, events=audit_event_list(user=user, limit=15)),
    }
    return render(request, "portal/home.html", context)


def _confirm_then_delete(request, user: EndUser, *, what: str, delete, warning: str = ""):
    """GET asks to confirm deleting ``what`` (with what it breaks, if anything); POST calls
    ``delete`` (which records it) and says it is done."""
    if request.method == "POST":
        delete()
        messages.success(request, f"Deleted {what}. It can no longer be used.")
        return redirect("portal:home")
    context = {"tenant": user.tenant, "what": what, "warning": warning}
    return render(request, "portal/confirm_delete.html", context)


@require_http_methods(["GET", "POST"])
@portal_login_required
@reauth_required
def device_delete_page(request, device_id, *, user: EndUser):
    """Confirm, then delete a device: it is revoked at once."""
    device = device_selectors.device_list(user=user).filter(pk=device_id).first()
    if device is None:
        return redirect("portal:home")
    name = device.name or DEVICE_TYPE_NAMES.get(device.type, device.type)
    return _confirm_then_delete(
        request,
        user,
        what=f"the device “{name}”",
        delete=lambda: device_services.device_delete(user=user, device_id=str(device.pk)),
        warning=(
            "Without this backup you cannot set up a new phone with your face if you lose"
            " yours; you would need your service's help."
            if device.type == DeviceType.BACKUP
            else ""
        ),
    )


@require_http_methods(["GET", "POST"])
@portal_login_required
@reauth_required
def authenticator_delete_page(request, authenticator_id, *, user: EndUser):
    """Confirm, then delete an authenticator (a device-bound one takes its device along)."""
    found = device_selectors.authenticator_list(user=user).filter(pk=authenticator_id).first()
    if found is None:
        return redirect("portal:home")
    method = found.verification_method
    return _confirm_then_delete(
        request,
        user,
        what=f"the authenticator “{METHOD_NAMES.get(method, method)}”",
        delete=lambda: device_services.authenticator_delete(
            user=user, authenticator_id=str(found.pk)
        ),
    )


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    return target if allowed and target.startswith("/portal/") else "/portal/"


#: Ways to confirm it is you before a change, in the order offered.
REAUTH_METHODS = {
    "TOTP": ("a code from your authenticator app", "your authenticator app"),
    "CODE": ("the code we just sent you", "a code sent to you"),
    "RECOVERY_CODE": ("one of your recovery codes", "a recovery code"),
}


def _reauth_methods(user: EndUser) -> list[str]:
    """The ways this user still has: any first factor will do, so that someone who lost the
    phone with their authenticator app can still remove it (a recovery code counts)."""
    methods = []
    if totp_authenticator(user=user) is not None:
        methods.append("TOTP")
    if user.email or user.phone_number_e164:
        methods.append("CODE")
    if recovery_codes_remaining(user=user):
        methods.append("RECOVERY_CODE")
    return methods


@require_http_methods(["GET", "POST"])
@portal_login_required
def reauth_page(request, *, user: EndUser):
    """Prove it is still you with any factor you still have: the authenticator app, a code
    sent by e-mail/SMS, or a recovery code."""
    methods = _reauth_methods(user)
    asked = request.POST.get("method") or request.GET.get("method") or ""
    method = asked if asked in methods else (methods[0] if methods else "CODE")
    channel = CodeChannel.EMAIL if user.email else CodeChannel.SMS
    context = {
        "tenant": user.tenant,
        "method": method,
        "method_name": REAUTH_METHODS[method][0],
        "others": [(m, REAUTH_METHODS[m][1]) for m in methods if m != method],
        "next": _safe_next(request),
    }
    if request.method == "GET" or request.POST.get("step") == "resend":
        if method == "CODE":
            try:
                code_send(user=user, channel=channel, purpose=CodePurpose.REAUTH, with_link=False)
                context["notice"] = "We sent you a code."
            except ApplicationError as error:
                context["error"] = error.message
        return render(request, "portal/reauth.html", context)
    code = request.POST.get("code", "")[:64]
    try:
        if method == "TOTP":
            totp_verify(user=user, code=code)
        elif method == "RECOVERY_CODE":
            recovery_code_use(user=user, code=code)
        else:
            code_verify(user=user, channel=channel, purpose=CodePurpose.REAUTH, code=code)
    except ApplicationError as error:
        context["error"] = error.message
        context["code"] = code
        return render(request, "portal/reauth.html", context, status=400)
    sessions.reauth_mark(request)
    event_record(tenant=user.tenant, user=user, event_type="portal.reauthenticated", method=method)
    return redirect(context["next"])
