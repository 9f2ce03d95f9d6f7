"""The admin app, configured to use the operators' admin site (``recognize_project.admin``)."""

from django.contrib.admin.apps import AdminConfig


class RecognizeAdminConfig(AdminConfig):
    default_site = "recognize_project.admin.RecognizeAdminSite"
