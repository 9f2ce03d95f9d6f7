"""App configuration for biometrics."""

from django.apps import AppConfig


class BiometricsConfig(AppConfig):
    name = "biometrics"
    default_auto_field = "django.db.models.BigAutoField"
