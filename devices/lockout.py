"""The one lockout protocol: every kind of authenticator, and the portal's sign-in, locks the
same way.

Shaped like django-otp's ``ThrottlingMixin`` (``verify_is_allowed()``, ``throttle_increment()``,
``throttle_reset()``), but with the policy this product promises instead of django-otp's
exponential back-off from the first failure: the tenant's ``lockout_threshold`` consecutive
failures lock for ``lockout_seconds``, each further lockout doubles that (at most a day), and
only a success resets the count. Rows (``Throttled``) are held locked (``select_for_update``)
by their callers while they check and update them; ``ThrottleState`` carries the same state
where there is no row (a sign-in for an address that matches nobody must behave like one that
does).

The errors a caller raises are made here too, so every surface says the same thing: 429 with
``Retry-After`` while locked, 401 with the attempts left (or the lock's end) after a failure.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.core.cache import cache
from django.db import models
from django.utils import timezone

from accounts.models import Tenant
from recognize_project.errors import ApplicationError

MAX_LOCKOUT_SECONDS = 24 * 3600
#: How long a cached ``ThrottleState`` is kept: past the longest lock, with room to spare.
CACHED_STATE_SECONDS = 2 * MAX_LOCKOUT_SECONDS
#: The columns the protocol writes.
THROTTLE_FIELDS = ["failure_count", "lockout_count", "locked_until"]


class LockoutPolicy(NamedTuple):
    """How many consecutive failures lock, and for how long the first lock lasts."""

    threshold: int
    base_seconds: int

    @classmethod
    def of_tenant(cls, tenant: Tenant) -> "LockoutPolicy":
        return cls(tenant.lockout_threshold, tenant.lockout_seconds)


class ThrottlingMixin:
    """The protocol over three attributes: ``failure_count``, ``lockout_count``, ``locked_until``.

    Subclasses say which policy applies (``throttle_policy``) and how the state is kept
    (``throttle_save``).
    """

    failure_count: int
    lockout_count: int
    locked_until: datetime | None

    def throttle_policy(self) -> LockoutPolicy:
        raise NotImplementedError

    def throttle_save(self) -> None:
        """Persist the three attributes (a no-op where the caller keeps them)."""

    def verify_is_allowed(self, now: datetime | None = None) -> bool:
        """Whether a verification may be attempted now."""
        now = now or timezone.now()
        return self.locked_until is None or self.locked_until <= now

    def throttle_is_clear(self) -> bool:
        """Whether there is nothing to reset: no failure counted and no lock."""
        return self.failure_count == 0 and self.lockout_count == 0 and self.locked_until is None

    def throttle_increment(self, commit: bool = True) -> None:
        """Count a failure, locking when the policy's threshold is reached."""
        policy = self.throttle_policy()
        self.failure_count += 1
        if self.failure_count >= policy.threshold:
            seconds = min(policy.base_seconds * 2**self.lockout_count, MAX_LOCKOUT_SECONDS)
            self.locked_until = timezone.now() + timedelta(seconds=seconds)
            self.lockout_count += 1
            self.failure_count = 0
        if commit:
            self.throttle_save()

    def throttle_reset(self, commit: bool = True) -> None:
        """Forget past failures after a success."""
        self.failure_count = 0
        self.lockout_count = 0
        self.locked_until = None
        if commit:
            self.throttle_save()


class Throttled(ThrottlingMixin, models.Model):
    """Abstract model adding failure counting and lockout to a row that has a ``tenant``."""

    failure_count = models.PositiveSmallIntegerField(default=0)
    lockout_count = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def throttle_policy(self) -> LockoutPolicy:
        return LockoutPolicy.of_tenant(self.tenant)

    def throttle_save(self) -> None:
        self.save(update_fields=THROTTLE_FIELDS)


@dataclass
class ThrottleState(ThrottlingMixin):
    """Lockout state kept instead of a row: by the caller (e.g. in a session), or in the cache
    under ``cache_key`` (``ThrottleState.cached``), for something that has no row — an address
    that matches nobody, an admin user name."""

    policy: LockoutPolicy
    failure_count: int = 0
    lockout_count: int = 0
    locked_until: datetime | None = None
    cache_key: str = ""

    def throttle_policy(self) -> LockoutPolicy:
        return self.policy

    @classmethod
    def cached(cls, cache_key: str, policy: LockoutPolicy) -> "ThrottleState":
        """The state kept in the cache under ``cache_key`` (a fresh one when there is none)."""
        stored = cache.get(cache_key) or {}
        until = stored.get("locked_until")
        return cls(
            policy,
            failure_count=stored.get("failure_count", 0),
            lockout_count=stored.get("lockout_count", 0),
            locked_until=datetime.fromtimestamp(until, tz=UTC) if until else None,
            cache_key=cache_key,
        )

    def throttle_save(self) -> None:
        if not self.cache_key:
            return
        until = self.locked_until.timestamp() if self.locked_until else None
        cache.set(
            self.cache_key,
            {
                "failure_count": self.failure_count,
                "lockout_count": self.lockout_count,
                "locked_until": until,
            },
            CACHED_STATE_SECONDS,
        )


def lock_words(until: datetime) -> str:
    """When a lock ends, as a person reads it: "locked until 14:05 UTC (10 minutes)"."""
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    span = f"{minutes} minute{'s' if minutes != 1 else ''}"
    if minutes >= 120:
        span = f"about {round(minutes / 60)} hours"
    return f"locked until {until:%H:%M} UTC ({span})"


def raise_if_locked(throttled: ThrottlingMixin) -> None:
    """Refuse an attempt while ``throttled`` is locked (429, with ``Retry-After``)."""
    if throttled.verify_is_allowed():
        return
    until = throttled.locked_until
    seconds = max(1, int((until - timezone.now()).total_seconds()))
    raise ApplicationError(
        "authenticator_locked",
        f"Too many failed attempts; {lock_words(until)}.",
        status=429,
        extra={"lockedUntil": until.isoformat()},
        headers={"Retry-After": str(seconds)},
    )


def attempt_failure(throttled: ThrottlingMixin, code: str, what: str) -> ApplicationError:
    """The error for a failed attempt, saying how many are left or how long the lock lasts."""
    if not throttled.verify_is_allowed():
        return ApplicationError(
            code,
            f"{what}. Too many failed attempts: {lock_words(throttled.locked_until)}.",
            status=401,
            extra={"lockedUntil": throttled.locked_until.isoformat()},
        )
    remaining = throttled.throttle_policy().threshold - throttled.failure_count
    return ApplicationError(
        code,
        f"{what}; {remaining} attempt(s) left before a lockout.",
        status=401,
        extra={"attemptsRemaining": remaining},
    )
