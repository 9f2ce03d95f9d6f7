"""Face enroll / authenticate / de-enroll for apps, under ``/v1/client/face/``, and recovery on
a new device under ``/v1/client/recovery/``."""

import base64
import binascii

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.response import Response
from rest_framework.views import APIView

from actions.authentication import ActionTokenAuthentication
from actions.tokens import token_issue
from biometrics import conf, recovery, services, templates
from biometrics.api.serializers import (
    FaceAuthenticateInput,
    FaceDeenrollOutput,
    FaceEnrollInput,
    FaceJobOutput,
    RecoveryCompleteInput,
    RecoveryJobOutput,
)
from biometrics.models import FaceJob, JobKind, JobStatus
from recognize_project.api import IsAuthenticated, parse
from recognize_project.errors import ApplicationError
from recognize_project.ratelimit import ClientRateThrottle

_FAILURE_STATUS = {
    "face_mismatch": 401,
    "face_replayed": 401,
    "token_used": 401,
    "authenticator_locked": 429,
    "face_already_enrolled": 409,
    "action_not_pending": 409,
    "face_processing_failed": 503,
    "token_mismatch": 403,
    "credential_exists": 409,
    "client_state_revoked": 404,
    "client_state_stale": 409,
}


def _image(data: dict) -> bytes | None:
    if "image" not in data:
        return None
    try:
        return base64.b64decode(data["image"], validate=True)
    except (binascii.Error, ValueError):
        raise ApplicationError("not_an_image", "image must be base64.") from None


def job_response(job: FaceJob) -> Response:
    """The answer for a job: pending (202), its result, or its failure as an API error."""
    if job.status == JobStatus.PENDING:
        return Response({"status": job.status, "jobId": str(job.id)}, status=202)
    if job.status == JobStatus.FAILED:
        raise ApplicationError(
            job.error_code, job.error_message, status=_FAILURE_STATUS.get(job.error_code, 400)
        )
    body = {"status": job.status, "jobId": str(job.id), "userId": job.user.external_id}
    if job.kind == JobKind.ENROLL:
        body.update(userAuthenticatorId=str(job.authenticator_id), verificationMethod="FACE")
    elif job.kind == JobKind.RECOVER:
        action = job.action
        action.refresh_from_db()  # the worker completed it
        body.update(
            state=action.state,
            token=token_issue(action=action),
            idempotencyKey=str(action.idempotency_key),
            userAuthenticatorId=str(job.authenticator_id),
            deviceId=str(job.authenticator.device_id),
            verificationMethod="FACE",
        )
    else:
        action = job.action
        action.refresh_from_db()  # the worker changed it
        body.update(
            state=action.state,
            token=token_issue(action=action),
            idempotencyKey=str(action.idempotency_key),
            userAuthenticatorId=str(job.authenticator_id),
        )
    return Response(body)


class FaceAPIView(APIView):
    authentication_classes = [ActionTokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ClientRateThrottle]
    max_body_bytes = conf.BIOMETRICS_MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024


class FaceSubmitView(FaceAPIView):
    """Enroll or authenticate: parse the device's proof and face data, start, wait, answer."""

    input_class: type = FaceEnrollInput
    vector_field = "protectedTemplate"
    start = staticmethod(services.face_enroll_start)

    def post(self, request):
        data = parse(self.input_class, request.data)
        submission = services.submission_parse(
            vector=data.get(self.vector_field),
            image=_image(data),
            seed=data.get("seed"),
            vector_field=self.vector_field,
        )
        job = self.start(
            tenant=request.auth.tenant,
            token=request.auth.token,
            challenge_id=data["challengeId"],
            public_key=data["publicKey"],
            signature=data["signature"],
            submission=submission,
        )
        return job_response(services.face_job_wait(job=job))


@extend_schema_view(
    post=extend_schema(
        request=FaceEnrollInput,
        responses={200: FaceJobOutput, 202: FaceJobOutput},
        operation_id="face_enroll",
    )
)
class FaceEnrollView(FaceSubmitView):
    pass


@extend_schema_view(
    post=extend_schema(
        request=FaceAuthenticateInput,
        responses={200: FaceJobOutput, 202: FaceJobOutput},
        operation_id="face_authenticate",
    )
)
class FaceAuthenticateView(FaceSubmitView):
    input_class = FaceAuthenticateInput
    vector_field = "protectedProbe"
    start = staticmethod(services.face_authenticate_start)


class FaceJobView(FaceAPIView):
    @extend_schema(responses={200: FaceJobOutput, 202: FaceJobOutput}, operation_id="face_job")
    def get(self, request, job_id):
        token = request.auth.token
        job = (
            FaceJob.objects.select_related("user", "action")
            .filter(pk=job_id, tenant=request.auth.tenant, user__external_id=token.user_id)
            .first()
        )
        if job is None:
            raise ApplicationError("job_not_found", "No such face job.", status=404)
        return job_response(services.face_job_wait(job=job, timeout=0))


class FaceDeenrollView(FaceAPIView):
    @extend_schema(request=None, responses=FaceDeenrollOutput, operation_id="face_deenroll")
    def post(self, request):
        removed = services.face_deenroll(tenant=request.auth.tenant, token=request.auth.token)
        return Response({"removedAuthenticatorId": removed})


class RecoveryCompleteView(FaceAPIView):
    """The new device restores the face from a client state and a selfie, and is bound."""

    @extend_schema(
        request=RecoveryCompleteInput,
        responses={200: RecoveryJobOutput, 202: RecoveryJobOutput},
        operation_id="recovery_complete",
    )
    def post(self, request):
        data = parse(RecoveryCompleteInput, request.data)
        submission = recovery.RecoverySubmission(
            client_state=data["clientState"],
            image=_image(data),
            new_seed=templates.seed_parse(data["newSeed"]),
            public_key=data["publicKey"],
            signature=data["signature"],
            challenge_id=data["challengeId"],
            device_name=data.get("deviceName", ""),
            device_platform=data.get("devicePlatform", ""),
        )
        job = recovery.recovery_complete_start(
            tenant=request.auth.tenant, token=request.auth.token, submission=submission
        )
        return job_response(services.face_job_wait(job=job))
