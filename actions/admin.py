"""Operator admin: action outcomes and rules are editable; tracked actions and the audit log
are read-only records."""

from django import forms
from django.contrib import admin

from actions import webhooks
from actions.admin_audit import AuditedModelAdmin, checkboxes, secret_show_once
from actions.models import Action, ActionConfig, AuditEvent, Rule, WebhookDelivery, WebhookEndpoint
from actions.rules import services as rule_services
from devices.models import VerificationMethod
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


class ReadOnlyAdmin(AuditedModelAdmin):
    """Records nobody edits, adds or deletes by hand."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("event_type", "user", "tenant", "ip_address", "created_at")
    list_filter = ("event_type", "tenant", ("created_at", admin.DateFieldListFilter))
    search_fields = ("user__external_id", "event_type")
    date_hierarchy = "created_at"


class WebhookEndpointForm(forms.ModelForm):
    event_types = checkboxes(
        [(t, t) for t in webhooks.EVENT_TYPES],
        "None checked: every event.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["tenant", "url", "event_types", "enabled"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedModelAdmin):
    """Endpoints; the signing secret is made on creation and shown once."""

    form = WebhookEndpointForm
    list_display = ("url", "tenant", "enabled", "created_at")
    list_filter = ("tenant", "enabled")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            webhooks._endpoints_cache.pop(obj.tenant_id, None)
            return
        created, secret = webhooks.webhook_endpoint_create(
            tenant=obj.tenant, url=obj.url, event_types=obj.event_types
        )
        obj.pk = created.pk
        secret_show_once(self, request, f"Signing secret for {obj.url}", secret)


@admin.action(description="Replay: send again")
def replay_deliveries(modeladmin, request, queryset):
    for delivery in queryset:
        webhooks.webhook_delivery_replay(delivery=delivery)
    modeladmin.message_user(request, f"{queryset.count()} delivery(ies) queued again.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_response_status",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type", "tenant")
    search_fields = ("event_id",)
    actions = [replay_deliveries]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and request.user.is_superuser  # the list's actions need it
