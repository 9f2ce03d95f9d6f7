"""Shared API building blocks: strict camelCase input, path validators and the two view bases.

The view bases take their authentication classes from settings
(``RECOGNIZE_SERVER_API_AUTHENTICATION``, ``RECOGNIZE_CLIENT_API_AUTHENTICATION``), as DRF takes
its defaults: the kernel names no app above it (the classes live in ``accounts`` and
``actions``).
"""

import functools
import logging
import threading
from collections.abc import Mapping

import humps
from django.conf import settings
from django.utils.functional import cached_property
from django.utils.module_loading import import_string
from rest_framework import permissions, serializers
from rest_framework.utils.serializer_helpers import BindingDict
from rest_framework.views import APIView

from recognize_project.errors import ApplicationError
from recognize_project.fields import ACTION_CODE_MESSAGE, action_code_is_valid, user_id_problem
from recognize_project.ratelimit import ClientRateThrottle

_bound_fields = threading.local()
logger = logging.getLogger(__name__)


class InputSerializer(serializers.Serializer):
    """Input with camelCase keys (snake_case is accepted too); unknown keys are ignored.

    Only top-level keys are renamed: nested objects such as ``custom`` are the caller's data.
    An unknown key is dropped (logged at debug, by name only) so that an SDK one version newer
    than the server never breaks; the known keys keep their strict type validation.
    """

    @cached_property
    def fields(self) -> BindingDict:
        """The fields, copied and bound once per class and thread instead of once per instance.

        DRF deep-copies every declared field for each serializer it creates (0.5 ms for
        ``TrackInput``, on every request). Input serializers only validate, keep no per-request
        state in their fields and never change them per instance (subclasses must not), so the
        fields bound to one empty instance serve every later one.
        """
        by_class = _bound_fields.__dict__
        cls = type(self)
        if cls not in by_class:
            by_class[cls] = super(InputSerializer, cls()).fields
        return by_class[cls]

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {"non_field_errors": ["Expected a JSON object."]}, code="invalid"
            )
        normalized = {(humps.camelize(k) if "_" in k else k): v for k, v in data.items()}
        fields = self.fields
        unknown = [key for key in normalized if key not in fields]
        if unknown:
            logger.debug(  # names only, shortened: never the values
                "%s ignored unknown field(s): %s",
                type(self).__name__,
                ", ".join(sorted(str(key)[:40] for key in unknown[:10])),
            )
            normalized = {key: value for key, value in normalized.items() if key in fields}
        return super().to_internal_value(normalized)


def parse(serializer_class: type[serializers.Serializer], data) -> dict:
    """Validate ``data`` with ``serializer_class`` and return the validated dict."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class IsAuthenticated(permissions.BasePermission):
    """Allows a request once one of the view's authentication classes accepted it."""

    def has_permission(self, request, view) -> bool:
        return request.auth is not None


@functools.cache
def _classes_of(setting: str) -> list[type]:
    return [import_string(path) for path in getattr(settings, setting)]


class ClassesFromSetting:
    """A class attribute holding the classes a setting names by dotted path, imported on first
    use (a subclass may still set the attribute to a plain list)."""

    def __init__(self, setting: str) -> None:
        self.setting = setting

    def __get__(self, instance: object, owner: type | None = None) -> list[type]:
        return _classes_of(self.setting)


class ServerAPIView(APIView):
    """Base for the tenant backend's API: HTTP Basic with the secret key."""

    authentication_classes = ClassesFromSetting("RECOGNIZE_SERVER_API_AUTHENTICATION")
    permission_classes = [IsAuthenticated]

    @property
    def tenant(self):
        return self.request.auth.tenant


class ClientAPIView(APIView):
    """Base for the app's API: an action token, or the public tenant id; rate limited."""

    authentication_classes = ClassesFromSetting("RECOGNIZE_CLIENT_API_AUTHENTICATION")
    permission_classes = [IsAuthenticated]
    throttle_classes = [ClientRateThrottle]


def path_user_id(value: str) -> str:
    """Validate a ``userId`` taken from the URL: visible characters only, as sent."""
    problem = user_id_problem(value)
    if problem:
        raise ApplicationError("invalid_request", problem)
    return value


def path_action_code(value: str) -> str:
    """Validate an action code taken from the URL: rejected, never trimmed, when malformed."""
    if not action_code_is_valid(value):
        raise ApplicationError("invalid_request", ACTION_CODE_MESSAGE)
    return value
