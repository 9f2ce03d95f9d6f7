"""What every admin of ours shares: operators' changes go to the audit log too (beside
Django's own admin log), under the tenant they concern, naming the operator and the object —
never field values; list fields edited as checkboxes; and secrets shown once."""

from django import forms
from django.contrib import admin, messages

from accounts.models import Tenant
from events.services import event_record


def _tenant_of(obj) -> Tenant | None:
    if isinstance(obj, Tenant):
        return obj
    return getattr(obj, "tenant", None)


def _record(request, obj, verb: str) -> None:
    tenant = _tenant_of(obj)
    if tenant is None or tenant.pk is None:
        return
    event_record(
        tenant=tenant,
        event_type=f"admin.{verb}",
        model=obj._meta.label,
        object_id=obj.pk,
        object=str(obj)[:200],
        operator=request.user.get_username(),
    )


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose additions, changes and deletions are audited."""

    def log_addition(self, request, obj, message):
        _record(request, obj, "added")
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        _record(request, obj, "changed")
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            _record(request, obj, "deleted")
        return super().log_deletions(request, queryset)


def checkboxes(choices, help_text: str) -> forms.MultipleChoiceField:
    """A JSON list field edited as checkboxes (none checked is allowed)."""
    return forms.MultipleChoiceField(
        choices=choices, widget=forms.CheckboxSelectMultiple, required=False, help_text=help_text
    )


def secret_show_once(modeladmin, request, what: str, secret: str) -> None:
    """Show the operator a secret that is stored only hashed or sealed: this is its one time."""
    modeladmin.message_user(
        request,
        f"{what}: {secret} — copy it now, it is not shown again.",
        messages.WARNING,
    )


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
