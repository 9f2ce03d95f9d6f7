"""Input and output shapes of the users API (camelCase, as Authsignal's)."""

from rest_framework import serializers

from devices.methods import methods_to_wire
from recognize_project.api import InputSerializer
from recognize_project.fields import PhoneNumberField


class UserUpdateInput(InputSerializer):
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)
    emailVerified = serializers.BooleanField(required=False, allow_null=True)
    phoneNumber = PhoneNumberField(required=False, allow_null=True, allow_blank=True)
    phoneNumberVerified = serializers.BooleanField(required=False, allow_null=True)
    username = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=255
    )
    displayName = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=255
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
