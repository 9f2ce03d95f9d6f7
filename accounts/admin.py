"""Operator admin for tenants, their secret keys and end users."""

from django import forms
from django.contrib import admin

from accounts import services
from accounts.models import EndUser, FirstFactor, SecretKey, Tenant
from accounts.phones import phone_number_normalize
from accounts.validators import origin_normalize
from events.admin_audit import AuditedModelAdmin, checkboxes, secret_show_once
from recognize_project.errors import ApplicationError
from recognize_project.fields import user_id_problem


class OriginsField(forms.CharField):
    """One origin per line in the admin, a normalized list on the tenant."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        lines = [line.strip() for line in (value or "").splitlines() if line.strip()]
        return list(dict.fromkeys(origin_normalize(line) for line in lines))


class TenantForm(forms.ModelForm):
    first_factors = checkboxes(
        FirstFactor.choices,
        "How users may sign in to the portal and prove themselves before a recovery.",
    )
    allowed_origins = OriginsField(
        required=False,
        help_text="One per line, e.g. https://app.example.com: browsers on these sites may call "
        "the client API (CORS) and use passkeys.",
    )

    class Meta:
        model = Tenant
        fields = [
            "name",
            "token_ttl_seconds",
            "lockout_threshold",
            "lockout_seconds",
            "face_match_threshold",
            "liveness_level",
            "first_factors",
            "allowed_origins",
            "passkey_rp_id",
            "passkey_user_verification",
            "passkey_attestation",
            "portal_sign_in",
            "phone_region",
        ]


class SecretKeyInline(admin.TabularInline):
    model = SecretKey
    fields = ("prefix", "created_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _show_once(modeladmin, request, tenant, secret: str) -> None:
    secret_show_once(modeladmin, request, f"New secret key for {tenant.name}", secret)


@admin.action(description="Create an additional secret key")
def create_secret_key(modeladmin, request, queryset):
    for tenant in queryset:
        _, secret = services.secret_key_create(tenant=tenant)
        _show_once(modeladmin, request, tenant, secret)


@admin.action(description="Rotate: new secret key, revoke all others")
def rotate_secret_keys(modeladmin, request, queryset):
    for tenant in queryset:
        _, secret = services.secret_key_rotate(tenant=tenant)
        _show_once(modeladmin, request, tenant, secret)


@admin.register(Tenant)
class TenantAdmin(AuditedModelAdmin):
    form = TenantForm
    list_display = ("name", "id", "token_ttl_seconds", "lockout_threshold", "created_at")
    search_fields = ("name", "id")
    readonly_fields = ("id", "created_at")
    inlines = [SecretKeyInline]
    actions = [create_secret_key, rotate_secret_keys]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            _, secret = services.secret_key_create(tenant=obj)
            _show_once(self, request, obj, secret)


@admin.action(description="Revoke selected keys")
def revoke_keys(modeladmin, request, queryset):
    for key in queryset:
        services.secret_key_revoke(key=key)
    modeladmin.message_user(request, f"Revoked {queryset.count()} key(s).")


@admin.register(SecretKey)
class SecretKeyAdmin(AuditedModelAdmin):
    list_display = ("prefix", "tenant", "created_at", "revoked_at")
    list_filter = ("tenant", ("revoked_at", admin.EmptyFieldListFilter))
    readonly_fields = ("tenant", "prefix", "key_hash", "created_at", "revoked_at")
    actions = [revoke_keys]

    def has_add_permission(self, request) -> bool:
        return False  # keys are created from the tenant page, where they are shown once


class EndUserForm(forms.ModelForm):
    """A user's profile; a phone number is checked and kept in E.164 beside the typed form."""

    external_id = forms.CharField(label="User id", max_length=255, strip=False)

    def clean_external_id(self) -> str:
        """Checked like a userId sent to the API: as typed, no invisible characters."""
        value = self.cleaned_data["external_id"]
        problem = user_id_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    class Meta:
        model = EndUser
        fields = ["tenant", "external_id", "email", "phone_number", "username", "display_name"]

    def clean(self):
        cleaned = super().clean()
        tenant = cleaned.get("tenant")
        try:
            self.instance.phone_number_e164 = phone_number_normalize(
                cleaned.get("phone_number"), tenant=tenant
            )
        except ApplicationError as invalid:
            self.add_error("phone_number", invalid.message)
        return cleaned


@admin.register(EndUser)
class EndUserAdmin(AuditedModelAdmin):
    form = EndUserForm
    list_display = ("external_id", "tenant", "email", "phone_number", "created_at")
    list_filter = ("tenant",)
    search_fields = ("external_id", "email", "phone_number", "username")
    readonly_fields = ("created_at", "updated_at")
