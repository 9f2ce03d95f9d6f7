"""Account recovery: a new device restores a user's face from a client state and a selfie.

The tenant's backend has checked a first factor and asks for a recovery token
(``recovery_start``): an action token with the scopes ``add:authenticators`` and
``recovery``, single use, at most 10 minutes, handed to the new device in a deep link. The new
device sends the client state, a selfie, a new seed and its new public key, signed by that
new key over a fresh challenge (``recovery_complete_start``). A worker then matches the selfie,
protected with the seed inside the client state, against the enrolled template
(``recovery_job_run``). Only on a match is the new device bound, the face re-enrolled under the
new seed (a new template row, so every older client state becomes stale) and the token spent;
a mismatch counts toward the face's lockout and binds nothing. Recovery never skips the face
check: a client state only opens while the user's face is enrolled.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.models import Tenant
from actions import selectors as action_selectors
from actions.models import Action, ActionState, Challenge, Outcome
from actions.outcomes import action_complete
from actions.tokens import (
    ADD_AUTHENTICATORS,
    ActionToken,
    token_consume,
    token_decode,
    token_issue,
    token_require_unspent,
    token_user,
)
from biometrics import conf, templates
from biometrics.client_states import client_state_open
from biometrics.models import FaceJob, FaceTemplate, JobKind, JobStatus, TemplateSource
from biometrics.services import (
    face_decide,
    face_embedding,
    face_job_enqueue,
    face_job_finish,
)
from devices import keys
from devices.lockout import raise_if_locked
from devices.models import Authenticator, Device, DeviceType
from devices.services import in_app_credential_add
from events.services import event_record
from recognize_project.errors import ApplicationError
from recognize_sdk.face.protect import protect
from recognize_sdk.proof import proof_message

RECOVERY_SCOPE = "recovery"
RECOVERY_ACTION_CODE = "recovery"
DEEP_LINK = "recognize://recover"


@dataclass(frozen=True)
class RecoveryStart:
    """A started recovery: its action, the token for the new device and the deep link."""

    action: Action
    token: str
    expires_at: datetime
    url: str


def recovery_start(*, tenant: Tenant, user_id: str) -> RecoveryStart:
    """Start a recovery for ``user_id``, whose first factor the tenant's backend or the portal
    has checked."""
    user = account_selectors.user_get(tenant=tenant, external_id=user_id)
    if user is None:
        raise ApplicationError("user_not_found", "No such user.", status=404)
    scopes = {ADD_AUTHENTICATORS, RECOVERY_SCOPE}
    action = Action.objects.create(
        tenant=tenant,
        user=user,
        action_code=RECOVERY_ACTION_CODE,
        state=ActionState.CHALLENGE_REQUIRED,
        output={"state": Outcome.CHALLENGE_REQUIRED, "source": "recovery", "ruleIds": []},
        scope=" ".join(sorted(scopes)),
    )
    action.user, action.tenant = user, tenant
    event_record(tenant=tenant, user=user, event_type="recovery.started")
    token = token_issue(action=action, scopes=scopes)
    # In the fragment, like every link that carries a token (never a query string).
    url = f"{DEEP_LINK}#{urlencode({'server': settings.RECOGNIZE_PUBLIC_URL, 'token': token})}"
    return RecoveryStart(action, token, token_decode(token).expires_at, url)


@dataclass(frozen=True)
class RecoverySubmission:
    """What the new device sends to complete a recovery (upload mode)."""

    client_state: str
    image: bytes
    new_seed: bytes
    public_key: str
    signature: str
    challenge_id: str
    device_name: str = ""
    device_platform: str = ""


def _challenge_claim(*, tenant: Tenant, challenge_id: str, action: Action) -> None:
    """Spend the action's challenge ``challenge_id`` (one conditional UPDATE), or say why not."""
    now = timezone.now()
    claimed = Challenge.objects.filter(
        pk=challenge_id, tenant=tenant, action=action, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if claimed == 1:
        return
    challenge = Challenge.objects.filter(pk=challenge_id, tenant=tenant).first()
    if challenge is None:
        raise ApplicationError("invalid_challenge", "Unknown challengeId.")
    if challenge.action_id != action.pk:
        raise ApplicationError("token_mismatch", "The challenge is for another action.", status=403)
    if challenge.used_at is not None:
        raise ApplicationError("challenge_used", "The challenge was already used.")
    raise ApplicationError("challenge_expired", "The challenge has expired.")


def recovery_complete_start(
    *, tenant: Tenant, token: ActionToken, submission: RecoverySubmission
) -> FaceJob:
    """Check a recovery request and hand its face match to a worker.

    The token must grant ``recovery`` and be unspent, the client state must open and be the
    token user's, the new key must be unbound and have signed the challenge over the selfie
    and the new seed. A wrong signature spends the challenge and changes nothing else.
    """
    user = token_user(tenant=tenant, token=token, scope=RECOVERY_SCOPE)
    token_require_unspent(jti=token.jti)
    if len(submission.image) > conf.BIOMETRICS_MAX_IMAGE_BYTES:
        raise ApplicationError(
            "image_too_large",
            f"The image is larger than {conf.BIOMETRICS_MAX_IMAGE_BYTES} bytes.",
            status=413,
        )
    state = client_state_open(tenant=tenant, blob=submission.client_state)
    if state.user.pk != user.pk:
        raise ApplicationError(
            "token_mismatch", "The client state belongs to another user.", status=403
        )
    face = state.template.authenticator
    face.tenant = tenant
    raise_if_locked(face)
    public_key = keys.public_key_parse(submission.public_key)
    if Device.objects.filter(tenant=tenant, public_key_fingerprint=public_key.fingerprint).exists():
        raise ApplicationError("credential_exists", "This key is already bound.", status=409)
    action = action_selectors.action_get(tenant=tenant, idempotency_key=token.idempotency_key)
    if action.state != ActionState.CHALLENGE_REQUIRED:
        raise ApplicationError("action_not_pending", f"The action is {action.state}.", status=409)
    message = proof_message(submission.challenge_id, submission.image + submission.new_seed)
    with transaction.atomic():
        _challenge_claim(tenant=tenant, challenge_id=submission.challenge_id, action=action)
        valid = keys.signature_is_valid(public_key.key, submission.signature, message)
        if valid:
            job = FaceJob.objects.create(
                tenant=tenant,
                user=user,
                kind=JobKind.RECOVER,
                action=action,
                device=state.device,
                authenticator=face,
                token_jti=token.jti,
                token_expires_at=token.expires_at,
            )
            face_job_enqueue(
                job=job,
                fields={
                    "image": submission.image,
                    "clientState": submission.client_state.encode("ascii"),
                    "newSeed": submission.new_seed,
                    "publicKey": public_key.spki_b64.encode("ascii"),
                    "deviceName": submission.device_name.encode(),
                    "devicePlatform": submission.device_platform.encode(),
                },
            )
    if not valid:
        raise ApplicationError(
            "invalid_signature", "The signature by the new device key is not valid.", status=401
        )
    return job


def recovery_job_run(*, job: FaceJob, fields: dict[str, bytes]) -> None:
    """Match the selfie and, on success, bind the new device and re-enroll (in a worker).

    Everything is checked again under locks, so a client state deleted or a token spent since
    the request was accepted fails the job without binding anything.
    """
    embedding = face_embedding(tenant=job.tenant, image=fields["image"])
    with transaction.atomic():
        state = client_state_open(tenant=job.tenant, blob=fields["clientState"].decode("ascii"))
        if state.user.pk != job.user_id:
            raise ApplicationError(
                "token_mismatch", "The client state belongs to another user.", status=403
            )
        face = (
            Authenticator.objects.select_for_update(of=("self",))
            .select_related("tenant")
            .get(pk=state.template.authenticator_id)
        )
        action = face_decide(
            job=job, face=face, template=state.template, probe=protect(embedding, state.seed)
        )
        if action is None:
            event_record(tenant=job.tenant, user=state.user, event_type="recovery.face_mismatch")
            return
        token_consume(jti=job.token_jti, expires_at=job.token_expires_at)
        credential = in_app_credential_add(
            user=state.user,
            public_key=keys.public_key_parse(fields["publicKey"].decode("ascii")),
            device_name=fields["deviceName"].decode(),
            device_platform=fields["devicePlatform"].decode(),
        )
        _face_reenroll(
            face=face,
            old=state.template,
            device=credential.device,
            vector=protect(embedding, fields["newSeed"]),
        )
        if state.type == DeviceType.TEMPORARY:
            state.device.delete()  # single use
        action.user, action.tenant = state.user, job.tenant
        action_complete(action=action, authenticator=face)
        event_record(
            tenant=job.tenant,
            user=state.user,
            event_type="recovery.completed",
            device_id=credential.device_id,
            device_name=credential.device.name,
        )
        job.authenticator = credential
        face_job_finish(job, JobStatus.SUCCEEDED)


def _face_reenroll(*, face: Authenticator, old: FaceTemplate, device: Device, vector) -> None:
    """Move the FACE authenticator to ``device`` and replace its template with a new row.

    The new row has a new id, so client states bound to the old template no longer open.
    """
    face.device = device
    face.save(update_fields=["device"])
    old.delete()
    template = FaceTemplate(
        tenant=face.tenant, user_id=face.user_id, authenticator=face, source=TemplateSource.UPLOAD
    )
    templates.template_seal(template, vector)
    template.save()
