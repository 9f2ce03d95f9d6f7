"""The operators' admin site: sign-in throttled like every other factor, and two-factor for
staff (security item 6).

- A wrong password or code counts, per user name, through the one lockout protocol
  (``devices.lockout``: 5 failures lock for 10 minutes, doubling), kept under a keyed hash of
  the name in the cache whether or not such a user exists; and each client address may try
  ``ATTEMPTS_PER_MINUTE`` times a minute. A lock says until when, and refuses even the right
  password.
- With ``RECOGNIZE_ADMIN_2FA`` (on by default when ``RECOGNIZE_REQUIRE_SECRETS`` marks a
  production deployment) staff sign in with a code from their authenticator app as well
  (django-otp's TOTP devices; ``manage.py admin_totp_add`` makes one), and only a verified
  session may use the admin.

A surface: it may import any app (import-linter's ``*.admin`` exemption).
"""

import hashlib
import hmac

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from devices.lockout import LockoutPolicy, ThrottleState, raise_if_locked
from events.audit import client_ip
from recognize_project import keys, ratelimit
from recognize_project.errors import ApplicationError

#: Sign-in attempts one client address may make a minute.
ATTEMPTS_PER_MINUTE = 10
ADMIN_POLICY = LockoutPolicy(threshold=5, base_seconds=600)


def _state_key(username: str) -> str:
    key = keys.derive("recognize/admin-login/v1")
    digest = hmac.new(key, username.strip().lower().encode(), hashlib.sha256).hexdigest()
    return f"admin-login:{digest}"


def _state(username: str) -> ThrottleState:
    return ThrottleState.cached(_state_key(username), ADMIN_POLICY)


class ThrottledLoginMixin:
    """Counts the sign-in form's failures per user name and client address."""

    request = None

    def clean(self):
        username = str(self.data.get("username", ""))[:150]
        allowed, wait = ratelimit.hit(f"admin-login:{client_ip(self.request)}", ATTEMPTS_PER_MINUTE)
        if not allowed:
            raise ValidationError(f"Too many sign-in attempts from your network; wait {wait} s.")
        state = _state(username)
        try:
            raise_if_locked(state)
        except ApplicationError as locked:
            until = state.locked_until.strftime("%H:%M UTC")
            raise ValidationError(
                f"Too many failed sign-ins for this user; try again after {until}."
            ) from locked
        try:
            cleaned = super().clean()
        except ValidationError:
            state.throttle_increment()
            raise
        if state.failure_count or state.lockout_count:
            state.throttle_reset()
        return cleaned


class ThrottledLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The plain admin sign-in (RECOGNIZE_ADMIN_2FA off), throttled."""


class ThrottledOTPLoginForm(ThrottledLoginMixin, OTPAdminAuthenticationForm):
    """The admin sign-in with a code from the authenticator app, throttled."""


class RecognizeAdminSite(OTPAdminSite):
    """Django's admin with the sign-in above; two-factor when the setting asks for it."""

    site_header = "Recognize administration"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    @property
    def login_form(self):
        return ThrottledOTPLoginForm if settings.RECOGNIZE_ADMIN_2FA else ThrottledLoginForm

    @property
    def login_template(self):
        return "otp/admin111/login.html" if settings.RECOGNIZE_ADMIN_2FA else None

    def has_permission(self, request) -> bool:
        if settings.RECOGNIZE_ADMIN_2FA:
            return super().has_permission(request)
        return super(OTPAdminSite, self).has_permission(request)
