"""App configuration for accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from accounts.origins import cors_request_allowed

        check_request_enabled.connect(cors_request_allowed, dispatch_uid="accounts.cors")
