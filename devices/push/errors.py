"""What can go wrong when handing a push to a gateway, as the caller needs to tell it apart.

- ``PushDeliveryError``: transient (network, 429, 5xx); retry later, after ``retry_after``
  seconds when the gateway said so.
- ``StaleRegistration`` (a ``PushDeliveryError``, so catch it first): the gateway says this
  registration is gone; disable the channel for the device, do not retry.
- ``PushRejected``: the gateway refused this request for good (bad request, credentials it
  will not take, payload too large); retrying the same thing will not help, but the
  registration may still be fine. ``PushNotConfigured`` is one: the channel has no settings.
- ``InvalidRegistration`` / ``InvalidPushMessage`` (also ``ValueError``): rejected locally,
  before any network call.
"""

from django.core.exceptions import ImproperlyConfigured


class PushError(Exception):
    """Any failure to hand a push to its gateway."""


class PushDeliveryError(PushError):
    """A transient failure worth retrying (network, 429, 5xx)."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class StaleRegistration(PushDeliveryError):
    """The gateway says the registration is gone: disable it, do not retry."""


class PushRejected(PushError):
    """The gateway refused the request for good; retrying it unchanged will not help."""


class PushNotConfigured(PushRejected, ImproperlyConfigured):
    """The channel has no (or incomplete) settings on this server."""


class InvalidRegistration(PushError, ValueError):
    """A registration of the wrong shape for its channel (missing keys, bad encoding...)."""


class InvalidPushMessage(PushError, ValueError):
    """A message that cannot be sent (not JSON-able, reserved keys, too large)."""
