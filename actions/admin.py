"""Operator admin: action outcomes and rules are editable; tracked actions are read-only
records."""

from django import forms
from django.contrib import admin

from actions.models import Action, ActionConfig, Rule
from actions.rules import services as rule_services
from devices.models import VerificationMethod
from events.admin_audit import AuditedModelAdmin, ReadOnlyAdmin, checkboxes
from recognize_project.fields import validate_action_code


class ActionCodeFormField(forms.CharField):
    """An action code typed by an operator: checked as typed, never trimmed (a trailing space
    or newline would make a code no request ever carries)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=100, strip=False, validators=[validate_action_code], **kwargs)


class ActionConfigForm(forms.ModelForm):
    action_code = ActionCodeFormField()

    class Meta:
        model = ActionConfig
        fields = ["tenant", "action_code", "default_outcome"]


@admin.register(ActionConfig)
class ActionConfigAdmin(AuditedModelAdmin):
    form = ActionConfigForm
    list_display = ("action_code", "tenant", "default_outcome")
    list_filter = ("tenant", "default_outcome")
    search_fields = ("action_code",)


class RuleForm(forms.ModelForm):
    action_code = ActionCodeFormField()
    verification_methods = checkboxes(
        VerificationMethod.choices,
        "For CHALLENGE_REQUIRED only: the methods allowed; none means any enrolled.",
    )

    class Meta:
        model = Rule
        fields = [
            "tenant",
            "action_code",
            "position",
            "name",
            "description",
            "enabled",
            "conditions",
            "outcome",
            "verification_methods",
        ]
        widgets = {"conditions": forms.Textarea(attrs={"rows": 8, "cols": 80})}

    def clean_conditions(self):
        """An emptied box means no conditions (always fires), not JSON null."""
        conditions = self.cleaned_data.get("conditions")
        return [] if conditions is None else conditions


@admin.register(Rule)
class RuleAdmin(AuditedModelAdmin):
    """Rules are validated like through the API: a bad condition is shown on the form, named
    by its index."""

    form = RuleForm
    list_display = ("action_code", "position", "name", "tenant", "outcome", "enabled", "updated_at")
    list_display_links = ("name",)
    list_filter = ("tenant", "action_code", "outcome", "enabled")
    search_fields = ("name", "action_code", "description")
    ordering = ("tenant", "action_code", "position", "created_at")

    def save_model(self, request, obj, form, change):
        rule_services.rule_save(rule=obj)

    def delete_model(self, request, obj):
        rule_services.rule_delete(rule=obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            rule_services.rule_delete(rule=rule)


@admin.register(Action)
class ActionAdmin(ReadOnlyAdmin):
    list_display = (
        "action_code",
        "user",
        "tenant",
        "state",
        "verification_method",
        "created_at",
        "validated_at",
    )
    list_filter = ("state", "action_code", "tenant", ("created_at", admin.DateFieldListFilter))
    search_fields = ("idempotency_key", "user__external_id", "action_code")
    date_hierarchy = "created_at"
