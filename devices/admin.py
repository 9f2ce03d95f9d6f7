"""Operator admin for devices and authenticators; deleting a device revokes it at once."""

from django import forms
from django.contrib import admin

from devices.models import Authenticator, Device
from events.admin_audit import AuditedModelAdmin
from recognize_project.fields import DEVICE_NAME_MAX, display_text_clean


class AuthenticatorInline(admin.TabularInline):
    model = Authenticator
    fields = ("verification_method", "created_at", "last_verified_at", "locked_until")
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class DeviceForm(forms.ModelForm):
    def clean_name(self) -> str:
        """Cleaned like a name sent through the API (it shows up in the security e-mail)."""
        return display_text_clean(self.cleaned_data.get("name", ""), DEVICE_NAME_MAX)


@admin.register(Device)
class DeviceAdmin(AuditedModelAdmin):
    form = DeviceForm
    list_display = (
        "id",
        "type",
        "name",
        "platform",
        "user",
        "tenant",
        "created_at",
        "last_used_at",
    )
    list_filter = ("type", "tenant", "platform")
    search_fields = ("id", "name", "user__external_id")
    readonly_fields = (
        "id",
        "tenant",
        "user",
        "type",
        "public_key",
        "public_key_fingerprint",
        "created_at",
        "last_used_at",
    )
    inlines = [AuthenticatorInline]


@admin.register(Authenticator)
class AuthenticatorAdmin(AuditedModelAdmin):
    list_display = (
        "id",
        "verification_method",
        "user",
        "tenant",
        "created_at",
        "last_verified_at",
        "locked_until",
    )
    list_filter = ("verification_method", "tenant")
    search_fields = ("id", "user__external_id", "email", "phone_number")
    readonly_fields = (
        "id",
        "tenant",
        "user",
        "device",
        "verification_method",
        "created_at",
        "last_verified_at",
        "failure_count",
        "lockout_count",
    )
    fields = readonly_fields + ("email", "phone_number", "is_default", "locked_until")
