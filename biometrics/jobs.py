"""Face jobs in a worker: open the job's sealed face data, run the work of its kind (enroll or
match in ``biometrics.services``, recovery in ``biometrics.recovery``) and record a failure."""

import logging
import uuid

from biometrics.models import FaceJob, JobKind, JobStatus
from biometrics.recovery import recovery_job_run
from biometrics.services import face_job_finish, face_job_process
from recognize_project.errors import ApplicationError
from recognize_project.task_payloads import FACE_JOB, payload_open

logger = logging.getLogger(__name__)


def face_job_run(*, job_id: uuid.UUID, payload: str) -> None:
    """Do a job's face work and record the outcome (runs in a worker)."""
    job = FaceJob.objects.select_related("tenant", "user").filter(pk=job_id).first()
    if job is None or job.status != JobStatus.PENDING:
        return
    try:
        fields = payload_open(FACE_JOB, job.id, payload)
        if job.kind == JobKind.RECOVER:
            recovery_job_run(job=job, fields=fields)
        else:
            face_job_process(job=job, fields=fields)
    except ApplicationError as error:
        face_job_finish(job, JobStatus.FAILED, error.code, error.message)
    except Exception as error:  # never log the payload or anything derived from it
        logger.error("face job %s failed: %s", job.id, type(error).__name__)
        face_job_finish(
            job,
            JobStatus.FAILED,
            "face_processing_failed",
            "The face could not be processed; try again.",
        )
