"""Celery entry points for biometrics: thin, by id, the payload stays encrypted until used."""

import uuid

from celery import shared_task

from biometrics import services


@shared_task(acks_late=True, ignore_result=True)
def face_job_run(job_id: str, payload: str) -> None:
    """Run one face enrollment or match job."""
    services.face_job_run(job_id=uuid.UUID(job_id), payload=payload)
