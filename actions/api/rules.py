"""Server API for adaptive rules: ``GET | POST /v1/actions/{actionCode}/rules`` and
``GET | PATCH | DELETE /v1/actions/{actionCode}/rules/{ruleId}``.

A rule's conditions are checked against the grammar in ``actions.rules.engine``; a bad one is
a 400 ``invalid_rule`` naming the condition's index and the problem.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from actions.models import Outcome, Rule
from actions.rules import selectors, services
from devices.models import VerificationMethod
from recognize_project.api import InputSerializer, ServerAPIView, parse, path_action_code
from recognize_project.errors import ApplicationError

CONDITIONS_HELP = (
    "All must hold for the rule to fire; an empty list always fires. Each is an object with a"
    ' type: {"type": "new_device", "value": true}; {"type": "ip", "op": "in" | "not_in",'
    ' "value": ["10.0.0.0/8", "203.0.113.7"]}; {"type": "user_agent", "op": "contains",'
    ' "value": "HeadlessChrome"}; {"type": "custom", "field": "amount", "op": ">", "value":'
    " 1000} (ops ==, !=, >, >=, <, <=, in, not_in, contains, exists);"
    ' {"type": "failed_attempts", "minutes": 15, "op": ">=", "value": 3};'
    ' {"type": "has_face", "value": true}.'
)
METHODS_HELP = (
    "For CHALLENGE_REQUIRED only: the verification methods the challenge may use"
    f" ({', '.join(VerificationMethod.values)}); empty means any the user has."
)

#: Input names → model field names.
RULE_FIELDS = {
    "name": "name",
    "description": "description",
    "conditions": "conditions",
    "outcome": "outcome",
    "verificationMethods": "verification_methods",
    "enabled": "enabled",
    "position": "position",
}


class RuleUpdateInput(InputSerializer):
    name = serializers.CharField(required=False, max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    conditions = serializers.ListField(
        child=serializers.JSONField(), required=False, help_text=CONDITIONS_HELP
    )
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    verificationMethods = serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        max_length=len(VerificationMethod.values),
        help_text=METHODS_HELP,
    )
    enabled = serializers.BooleanField(required=False)
    position = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text="Rules apply in increasing position. New rules go last unless given.",
    )


class RuleCreateInput(RuleUpdateInput):
    name = serializers.CharField(max_length=100)
    outcome = serializers.ChoiceField(choices=Outcome.choices)


class RuleOutput(serializers.Serializer):
    ruleId = serializers.UUIDField(source="id")
    actionCode = serializers.CharField(source="action_code")
    position = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    conditions = serializers.ListField(child=serializers.JSONField())
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    verificationMethods = serializers.ListField(
        child=serializers.CharField(), source="verification_methods"
    )
    enabled = serializers.BooleanField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


def _fields(data: dict) -> dict:
    return {RULE_FIELDS[key]: value for key, value in data.items()}


class RuleListView(ServerAPIView):
    @extend_schema(responses=RuleOutput(many=True), operation_id="rules_list")
    def get(self, request, action_code: str):
        rules = selectors.rule_list(tenant=self.tenant, action_code=path_action_code(action_code))
        return Response(RuleOutput(rules, many=True).data)

    @extend_schema(request=RuleCreateInput, responses={201: RuleOutput}, operation_id="rule_create")
    def post(self, request, action_code: str):
        action_code = path_action_code(action_code)
        data = parse(RuleCreateInput, request.data)
        rule = services.rule_create(tenant=self.tenant, action_code=action_code, **_fields(data))
        return Response(RuleOutput(rule).data, status=201)


class RuleDetailView(ServerAPIView):
    def _rule(self, action_code: str, rule_id: str) -> Rule:
        rule = selectors.rule_get(
            tenant=self.tenant, action_code=path_action_code(action_code), rule_id=rule_id
        )
        if rule is None:
            raise ApplicationError("rule_not_found", "No such rule.", status=404)
        return rule

    @extend_schema(responses=RuleOutput, operation_id="rule_get")
    def get(self, request, action_code: str, rule_id: str):
        return Response(RuleOutput(self._rule(action_code, rule_id)).data)

    @extend_schema(request=RuleUpdateInput, responses=RuleOutput, operation_id="rule_update")
    def patch(self, request, action_code: str, rule_id: str):
        data = parse(RuleUpdateInput, request.data)
        rule = services.rule_update(rule=self._rule(action_code, rule_id), data=_fields(data))
        return Response(RuleOutput(rule).data)

    @extend_schema(responses={200: None}, operation_id="rule_delete")
    def delete(self, request, action_code: str, rule_id: str):
        services.rule_delete(rule=self._rule(action_code, rule_id))
        return Response({"success": True})
