"""Operator admin for the event log: audit events are read-only records; webhook endpoints are
edited here (the signing secret shown once) and deliveries can be replayed."""

from django import forms
from django.contrib import admin

from events import webhooks
from events.admin_audit import AuditedModelAdmin, ReadOnlyAdmin, checkboxes, secret_show_once
from events.models import AuditEvent, WebhookDelivery, WebhookEndpoint, webhook_type


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("event_type", "user", "tenant", "ip_address", "created_at")
    list_filter = ("event_type", "tenant", ("created_at", admin.DateFieldListFilter))
    search_fields = ("user__external_id", "event_type")
    date_hierarchy = "created_at"


class WebhookEndpointForm(forms.ModelForm):
    event_types = checkboxes(
        [(webhook_type(t), webhook_type(t)) for t in webhooks.EVENT_TYPES],
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
