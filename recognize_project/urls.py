"""URL roots: each app exports its own routes; the admin and the API schema live here."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from recognize_project import schema  # noqa: F401 (registers the auth scheme extensions)
from recognize_project.health import HealthView, ReadinessView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("v1/health", HealthView.as_view(), name="health"),
    path("v1/ready", ReadinessView.as_view(), name="ready"),
    # Django tries patterns in order: the in-app flow's routes (most requests) come first.
    path("", include("actions.urls")),
    path("", include("accounts.urls")),
    path("", include("devices.urls")),
    path("", include("biometrics.urls")),
    path("", include("portal.urls")),
]

handler404 = "recognize_project.errors.page_not_found"
handler500 = "recognize_project.errors.server_error"
