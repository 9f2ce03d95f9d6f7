"""Passkey ceremonies bound to actions: their single-use challenges, and the action a passkey
registration or sign-in completes, with the token the SDKs expect back (``accessToken``).

A ceremony's WebAuthn challenge is the id of an ``actions.Challenge`` (256 random bits,
base64url), so the ``challengeId`` the SDKs send back and the challenge inside the signed
``clientDataJSON`` are the same value; it is spent by one conditional UPDATE before the
response is checked (a replay finds it used), and its expiry is checked then.

The flows of ``@authsignal/browser`` (dist/index.js ``Passkey.signUp`` / ``signIn``) and of the
mobile SDKs: registration with the action token (``add:authenticators``); sign-in with the
token (the user's own passkeys), or with the tenant id and a challenge from
``POST /client/challenge`` (any discoverable passkey; the action is created for its user), or
with neither (the action ``signInWithPasskey``). Security keys (``SecurityKey.enroll`` /
``verify``) take the same paths with the token, name no ``challengeId`` (the one in the signed
``clientDataJSON`` is spent) and prove possession only, beside the action's first factor.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from webauthn import base64url_to_bytes
from webauthn.helpers.structs import AuthenticationCredential

from accounts.models import EndUser, Tenant
from actions import conf
from actions.challenges import challenge_action, challenge_create
from actions.models import Action, ActionState, Challenge
from actions.outcomes import action_complete, token_action_complete
from actions.tokens import ActionToken, token_adding_user, token_consume, token_issue, token_user
from devices import passkeys
from devices.lockout import raise_if_locked
from devices.models import Authenticator, PasskeyCredential, VerificationMethod
from recognize_project.errors import ApplicationError

SIGN_IN_ACTION_CODE = "signInWithPasskey"


@dataclass(frozen=True)
class PasskeyCeremony:
    """A challenge and the WebAuthn options that carry it."""

    challenge: Challenge
    options: dict


def challenge_bytes(challenge: Challenge) -> bytes:
    """The WebAuthn challenge a ``Challenge`` stands for (its id, base64url-decoded)."""
    return base64url_to_bytes(challenge.id)


def challenge_spend(*, tenant: Tenant, challenge_id: object) -> Challenge:
    """Mark an unused, unexpired challenge of ``tenant`` used, in one conditional UPDATE, and
    return it; say precisely why when it cannot be."""
    if not isinstance(challenge_id, str) or not challenge_id or len(challenge_id) > 64:
        raise ApplicationError("invalid_challenge", "Unknown challengeId.")
    now = timezone.now()
    spent = Challenge.objects.filter(
        pk=challenge_id, tenant=tenant, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    challenge = Challenge.objects.filter(pk=challenge_id, tenant=tenant).first()
    if challenge is None:
        raise ApplicationError("invalid_challenge", "Unknown challengeId.")
    if not spent:
        if challenge.used_at is not None:
            raise ApplicationError("challenge_used", "The challenge was already used.")
        raise ApplicationError("challenge_expired", "The challenge has expired.")
    challenge.tenant = tenant
    return challenge


def _challenge_unused(*, tenant: Tenant, challenge_id: str) -> Challenge:
    """A challenge of ``tenant`` that may still be answered (not spent here)."""
    challenge = Challenge.objects.filter(pk=challenge_id, tenant=tenant).first()
    if challenge is None:
        raise ApplicationError("invalid_challenge", "Unknown challengeId.")
    if challenge.used_at is not None:
        raise ApplicationError("challenge_used", "The challenge was already used.")
    if challenge.expires_at <= timezone.now():
        raise ApplicationError("challenge_expired", "The challenge has expired.")
    return challenge


def passkey_registration_begin(
    *,
    tenant: Tenant,
    token: ActionToken | None,
    username: str = "",
    display_name: str = "",
    authenticator_attachment: str | None = None,
    method: str = VerificationMethod.PASSKEY,
) -> PasskeyCeremony:
    """A registration challenge for the token's user (``add:authenticators``) and its options;
    ``method`` SECURITY_KEY for a roaming security key."""
    user = token_adding_user(tenant=tenant, token=token)
    challenge = challenge_create(tenant=tenant, token=token)
    options = passkeys.passkey_registration_options(
        user=user,
        rp=passkeys.site_relying_party(tenant),
        challenge=challenge_bytes(challenge),
        timeout_seconds=conf.ACTIONS_CHALLENGE_TTL_SECONDS,
        username=username,
        display_name=display_name,
        authenticator_attachment=authenticator_attachment,
        method=method,
    )
    return PasskeyCeremony(challenge, options)


@dataclass(frozen=True)
class PasskeyResult:
    """A passkey registered or verified, the action it concerns, and that action's new token."""

    authenticator: Authenticator
    action: Action
    token: str


def _token_action(*, tenant: Tenant, token: ActionToken, user: EndUser) -> Action:
    action = Action.objects.filter(tenant=tenant, idempotency_key=token.idempotency_key).first()
    if action is None or action.user_id != user.pk:
        raise ApplicationError("invalid_token", "The token's action no longer exists.", status=401)
    action.user, action.tenant = user, tenant
    return action


def passkey_registration_finish(
    *,
    tenant: Tenant,
    token: ActionToken | None,
    challenge_id: object,
    credential: object,
    method: str = VerificationMethod.PASSKEY,
) -> PasskeyResult:
    """Verify the browser's registration response and add the passkey to the token's user.

    Spends the challenge first (a replay finds it used) and the token with the new passkey;
    the token's action, if still waiting for a challenge, is completed by the enrollment.
    """
    user = token_adding_user(tenant=tenant, token=token)
    parsed = passkeys.registration_credential_parse(credential)
    action = _token_action(tenant=tenant, token=token, user=user)
    if challenge_id is None:
        challenge_id = passkeys.credential_challenge(parsed)
    challenge = challenge_spend(tenant=tenant, challenge_id=challenge_id)
    if challenge.action_id != action.pk:
        raise ApplicationError("token_mismatch", "The challenge is for another action.", status=403)
    rp = passkeys.site_relying_party(tenant)
    verified = passkeys.passkey_registration_verify(
        user=user, rp=rp, challenge=challenge_bytes(challenge), credential=parsed, method=method
    )
    with transaction.atomic():
        token_consume(jti=token.jti, expires_at=token.expires_at)
        authenticator = passkeys.passkey_add(
            user=user, rp=rp, verified=verified, credential=parsed, method=method
        )
        if action.state == ActionState.CHALLENGE_REQUIRED:
            action_complete(action=action, authenticator=authenticator)
    return PasskeyResult(authenticator, action, token_issue(action=action))


def passkey_authentication_begin(
    *,
    tenant: Tenant,
    token: ActionToken | None,
    challenge_id: str | None = None,
    method: str = VerificationMethod.PASSKEY,
) -> PasskeyCeremony:
    """An authentication challenge and its options: for the token's action and user, for a
    challenge the app created with ``POST /client/challenge``, or a new sign-in."""
    user = None
    if method == VerificationMethod.SECURITY_KEY and token is None:
        raise ApplicationError("unauthorized", "A security key needs an action token.", status=401)
    if token is not None:
        user = token_user(tenant=tenant, token=token)
        challenge = challenge_create(tenant=tenant, token=token)
    elif challenge_id:
        challenge = _challenge_unused(tenant=tenant, challenge_id=challenge_id)
    else:
        challenge = challenge_create(tenant=tenant, action_code=SIGN_IN_ACTION_CODE)
    options = passkeys.passkey_authentication_options(
        tenant=tenant,
        rp=passkeys.site_relying_party(tenant),
        challenge=challenge_bytes(challenge),
        timeout_seconds=conf.ACTIONS_CHALLENGE_TTL_SECONDS,
        user=user,
        method=method,
    )
    return PasskeyCeremony(challenge, options)


def passkey_verify(
    *,
    tenant: Tenant,
    token: ActionToken | None,
    challenge_id: object,
    credential: object,
    method: str = VerificationMethod.PASSKEY,
) -> PasskeyResult:
    """Check a passkey assertion over a challenge and complete the action it belongs to.

    The challenge is spent whatever the outcome. A response the passkey did not make is
    audited, not counted; one it made that fails a check counts toward its lockout.
    """
    parsed = passkeys.authentication_credential_parse(credential)
    if challenge_id is None:
        challenge_id = passkeys.credential_challenge(parsed)
    with transaction.atomic():
        rp = passkeys.site_relying_party(tenant)
        passkey = passkeys.passkey_lock(
            tenant=tenant, rp=rp, credential_id=parsed.id, method=method
        )
        if passkey is not None:
            raise_if_locked(passkey.authenticator)
        challenge = challenge_spend(tenant=tenant, challenge_id=challenge_id)
        if passkey is None:
            action, failure = (
                None,
                ApplicationError(
                    "unknown_credential",
                    "No passkey of this tenant has this credential.",
                    status=404,
                ),
            )
        else:
            action, failure = _assertion_complete(
                passkey=passkey, rp=rp, challenge=challenge, credential=parsed, token=token
            )
    if failure is not None:
        raise failure
    return PasskeyResult(passkey.authenticator, action, token_issue(action=action))


def _assertion_complete(
    *,
    passkey: PasskeyCredential,
    rp: passkeys.RelyingParty,
    challenge: Challenge,
    credential: AuthenticationCredential,
    token: ActionToken | None,
) -> tuple[Action | None, ApplicationError | None]:
    """Check the assertion and, when it holds, complete the challenge's action: the action, or
    the failure to raise once the caller's transaction has committed its audit."""
    check = passkeys.passkey_assertion_check(
        passkey=passkey, rp=rp, challenge=challenge_bytes(challenge), credential=credential
    )
    if check.failure is not None:
        return None, check.failure
    authenticator = check.authenticator
    action = None
    if token is not None:
        action = token_action_complete(
            challenge=challenge, token=token, authenticator=authenticator
        )
    if action is None:
        action = challenge_action(challenge=challenge, token=token, user=authenticator.user)
        action_complete(action=action, authenticator=authenticator)
    return action, None
