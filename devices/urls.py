"""Server and client API routes of devices."""

from django.urls import path

from devices.api import push, views

urlpatterns = [
    path(
        "v1/users/<str:user_id>/authenticators",
        views.AuthenticatorListView.as_view(),
        name="authenticator-list",
    ),
    path(
        "v1/users/<str:user_id>/authenticators/<uuid:authenticator_id>",
        views.AuthenticatorDetailView.as_view(),
        name="authenticator-detail",
    ),
    path("v1/users/<str:user_id>/devices", views.DeviceListView.as_view(), name="device-list"),
    path(
        "v1/users/<str:user_id>/devices/<uuid:device_id>",
        views.DeviceDetailView.as_view(),
        name="device-detail",
    ),
    path(
        "v1/users/<str:user_id>/devices/<uuid:device_id>/invalidate",
        views.DeviceInvalidateView.as_view(),
        name="device-invalidate",
    ),
    path(
        "v1/client/user-authenticators",
        views.ClientAuthenticatorListView.as_view(),
        name="client-authenticator-list",
    ),
    path(
        "v1/client/user-authenticators/in-app",
        views.InAppCredentialView.as_view(),
        name="in-app-credential",
    ),
    path(
        "v1/client/device-challenge",
        views.DeviceChallengeView.as_view(),
        name="device-challenge",
    ),
    path(
        "v1/client/user-authenticators/in-app/remove",
        views.InAppRemoveView.as_view(),
        name="in-app-remove",
    ),
    path("v1/client/user-authenticators/push", push.PushCredentialView.as_view(), name="push-add"),
    path(
        "v1/client/user-authenticators/push/registration",
        push.PushRegistrationView.as_view(),
        name="push-registration",
    ),
    path(
        "v1/client/user-authenticators/push/remove",
        push.PushRemoveView.as_view(),
        name="push-remove",
    ),
    path("v1/client/push/vapid-public-key", push.VapidKeyView.as_view(), name="vapid-key"),
    path(
        "v1/client/client-states",
        views.ClientStateCreateView.as_view(),
        name="client-state-create",
    ),
]
