"""Client API routes of biometrics, the server API's tenant face settings, and the files
browsers run the face pipeline with."""

from django.urls import path

from biometrics import web_assets
from biometrics.api import tenant_settings, views

urlpatterns = [
    path(
        "v1/tenant/settings",
        tenant_settings.TenantSettingsView.as_view(),
        name="tenant-settings",
    ),
    path("v1/client/face/enroll", views.FaceEnrollView.as_view(), name="face-enroll"),
    path(
        "v1/client/face/authenticate",
        views.FaceAuthenticateView.as_view(),
        name="face-authenticate",
    ),
    path("v1/client/face/jobs/<uuid:job_id>", views.FaceJobView.as_view(), name="face-job"),
    path("v1/client/face/deenroll", views.FaceDeenrollView.as_view(), name="face-deenroll"),
    path(
        "v1/client/recovery/complete",
        views.RecoveryCompleteView.as_view(),
        name="recovery-complete",
    ),
    path("web-client/assets.json", web_assets.web_assets_view, name="web-client-assets"),
    path(
        "web-client/runtime/<str:digest>/<str:name>",
        web_assets.runtime_file_view,
        name="web-client-runtime",
    ),
    path(
        "web-client/models/<str:digest>/<str:name>",
        web_assets.model_file_view,
        name="web-client-model",
    ),
]
