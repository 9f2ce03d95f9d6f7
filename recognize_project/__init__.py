"""Recognize: self-hosted face biometrics and device-bound authentication."""

from recognize_project.celery import app as celery_app

__all__ = ["celery_app"]
