"""Face enrollment, authentication and de-enrollment.

Every face operation is split the same way: the web process checks the token and the device's
signature and records a ``FaceJob``; a Celery task does the face work (decode and embed an
uploaded image, compare templates) and decides; the API waits a bounded time for the job.
Face data reaches the worker only inside the encrypted task message and is never stored,
logged or returned — only the sealed protected template is kept.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from accounts.models import EndUser, Tenant
from actions import selectors as action_selectors
from actions.challenges import DeviceProof, challenge_action, device_proof_check
from actions.models import Action, ActionState
from actions.outcomes import action_complete
from actions.push import push_challenge_settle
from actions.tokens import (
    ADD_AUTHENTICATORS,
    ActionToken,
    token_consume,
    token_require_unspent,
    token_user,
)
from biometrics import conf, templates
from biometrics.models import FaceJob, FaceTemplate, JobKind, JobStatus, TemplateSource
from biometrics.replay import probe_is_replay, probe_remember
from biometrics.tasks import face_job_run
from devices.attempts import authenticator_failure
from devices.events import authenticator_event
from devices.lockout import raise_if_locked
from devices.models import Authenticator, VerificationMethod
from recognize_project.errors import ApplicationError
from recognize_project.task_payloads import FACE_JOB, payload_seal
from recognize_sdk import face
from recognize_sdk.face.errors import FACE_ERROR_CODES
from recognize_sdk.face.protect import protect

logger = logging.getLogger(__name__)

REPLAYED = "The photo repeats an earlier capture; take a new selfie"


@dataclass(frozen=True)
class FaceSubmission:
    """What a device sent: a protected vector computed on the device, or an image and seed."""

    vector: np.ndarray | None = None
    image: bytes | None = None
    seed: bytes | None = None

    def content(self) -> bytes:
        """The bytes the device's signature covers."""
        if self.vector is not None:
            return np.asarray(self.vector, dtype="<f4").tobytes()
        return self.image + self.seed

    def fields(self) -> dict[str, bytes]:
        """The task payload fields."""
        if self.vector is not None:
            return {"vector": self.content()}
        return {"image": self.image, "seed": self.seed}


def submission_parse(
    *, vector: str | None, image: bytes | None, seed: str | None, vector_field: str
) -> FaceSubmission:
    """Check that exactly one kind of face data was sent, and that it is well formed."""
    if (vector is None) == (image is None):
        raise ApplicationError(
            "invalid_request", f"Send either {vector_field} (on-device mode) or image."
        )
    if vector is not None:
        return FaceSubmission(vector=templates.template_parse(vector, vector_field))
    if seed is None:
        raise ApplicationError("invalid_request", "An image needs its template seed.")
    if len(image) > conf.BIOMETRICS_MAX_IMAGE_BYTES:
        raise ApplicationError(
            "image_too_large",
            f"The image is larger than {conf.BIOMETRICS_MAX_IMAGE_BYTES} bytes.",
            status=413,
        )
    return FaceSubmission(image=image, seed=templates.seed_parse(seed))


def face_authenticator_get(*, user: EndUser) -> Authenticator | None:
    """The user's FACE authenticator, if they enrolled a face."""
    return Authenticator.objects.filter(
        user=user, verification_method=VerificationMethod.FACE
    ).first()


def _enqueue(job: FaceJob, submission: FaceSubmission) -> None:
    face_job_enqueue(job=job, fields=submission.fields())


def face_job_enqueue(*, job: FaceJob, fields: dict[str, bytes]) -> None:
    """Hand ``job`` to a worker after commit, its face data encrypted in the task message."""
    payload = payload_seal(FACE_JOB, job.id, fields)
    transaction.on_commit(lambda: face_job_run.delay(str(job.id), payload))


def _start_with_device_proof(
    *,
    tenant: Tenant,
    challenge_id: str,
    public_key: str,
    signature: str,
    submission: FaceSubmission,
    create_job: Callable[[DeviceProof], FaceJob],
) -> FaceJob:
    """Check the device's signature over the challenge and the face data, then record the job
    and enqueue it after commit; a bad signature is counted, committed, then raised."""
    with transaction.atomic():
        proof = device_proof_check(
            tenant=tenant,
            challenge_id=challenge_id,
            public_key=public_key,
            signature=signature,
            content=submission.content(),
        )
        if proof.failure is None:
            job = create_job(proof)
            _enqueue(job, submission)
    if proof.failure is not None:
        raise proof.failure
    return job


def face_enroll_start(
    *,
    tenant: Tenant,
    token: ActionToken,
    challenge_id: str,
    public_key: str,
    signature: str,
    submission: FaceSubmission,
) -> FaceJob:
    """Start enrolling the token user's face, proven by their bound device's key."""
    user = token_user(tenant=tenant, token=token, scope=ADD_AUTHENTICATORS)
    token_require_unspent(jti=token.jti)

    def create_job(proof: DeviceProof) -> FaceJob:
        if proof.authenticator.user_id != user.pk:
            raise ApplicationError("token_mismatch", "The device is another user's.", status=403)
        if face_authenticator_get(user=user) is not None:
            raise _already_enrolled()
        return FaceJob.objects.create(
            tenant=tenant,
            user=user,
            kind=JobKind.ENROLL,
            device=proof.authenticator.device,
            token_jti=token.jti,
            token_expires_at=token.expires_at,
        )

    return _start_with_device_proof(
        tenant=tenant,
        challenge_id=challenge_id,
        public_key=public_key,
        signature=signature,
        submission=submission,
        create_job=create_job,
    )


def face_authenticate_start(
    *,
    tenant: Tenant,
    token: ActionToken,
    challenge_id: str,
    public_key: str,
    signature: str,
    submission: FaceSubmission,
) -> FaceJob:
    """Start matching a fresh probe against the user's face for the token's action."""
    action = action_selectors.action_get(tenant=tenant, idempotency_key=token.idempotency_key)
    if action is None:
        raise ApplicationError("invalid_token", "The token's action no longer exists.", status=401)
    face = face_authenticator_get(user=action.user)
    if face is None:
        raise ApplicationError("face_not_enrolled", "This user has not enrolled a face.")
    raise_if_locked(face)

    def create_job(proof: DeviceProof) -> FaceJob:
        challenge_action(challenge=proof.challenge, token=token, user=proof.authenticator.user)
        return FaceJob.objects.create(
            tenant=tenant,
            user=action.user,
            kind=JobKind.MATCH,
            action=action,
            device=proof.authenticator.device,
            authenticator=face,
        )

    return _start_with_device_proof(
        tenant=tenant,
        challenge_id=challenge_id,
        public_key=public_key,
        signature=signature,
        submission=submission,
        create_job=create_job,
    )


def face_job_wait(*, job: FaceJob, timeout: float | None = None) -> FaceJob:
    """``job`` reloaded once a worker finished it, or still pending after ``timeout`` seconds."""
    deadline = time.monotonic() + (
        conf.BIOMETRICS_RESULT_WAIT_SECONDS if timeout is None else timeout
    )
    pause = 0.005
    while True:
        job.refresh_from_db(
            fields=["status", "error_code", "error_message", "authenticator", "finished_at"]
        )
        if job.status != JobStatus.PENDING or time.monotonic() >= deadline:
            return job
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def face_job_process(*, job: FaceJob, fields: dict[str, bytes]) -> None:
    """Enroll or match: the face work of an ENROLL or MATCH job (in a worker)."""
    vector = _vector(job, fields) if job.kind == JobKind.ENROLL else _probe_vector(job, fields)
    with transaction.atomic():
        if job.kind == JobKind.ENROLL:
            source = TemplateSource.ON_DEVICE if "vector" in fields else TemplateSource.UPLOAD
            _enroll(job, vector, source)
        else:
            _match(job, vector)


def _vector(job: FaceJob, fields: dict[str, bytes]) -> np.ndarray:
    """The protected vector of a job: sent by the device, or computed here from the image."""
    if "vector" in fields:
        return np.frombuffer(fields["vector"], dtype="<f4").astype(np.float32)
    return protect(face_embedding(tenant=job.tenant, image=fields["image"]), fields["seed"])


def _probe_vector(job: FaceJob, fields: dict[str, bytes]) -> np.ndarray:
    """A MATCH job's probe. A capture the pipeline refuses (no face, low quality, liveness...)
    is a failed attempt like a mismatch: counted toward the face's lockout and audited."""
    try:
        return _vector(job, fields)
    except ApplicationError as error:
        if error.code not in FACE_ERROR_CODES:
            raise
        with transaction.atomic():
            face = (
                Authenticator.objects.select_for_update(of=("self",))
                .select_related("tenant")
                .filter(pk=job.authenticator_id)
                .first()
            )
            if face is None:
                raise
            raise_if_locked(face)
            failure = authenticator_failure(face, error.code, error.message.rstrip("."))
        raise failure from None


def face_embedding(*, tenant: Tenant, image: bytes) -> np.ndarray:
    """The raw embedding of the one face in ``image`` (worker memory only), with the tenant's
    liveness level; an unusable image raises ``ApplicationError`` with the pipeline's code."""
    liveness = "ENFORCE" if tenant.liveness_level == "PASSIVE" else "OFF"
    try:
        return face.analyze_face(image, liveness=liveness).embedding
    except face.FaceError as error:
        raise ApplicationError(error.code, error.message) from None


def faces_match(*, tenant: Tenant, stored: np.ndarray, probe: np.ndarray) -> bool:
    """Whether two protected templates (same seed) match at the tenant's threshold."""
    score = float(np.dot(stored, probe))  # both unit vectors: the cosine similarity
    threshold = tenant.face_match_threshold
    return score >= (conf.BIOMETRICS_MATCH_THRESHOLD if threshold is None else threshold)


def _enroll(job: FaceJob, vector: np.ndarray, source: str) -> None:
    token_consume(jti=job.token_jti, expires_at=job.token_expires_at)
    if face_authenticator_get(user=job.user) is not None:
        raise _already_enrolled()
    authenticator = Authenticator.objects.create(
        tenant=job.tenant,
        user=job.user,
        verification_method=VerificationMethod.FACE,
        device=job.device,
    )
    template = FaceTemplate(
        tenant=job.tenant,
        user=job.user,
        authenticator=authenticator,
        source=source,
    )
    templates.template_seal(template, vector)
    template.save()
    authenticator_event(authenticator, "authenticator.created")
    job.authenticator = authenticator
    face_job_finish(job, JobStatus.SUCCEEDED)


def _match(job: FaceJob, probe: np.ndarray) -> None:
    face = (
        Authenticator.objects.select_for_update(of=("self",))
        .select_related("tenant", "face_template__tenant")
        .filter(pk=job.authenticator_id)
        .first()
    )
    if face is None:
        raise ApplicationError("face_not_enrolled", "The face was removed meanwhile.")
    action = face_decide(job=job, face=face, template=face.face_template, probe=probe)
    if action is not None:
        action_complete(action=action, authenticator=face)
        push_challenge_settle(action=action)
        face_job_finish(job, JobStatus.SUCCEEDED)


def face_decide(
    *, job: FaceJob, face: Authenticator, template: FaceTemplate, probe: np.ndarray
) -> Action | None:
    """Compare ``probe`` with ``template`` for ``job`` (``face`` locked by the caller).

    A mismatch, or (liveness level not OFF) a replay of the enrolled capture or of an earlier
    accepted probe (:mod:`biometrics.replay`), counts toward the face's lockout and fails the
    job: returns None. A match returns the job's action, locked and still waiting for its
    challenge.
    """
    raise_if_locked(face)
    stored = templates.template_open(template)
    face.tenant = job.tenant
    if not faces_match(tenant=job.tenant, stored=stored, probe=probe):
        failure = authenticator_failure(face, "face_mismatch", "The face does not match")
        face_job_finish(job, JobStatus.FAILED, failure.code, failure.message)
        return None
    if job.tenant.liveness_level != "OFF":
        if probe_is_replay(face=face, enrolled=stored, probe=probe):
            failure = authenticator_failure(face, "face_replayed", REPLAYED)
            face_job_finish(job, JobStatus.FAILED, failure.code, failure.message)
            return None
        probe_remember(face=face, probe=probe)
    action = Action.objects.select_for_update().get(pk=job.action_id)
    if action.state != ActionState.CHALLENGE_REQUIRED:
        raise ApplicationError("action_not_pending", f"The action is {action.state}.", status=409)
    return action


def face_job_finish(job: FaceJob, status: str, code: str = "", message: str = "") -> None:
    """Record a job's outcome (and the authenticator it produced, if any)."""
    job.status = status
    job.error_code = code
    job.error_message = message[:300]
    job.finished_at = timezone.now()
    job.save(
        update_fields=["status", "error_code", "error_message", "authenticator", "finished_at"]
    )


def _already_enrolled() -> ApplicationError:
    return ApplicationError(
        "face_already_enrolled", "A face is already enrolled; de-enroll it first.", status=409
    )


def face_deenroll(*, tenant: Tenant, token: ActionToken) -> str:
    """Delete the user's face after a recent successful face authentication (token's action).

    Returns the id of the removed authenticator.
    """
    action = action_selectors.action_get(tenant=tenant, idempotency_key=token.idempotency_key)
    window = timedelta(seconds=conf.BIOMETRICS_DEENROLL_WINDOW_SECONDS)
    if (
        action is None
        or action.state != ActionState.CHALLENGE_SUCCEEDED
        or action.verification_method != VerificationMethod.FACE
        or action.state_updated_at < timezone.now() - window
    ):
        raise ApplicationError(
            "face_authentication_required",
            "De-enrolling needs the token of a face authentication from the last "
            f"{conf.BIOMETRICS_DEENROLL_WINDOW_SECONDS // 60} minutes.",
            status=403,
        )
    with transaction.atomic():
        token_consume(jti=token.jti, expires_at=token.expires_at)
        face = face_authenticator_get(user=action.user)
        if face is None:
            raise ApplicationError("face_not_enrolled", "No face is enrolled.", status=404)
        removed = str(face.pk)
        face.delete()
        face.pk = removed  # delete() cleared it; the event names the authenticator
        authenticator_event(face, "authenticator.deleted")
    return removed
