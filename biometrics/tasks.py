"""Celery entry points for biometrics: thin, by id, the payload stays encrypted until used.

``biometrics.services`` queues these tasks, so the task bodies import the job runner where
they run (a task module and the services it calls need each other).
"""

import uuid

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def face_job_run(job_id: str, payload: str) -> None:
    """Run one face enrollment, match or recovery job."""
    from biometrics.jobs import face_job_run as run

    run(job_id=uuid.UUID(job_id), payload=payload)
