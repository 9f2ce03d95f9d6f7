"""Input and output shapes of the users API (camelCase, as Authsignal's)."""

from rest_framework import serializers

from accounts.selectors import USER_QUERY_MAX_LIMIT
from devices.methods import methods_to_wire
from recognize_project.api import InputSerializer
from recognize_project.fields import NAME_MAX, USER_ID_MAX, DisplayTextField, PhoneNumberField


class UserUpdateInput(InputSerializer):
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)
    emailVerified = serializers.BooleanField(required=False, allow_null=True)
    phoneNumber = PhoneNumberField(required=False, allow_null=True, allow_blank=True)
    phoneNumberVerified = serializers.BooleanField(required=False, allow_null=True)
    username = DisplayTextField(
        required=False, allow_null=True, allow_blank=True, clean_length=NAME_MAX
    )
    displayName = DisplayTextField(
        required=False, allow_null=True, allow_blank=True, clean_length=NAME_MAX
    )
    custom = serializers.DictField(required=False, allow_null=True)
    locale = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=35)


class UserOutput(serializers.Serializer):
    userId = serializers.CharField()
    isEnrolled = serializers.BooleanField()
    email = serializers.CharField(allow_null=True)
    emailVerified = serializers.BooleanField()
    phoneNumber = serializers.CharField(allow_null=True)
    phoneNumberVerified = serializers.BooleanField()
    username = serializers.CharField(allow_null=True)
    displayName = serializers.CharField(allow_null=True)
    locale = serializers.CharField(allow_null=True)
    custom = serializers.DictField(allow_null=True)
    enrolledVerificationMethods = serializers.ListField(child=serializers.CharField())
    allowedVerificationMethods = serializers.ListField(child=serializers.CharField())
    defaultVerificationMethod = serializers.CharField(allow_null=True)


def user_output(user_id: str, user, enrolled: list[str], allowed: list[str]) -> dict:
    """The user's JSON; an unknown user is reported as not enrolled, never as an error.

    Method names are in Authsignal's spelling (``devices.methods``)."""
    enrolled, allowed = methods_to_wire(enrolled), methods_to_wire(allowed)
    return {
        "userId": user_id,
        "isEnrolled": bool(enrolled),
        "email": (user.email or None) if user else None,
        "emailVerified": bool(user and user.email_verified),
        "phoneNumber": (user.phone_number or None) if user else None,
        "phoneNumberVerified": bool(user and user.phone_number_verified),
        "username": (user.username or None) if user else None,
        "displayName": (user.display_name or None) if user else None,
        "locale": (user.locale or None) if user else None,
        "custom": (user.custom or None) if user else None,
        "enrolledVerificationMethods": enrolled,
        "allowedVerificationMethods": allowed,
        "defaultVerificationMethod": enrolled[0] if enrolled else None,
    }


class UserQueryInput(InputSerializer):
    """The query string of ``GET /v1/users`` (authsignal-node src/authsignal.ts ``queryUsers``)."""

    username = serializers.CharField(required=False, allow_blank=True, max_length=255)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    phoneNumber = serializers.CharField(required=False, allow_blank=True, max_length=32)
    token = serializers.CharField(required=False, allow_blank=True, max_length=4096)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=USER_QUERY_MAX_LIMIT)
    lastEvaluatedUserId = serializers.CharField(
        required=False, allow_blank=True, max_length=USER_ID_MAX
    )


class QueriedUserOutput(serializers.Serializer):
    userId = serializers.CharField(source="external_id")
    email = serializers.CharField(allow_null=True)
    emailVerified = serializers.BooleanField(source="email_verified")
    phoneNumber = serializers.CharField(source="phone_number", allow_null=True)
    phoneNumberVerified = serializers.BooleanField(source="phone_number_verified")
    username = serializers.CharField(allow_null=True)
    displayName = serializers.CharField(source="display_name", allow_null=True)

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        for key in ("email", "phoneNumber", "username", "displayName"):
            data[key] = data[key] or None
        return data


class UserQueryOutput(serializers.Serializer):
    users = QueriedUserOutput(many=True)
    lastEvaluatedUserId = serializers.CharField(required=False)
    tokenPayload = serializers.DictField(required=False)
