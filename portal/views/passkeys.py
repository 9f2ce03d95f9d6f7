"""Passkeys in the portal: a signed-in user adds one, and then uses it as the second step of
signing in (beside an authenticator app and recovery codes).

The portal's pages are on Recognize's own origin, so its passkeys are made for that host
(``devices.passkeys.portal_relying_party``), apart from those of the tenant's site. Each
ceremony's challenge is an ``actions.Challenge``: the session remembers which one it was given,
and answering spends it with one conditional UPDATE, so it is used once even by two concurrent
requests of the same session. The pages' script (static/portal.js) speaks JSON to these views.
"""

import json

from django.db import transaction
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import EndUser
from actions import challenges, conf
from actions import passkeys as action_passkeys
from devices import passkeys
from devices.lockout import raise_if_locked
from events.services import event_record
from portal import sessions
from portal.sessions import portal_login_required
from portal.sign_in_codes import source_refusal
from recognize_project.errors import ApplicationError

CHALLENGE = "portal_passkey_challenge"


def _error(error: ApplicationError) -> JsonResponse:
    return JsonResponse({"error": error.code, "errorDescription": error.message}, status=400)


def _credential(request) -> object:
    try:
        return json.loads(request.body or b"{}").get("credential")
    except (ValueError, AttributeError):
        raise ApplicationError("invalid_request", "Send the passkey's answer as JSON.") from None


def _challenge_new(request, user: EndUser, purpose: str):
    challenge = challenges.challenge_create(tenant=user.tenant)
    request.session[CHALLENGE] = {"id": challenge.id, "purpose": purpose, "user": user.pk}
    return challenge


def _challenge_take(request, user: EndUser, purpose: str):
    """Spend the challenge this session was given for ``purpose``."""
    given = request.session.pop(CHALLENGE, None)
    if not given or given["purpose"] != purpose or given["user"] != user.pk:
        raise ApplicationError("invalid_challenge", "Start again: ask for a new challenge.")
    return action_passkeys.challenge_spend(tenant=user.tenant, challenge_id=given["id"])


@require_POST
@portal_login_required
def passkey_add_options(request, *, user: EndUser):
    """Options for a new passkey of the signed-in user."""
    challenge = _challenge_new(request, user, "add")
    options = passkeys.passkey_registration_options(
        user=user,
        rp=passkeys.portal_relying_party(user.tenant),
        challenge=action_passkeys.challenge_bytes(challenge),
        timeout_seconds=conf.ACTIONS_CHALLENGE_TTL_SECONDS,
    )
    return JsonResponse({"options": options})


@require_POST
@portal_login_required
def passkey_add(request, *, user: EndUser):
    """Register the browser's new passkey for the signed-in user."""
    rp = passkeys.portal_relying_party(user.tenant)
    try:
        parsed = passkeys.registration_credential_parse(_credential(request))
        challenge = _challenge_take(request, user, "add")
        verified = passkeys.passkey_registration_verify(
            user=user,
            rp=rp,
            challenge=action_passkeys.challenge_bytes(challenge),
            credential=parsed,
        )
        passkeys.passkey_add(user=user, rp=rp, verified=verified, credential=parsed)
    except ApplicationError as error:
        return _error(error)
    event_record(tenant=user.tenant, user=user, event_type="passkey.added")
    return JsonResponse({"next": reverse("portal:home")})


def _pending_user(request) -> EndUser | None:
    pending = sessions.pending_get(request)
    if pending is None or pending.step != "second":
        return None
    return EndUser.objects.select_related("tenant").filter(pk=pending.user).first()


@require_POST
def sign_in_options(request):
    """Options to answer the second step of signing in with one of the user's passkeys."""
    user = _pending_user(request)
    if user is None:
        return _error(ApplicationError("invalid_request", "Sign in with your code first."))
    challenge = _challenge_new(request, user, "sign_in")
    options = passkeys.passkey_authentication_options(
        tenant=user.tenant,
        rp=passkeys.portal_relying_party(user.tenant),
        challenge=action_passkeys.challenge_bytes(challenge),
        timeout_seconds=conf.ACTIONS_CHALLENGE_TTL_SECONDS,
        user=user,
    )
    return JsonResponse({"options": options})


@require_POST
def sign_in(request):
    """Check the passkey's answer; the user is signed in when it holds."""
    user = _pending_user(request)
    if user is None:
        return _error(ApplicationError("invalid_request", "Sign in with your code first."))
    refusal = source_refusal(request, user.tenant)
    if refusal:
        return _error(ApplicationError("rate_limited", refusal))
    rp = passkeys.portal_relying_party(user.tenant)
    try:
        parsed = passkeys.authentication_credential_parse(_credential(request))
        with transaction.atomic():
            passkey = passkeys.passkey_lock(tenant=user.tenant, rp=rp, credential_id=parsed.id)
            if passkey is None or passkey.authenticator.user_id != user.pk:
                raise ApplicationError("unknown_credential", "This passkey is not yours here.")
            raise_if_locked(passkey.authenticator)
            challenge = _challenge_take(request, user, "sign_in")
            check = passkeys.passkey_assertion_check(
                passkey=passkey,
                rp=rp,
                challenge=action_passkeys.challenge_bytes(challenge),
                credential=parsed,
            )
        if check.failure is not None:
            raise check.failure
    except ApplicationError as error:
        return _error(error)
    sessions.sign_in(request, user)
    event_record(
        tenant=user.tenant,
        user=user,
        event_type="portal.signed_in",
        factors="e-mail or SMS + passkey",
    )
    return JsonResponse({"next": reverse("portal:home")})
