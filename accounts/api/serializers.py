"""Input and output shapes of the users API (camelCase, as Authsignal's)."""

from rest_framework import serializers

from recognize_project.api import InputSerializer
from recognize_project.fields import NAME_MAX, DisplayTextField, PhoneNumberField


class UserUpdateInput(InputSerializer):
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)
    phoneNumber = PhoneNumberField(required=False, allow_null=True, allow_blank=True)
    username = DisplayTextField(
        required=False, allow_null=True, allow_blank=True, clean_length=NAME_MAX
    )
    displayName = DisplayTextField(
        required=False, allow_null=True, allow_blank=True, clean_length=NAME_MAX
    )
    custom = serializers.DictField(required=False, allow_null=True)


class UserOutput(serializers.Serializer):
    userId = serializers.CharField()
    isEnrolled = serializers.BooleanField()
    email = serializers.CharField(allow_null=True)
    phoneNumber = serializers.CharField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    displayName = serializers.CharField(allow_null=True)
    custom = serializers.DictField(allow_null=True)
    enrolledVerificationMethods = serializers.ListField(child=serializers.CharField())
    allowedVerificationMethods = serializers.ListField(child=serializers.CharField())
    defaultVerificationMethod = serializers.CharField(allow_null=True)


def user_output(user_id: str, user, enrolled: list[str], allowed: list[str]) -> dict:
    """The user's JSON; an unknown user is reported as not enrolled, never as an error."""
    return {
        "userId": user_id,
        "isEnrolled": bool(enrolled),
        "email": (user.email or None) if user else None,
        "phoneNumber": (user.phone_number or None) if user else None,
        "username": (user.username or None) if user else None,
        "displayName": (user.display_name or None) if user else None,
        "custom": (user.custom or None) if user else None,
        "enrolledVerificationMethods": enrolled,
        "allowedVerificationMethods": allowed,
        "defaultVerificationMethod": enrolled[0] if enrolled else None,
    }
