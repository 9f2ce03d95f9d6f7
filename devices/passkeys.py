"""Passkeys (WebAuthn credentials) as authenticators: the ceremonies' options, registration,
and the check of an assertion through the one lockout protocol (``devices.attempts``).

Two relying parties: the tenant's site, where the browser SDK runs (RP id
``Tenant.passkey_rp_id``, else the host of its first allowed origin; its allowed origins, which
CORS uses too), and Recognize's own portal (the host of ``RECOGNIZE_PUBLIC_URL``). A passkey
belongs to one of them (``PasskeyCredential.rp_id``), as browsers bind it to its RP id.
Every passkey is discoverable (resident key required) so users sign in without a user name;
user verification is required unless the tenant prefers it; attestation is ``none`` unless
the tenant asks for ``direct``, whose statement py_webauthn then verifies.

The challenge itself is the caller's (``actions.passkeys``): these functions take its bytes.
An assertion that does not verify (signature, origin, RP id, challenge, user handle) is
audited but never counted, since anyone who knows a credential id can send one; an assertion
the credential did make that fails a check of ours (user verification, a sign count that went
backwards, a changed backup eligibility) counts toward the lockout.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorAttachment,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from accounts.models import EndUser, Tenant
from devices.attempts import authenticator_failure, signature_refusal
from devices.events import authenticator_event
from devices.models import Authenticator, PasskeyCredential, VerificationMethod
from events.services import event_record
from recognize_project import keys
from recognize_project.errors import ApplicationError

_ATTACHMENTS = {a.value: a for a in AuthenticatorAttachment}
_TRANSPORTS = {t.value for t in AuthenticatorTransport}


@dataclass(frozen=True)
class RelyingParty:
    """Where passkeys are used: the WebAuthn RP id, its name, and the origins of its pages."""

    id: str
    name: str
    origins: list[str]


def site_relying_party(tenant: Tenant) -> RelyingParty:
    """The tenant's own site, where the browser SDK runs (its allowed origins)."""
    origins = list(tenant.allowed_origins or []) or [settings.RECOGNIZE_PUBLIC_URL]
    rp_id = tenant.passkey_rp_id or urlsplit(origins[0]).hostname or ""
    return RelyingParty(rp_id, tenant.name, origins)


def portal_relying_party(tenant: Tenant) -> RelyingParty:
    """Recognize's own pages (the user portal), on ``RECOGNIZE_PUBLIC_URL``."""
    origin = settings.RECOGNIZE_PUBLIC_URL
    return RelyingParty(urlsplit(origin).hostname or "", tenant.name, [origin])


def _user_verification(tenant: Tenant) -> UserVerificationRequirement:
    return UserVerificationRequirement(tenant.passkey_user_verification)


def passkey_user_handle(user: EndUser) -> bytes:
    """The WebAuthn ``user.id`` of ``user``: stable, opaque, and unlinkable across tenants."""
    key = keys.derive("recognize/passkey-user-handle/v1")
    return hmac.new(key, f"{user.tenant_id}/{user.pk}".encode(), hashlib.sha256).digest()


def passkey_exists(*, user: EndUser, rp: RelyingParty) -> bool:
    """Whether ``user`` has a passkey for ``rp``."""
    return PasskeyCredential.objects.filter(
        authenticator__user=user,
        authenticator__verification_method=VerificationMethod.PASSKEY,
        rp_id=rp.id,
    ).exists()


def _descriptors(
    user: EndUser, rp: RelyingParty, method: str
) -> list[PublicKeyCredentialDescriptor]:
    credentials = PasskeyCredential.objects.filter(
        authenticator__user=user, authenticator__verification_method=method, rp_id=rp.id
    )
    return [
        PublicKeyCredentialDescriptor(
            id=_decode_id(c.credential_id),
            transports=[AuthenticatorTransport(t) for t in c.transports if t in _TRANSPORTS],
        )
        for c in credentials
    ]


def _decode_id(credential_id: str) -> bytes:
    return base64url_to_bytes(credential_id)


def passkey_registration_options(
    *,
    user: EndUser,
    rp: RelyingParty,
    challenge: bytes,
    timeout_seconds: int,
    username: str = "",
    display_name: str = "",
    authenticator_attachment: str | None = None,
    method: str = VerificationMethod.PASSKEY,
) -> dict:
    """``PublicKeyCredentialCreationOptions`` (JSON) for a new passkey of ``user`` (or, with
    ``method`` SECURITY_KEY, a roaming key that need not store the user: no resident key)."""
    tenant = user.tenant
    if authenticator_attachment and authenticator_attachment not in _ATTACHMENTS:
        raise ApplicationError(
            "invalid_request", "authenticatorAttachment is platform or cross-platform."
        )
    name = username or user.username or user.email or user.external_id
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=name,
        user_id=passkey_user_handle(user),
        user_display_name=display_name or user.display_name or name,
        challenge=challenge,
        timeout=timeout_seconds * 1000,
        attestation=AttestationConveyancePreference(tenant.passkey_attestation),
        authenticator_selection=_selection(tenant, method, authenticator_attachment),
        exclude_credentials=_descriptors(user, rp, method),
    )
    return json.loads(options_to_json(options))


def _selection(
    tenant: Tenant, method: str, attachment: str | None
) -> AuthenticatorSelectionCriteria:
    if method == VerificationMethod.SECURITY_KEY:
        return AuthenticatorSelectionCriteria(
            authenticator_attachment=AuthenticatorAttachment.CROSS_PLATFORM,
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            require_resident_key=False,
            user_verification=UserVerificationRequirement.DISCOURAGED,
        )
    return AuthenticatorSelectionCriteria(
        authenticator_attachment=_ATTACHMENTS.get(attachment or ""),
        resident_key=ResidentKeyRequirement.REQUIRED,
        require_resident_key=True,
        user_verification=_user_verification(tenant),
    )


def _requires_user_verification(tenant: Tenant, method: str) -> bool:
    """Passkeys stand alone, so they verify the user (unless the tenant prefers); a security
    key is a second factor beside the action's first, and only proves possession."""
    return method == VerificationMethod.PASSKEY and tenant.passkey_user_verification == "required"


def passkey_authentication_options(
    *,
    tenant: Tenant,
    rp: RelyingParty,
    challenge: bytes,
    timeout_seconds: int,
    user: EndUser | None = None,
    method: str = VerificationMethod.PASSKEY,
) -> dict:
    """``PublicKeyCredentialRequestOptions`` (JSON); ``user`` limits them to that user's
    passkeys, without one any discoverable passkey of the site may answer."""
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=timeout_seconds * 1000,
        allow_credentials=_descriptors(user, rp, method) if user is not None else [],
        user_verification=_user_verification(tenant)
        if method == VerificationMethod.PASSKEY
        else UserVerificationRequirement.DISCOURAGED,
    )
    return json.loads(options_to_json(options))


def registration_credential_parse(value: object) -> RegistrationCredential:
    """A browser's ``RegistrationResponseJSON``, or 400 ``invalid_request``."""
    try:
        return parse_registration_credential_json(_json_object(value))
    except WebAuthnException:
        raise ApplicationError(
            "invalid_request", "registrationCredential is not a WebAuthn registration response."
        ) from None


def authentication_credential_parse(value: object) -> AuthenticationCredential:
    """A browser's ``AuthenticationResponseJSON``, or 400 ``invalid_request``."""
    try:
        return parse_authentication_credential_json(_json_object(value))
    except WebAuthnException:
        raise ApplicationError(
            "invalid_request",
            "authenticationCredential is not a WebAuthn authentication response.",
        ) from None


def credential_challenge(credential: RegistrationCredential | AuthenticationCredential) -> str:
    """The challenge the browser signed into ``clientDataJSON`` (what a security key request,
    which names no ``challengeId``, answers); "" when there is none."""
    try:
        challenge = json.loads(bytes(credential.response.client_data_json)).get("challenge")
    except (ValueError, AttributeError):
        return ""
    return challenge if isinstance(challenge, str) else ""


def _json_object(value: object) -> dict:
    if not isinstance(value, dict):
        raise ApplicationError("invalid_request", "The credential must be a JSON object.")
    return value


def passkey_registration_verify(
    *,
    user: EndUser,
    rp: RelyingParty,
    challenge: bytes,
    credential: RegistrationCredential,
    method: str = VerificationMethod.PASSKEY,
) -> VerifiedRegistration:
    """Verify a new passkey's registration response for ``user``.

    Call outside a transaction that may roll back: a response that does not verify is audited
    (``passkey.registration_failed``) and refused with 400 ``invalid_credential``.
    """
    tenant = user.tenant
    try:
        return verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origins,
            require_user_verification=_requires_user_verification(tenant, method),
        )
    except WebAuthnException as exc:
        event_record(
            tenant=tenant,
            user=user,
            event_type="passkey.registration_failed",
            verificationMethod=method,
            reason=type(exc).__name__,
        )
        raise ApplicationError(
            "invalid_credential",
            "The passkey could not be verified for this site and challenge.",
        ) from None


def passkey_add(
    *,
    user: EndUser,
    rp: RelyingParty,
    verified: VerifiedRegistration,
    credential: RegistrationCredential,
    method: str = VerificationMethod.PASSKEY,
) -> Authenticator:
    """Add a verified passkey to ``user`` as a PASSKEY (or SECURITY_KEY) authenticator (409
    if it exists)."""
    tenant = user.tenant
    transports = [t.value for t in (credential.response.transports or [])]
    try:
        with transaction.atomic():
            authenticator = Authenticator.objects.create(
                tenant=tenant, user=user, verification_method=method
            )
            PasskeyCredential.objects.create(
                authenticator=authenticator,
                tenant=tenant,
                rp_id=rp.id,
                credential_id=bytes_to_base64url(verified.credential_id),
                public_key=verified.credential_public_key,
                user_handle=passkey_user_handle(user),
                sign_count=verified.sign_count,
                aaguid=verified.aaguid,
                attestation_format=str(getattr(verified.fmt, "value", verified.fmt)),
                transports=transports,
                backup_eligible=verified.credential_device_type
                == CredentialDeviceType.MULTI_DEVICE,
                backed_up=verified.credential_backed_up,
            )
    except IntegrityError:
        raise ApplicationError(
            "credential_exists", "This passkey is already registered.", status=409
        ) from None
    authenticator_event(authenticator, "authenticator.created")
    return authenticator


def passkey_lock(
    *,
    tenant: Tenant,
    rp: RelyingParty,
    credential_id: str,
    method: str = VerificationMethod.PASSKEY,
) -> PasskeyCredential | None:
    """The tenant's passkey with ``credential_id``, its authenticator row locked (call inside
    ``transaction.atomic()``), with user and tenant loaded."""
    authenticator = (
        Authenticator.objects.select_for_update(of=("self",))
        .select_related("passkey", "user", "tenant")
        .filter(
            tenant=tenant,
            verification_method=method,
            passkey__credential_id=credential_id,
            passkey__rp_id=rp.id,
        )
        .first()
    )
    return None if authenticator is None else authenticator.passkey


@dataclass(frozen=True)
class PasskeyAssertion:
    """The outcome of checking an assertion; ``failure`` (already audited, maybe counted) is
    raised by the caller once its transaction has committed."""

    authenticator: Authenticator
    failure: ApplicationError | None


def passkey_assertion_check(
    *,
    passkey: PasskeyCredential,
    rp: RelyingParty,
    challenge: bytes,
    credential: AuthenticationCredential,
) -> PasskeyAssertion:
    """Check ``credential`` (an assertion over ``challenge``) against the locked ``passkey``."""
    authenticator = passkey.authenticator
    user_handle = credential.response.user_handle
    try:
        if user_handle is not None and not hmac.compare_digest(
            bytes(user_handle), bytes(passkey.user_handle)
        ):
            raise InvalidAuthenticationResponse("user handle of another user")
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origins,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=0,  # checked below, where a failure counts
            require_user_verification=False,  # likewise
        )
    except WebAuthnException:
        signature_refusal(authenticator)
        return PasskeyAssertion(
            authenticator,
            ApplicationError(
                "invalid_credential",
                "The passkey's response is not valid for this site and challenge.",
                status=401,
            ),
        )
    failure = _counted_check(passkey, verified)
    if failure is not None:
        return PasskeyAssertion(authenticator, authenticator_failure(authenticator, *failure))
    passkey.sign_count = max(passkey.sign_count, verified.new_sign_count)
    passkey.backed_up = verified.credential_backed_up
    passkey.save(update_fields=["sign_count", "backed_up"])
    return PasskeyAssertion(authenticator, None)


def _counted_check(passkey: PasskeyCredential, verified) -> tuple[str, str] | None:
    """Why an assertion the credential made is still refused (code, message), or None."""
    authenticator = passkey.authenticator
    if (
        _requires_user_verification(authenticator.tenant, authenticator.verification_method)
        and not verified.user_verified
    ):
        return "user_not_verified", "The passkey did not verify the user (PIN or biometric)"
    if (verified.new_sign_count or passkey.sign_count) and (
        verified.new_sign_count <= passkey.sign_count
    ):
        return "sign_count_invalid", "The passkey's use counter went backwards (a cloned key?)"
    eligible = verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    if eligible != passkey.backup_eligible:
        return "backup_state_invalid", "The passkey's backup eligibility changed"
    return None
