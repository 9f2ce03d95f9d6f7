"""Lockout after consecutive failures, shared by every kind of authenticator.

Shaped like django-otp's ``ThrottlingMixin`` (``verify_is_allowed``, ``throttle_increment``,
``throttle_reset``), but with the policy this product promises instead of django-otp's
exponential back-off from the first failure: ``threshold`` consecutive failures lock for
``base_seconds``, each further lockout doubles that, and only a success resets the count.
Callers hold the row locked (``select_for_update``) while they check and update it.
"""

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

MAX_LOCKOUT_SECONDS = 24 * 3600


class Throttled(models.Model):
    """Abstract model adding failure counting and lockout to a row."""

    failure_count = models.PositiveSmallIntegerField(default=0)
    lockout_count = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def verify_is_allowed(self, now: datetime | None = None) -> bool:
        """Whether a verification may be attempted now."""
        now = now or timezone.now()
        return self.locked_until is None or self.locked_until <= now

    def throttle_increment(self, *, threshold: int, base_seconds: int, commit: bool = True) -> None:
        """Count a failure, locking the row when ``threshold`` is reached."""
        self.failure_count += 1
        if self.failure_count >= threshold:
            seconds = min(base_seconds * 2**self.lockout_count, MAX_LOCKOUT_SECONDS)
            self.locked_until = timezone.now() + timedelta(seconds=seconds)
            self.lockout_count += 1
            self.failure_count = 0
        if commit:
            self.save(update_fields=["failure_count", "lockout_count", "locked_until"])

    def throttle_reset(self, commit: bool = True) -> None:
        """Forget past failures after a success."""
        self.failure_count = 0
        self.lockout_count = 0
        self.locked_until = None
        if commit:
            self.save(update_fields=["failure_count", "lockout_count", "locked_until"])
