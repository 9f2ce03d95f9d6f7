"""Operator admin for face templates and jobs: metadata only, never template contents."""

from django.contrib import admin

from biometrics.models import FaceJob, FaceTemplate
from events.admin_audit import AuditedModelAdmin


@admin.register(FaceTemplate)
class FaceTemplateAdmin(AuditedModelAdmin):
    list_display = ("id", "user", "tenant", "source", "created_at")
    list_filter = ("source", "tenant")
    search_fields = ("id", "user__external_id")
    exclude = ("sealed_template",)
    readonly_fields = ("id", "tenant", "user", "authenticator", "source", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FaceJob)
class FaceJobAdmin(AuditedModelAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "error_code",
        "user",
        "tenant",
        "created_at",
        "finished_at",
    )
    list_filter = ("kind", "status", "tenant")
    readonly_fields = [f.name for f in FaceJob._meta.fields if f.name != "token_jti"]
    exclude = ("token_jti",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
