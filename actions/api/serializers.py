"""Input and output shapes of the actions, validate and challenge APIs."""

from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from actions.models import ActionState, Rule
from devices.methods import method_to_wire
from recognize_project.api import InputSerializer
from recognize_project.fields import (
    ACTION_CODE_MESSAGE,
    NAME_MAX,
    ActionCodeField,
    DisplayTextField,
    PhoneNumberField,
    UserIdField,
    action_code_is_valid,
)


class AsciiField(serializers.CharField):
    """Text a program made (a token, an id, base64): ASCII only.

    Checked by ``str.isascii`` in C instead of DRF's character-by-character surrogate scan
    (an ASCII string has no surrogates), which cost more than the rest of the parsing on a
    500-character token.
    """

    default_error_messages = {"not_ascii": "Must be ASCII."}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitSurrogateCharactersValidator)
        ]

    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data)
        if not value.isascii():
            self.fail("not_ascii")
        return value


class TrackInput(InputSerializer):
    idempotencyKey = serializers.UUIDField(required=False)
    redirectUrl = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    redirectToSettings = serializers.BooleanField(required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    phoneNumber = PhoneNumberField(required=False, allow_blank=True)
    username = DisplayTextField(required=False, allow_blank=True, clean_length=NAME_MAX)
    displayName = DisplayTextField(required=False, allow_blank=True, clean_length=NAME_MAX)
    ipAddress = serializers.IPAddressField(required=False, allow_blank=True)
    userAgent = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    deviceId = serializers.CharField(required=False, allow_blank=True, max_length=255)
    custom = serializers.DictField(required=False)
    scope = serializers.CharField(required=False, allow_blank=True, max_length=200)
    locale = serializers.CharField(required=False, allow_blank=True, max_length=35)
    customDomain = serializers.CharField(required=False, allow_blank=True, max_length=255)
    challengeId = AsciiField(required=False, allow_blank=True, max_length=64)


class TrackOutput(serializers.Serializer):
    state = serializers.ChoiceField(choices=ActionState.choices)
    idempotencyKey = serializers.UUIDField()
    url = serializers.URLField()
    token = serializers.CharField()
    isEnrolled = serializers.BooleanField()
    enrolledVerificationMethods = serializers.ListField(child=serializers.CharField())
    allowedVerificationMethods = serializers.ListField(child=serializers.CharField())
    defaultVerificationMethod = serializers.CharField(allow_null=True)
    ruleIds = serializers.ListField(child=serializers.CharField())
    pushVerificationCode = serializers.CharField(
        required=False,
        help_text="With number matching: the number to show the user, who enters it in the app.",
    )


class ActionOutput(serializers.Serializer):
    userId = serializers.CharField(source="user.external_id")
    actionCode = serializers.CharField(source="action_code")
    idempotencyKey = serializers.UUIDField(source="idempotency_key")
    state = serializers.CharField()
    stateUpdatedAt = serializers.DateTimeField(source="state_updated_at")
    createdAt = serializers.DateTimeField(source="created_at")
    verificationMethod = serializers.CharField(source="verification_method", allow_null=True)
    output = serializers.DictField()
    ipAddress = serializers.CharField(source="ip_address", allow_null=True)
    userAgent = serializers.CharField(source="user_agent")
    deviceId = serializers.CharField(source="client_device_id")
    custom = serializers.DictField()
    locale = serializers.CharField(allow_blank=True)
    customDomain = serializers.CharField(source="custom_domain", allow_blank=True)
    rules = serializers.SerializerMethodField(
        help_text="The rules that decided the action (authsignal-node src/types.ts Rule)."
    )

    def get_rules(self, action) -> list[dict]:
        ids = [rule_id for rule_id in action.output.get("ruleIds") or [] if rule_id]
        if not ids:
            return []
        found = Rule.objects.filter(tenant_id=action.tenant_id, pk__in=ids)
        return [
            {"ruleId": str(rule.pk), "name": rule.name, "description": rule.description}
            for rule in found
        ]

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        data["verificationMethod"] = method_to_wire(data["verificationMethod"])
        return data


class ActionUpdateInput(InputSerializer):
    state = serializers.ChoiceField(choices=ActionState.choices)


class ValidateInput(InputSerializer):
    token = AsciiField(max_length=4096)
    userId = UserIdField(required=False)
    action = ActionCodeField(required=False)


class ValidateOutput(serializers.Serializer):
    isValid = serializers.BooleanField()
    state = serializers.CharField()
    stateUpdatedAt = serializers.DateTimeField()
    userId = serializers.CharField()
    action = serializers.CharField()
    actionCode = serializers.CharField()
    idempotencyKey = serializers.UUIDField()
    verificationMethod = serializers.CharField(allow_null=True)


class ChallengeInput(InputSerializer):
    action = ActionCodeField(required=False)


class ChallengeOutput(serializers.Serializer):
    challengeId = serializers.CharField()
    expiresAt = serializers.DateTimeField()


class InAppVerifyInput(InputSerializer):
    challengeId = AsciiField(max_length=64)
    publicKey = AsciiField(max_length=1024)
    signature = AsciiField(max_length=256)


class InAppVerifyOutput(serializers.Serializer):
    token = serializers.CharField()
    userId = serializers.CharField()
    userAuthenticatorId = serializers.UUIDField()
    username = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    idempotencyKey = serializers.UUIDField()


class ActionQueryInput(InputSerializer):
    """The query string of ``GET /v1/users/{userId}/actions`` (authsignal-node
    src/authsignal.ts ``queryUserActions``: ``codes`` comma-separated)."""

    fromDate = serializers.DateTimeField(required=False)
    codes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    state = serializers.ChoiceField(choices=ActionState.choices, required=False)

    def validate_codes(self, value: str) -> list[str]:
        codes = [code for code in value.split(",") if code]
        if not all(action_code_is_valid(code) for code in codes):
            raise serializers.ValidationError(f"Each action code: {ACTION_CODE_MESSAGE}")
        return codes


class ActionListItemOutput(serializers.Serializer):
    """One action as queryUserActions reads it (authsignal-node src/types.ts
    ``QueryUserActionsResponse``)."""

    actionCode = serializers.CharField(source="action_code")
    idempotencyKey = serializers.UUIDField(source="idempotency_key")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="state_updated_at")
    state = serializers.CharField()
    stateUpdatedAt = serializers.DateTimeField(source="state_updated_at")
    verificationMethod = serializers.CharField(source="verification_method", allow_null=True)

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        data["verificationMethod"] = method_to_wire(data["verificationMethod"])
        return data
