"""Operator admin: action outcomes are editable; tracked actions and the audit log are
read-only records."""

from django.contrib import admin

from actions.models import Action, ActionConfig, AuditEvent


@admin.register(ActionConfig)
class ActionConfigAdmin(admin.ModelAdmin):
    list_display = ("action_code", "tenant", "default_outcome")
    list_filter = ("tenant", "default_outcome")
    search_fields = ("action_code",)


class ReadOnlyAdmin(admin.ModelAdmin):
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
