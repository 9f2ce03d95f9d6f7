"""Server API routes of accounts."""

from django.urls import path

from accounts.api import recovery, views

urlpatterns = [
    path("v1/users", views.UserQueryView.as_view(), name="user-query"),
    path("v1/users/<str:user_id>", views.UserDetailView.as_view(), name="user-detail"),
    path(
        "v1/users/<str:user_id>/recovery",
        recovery.RecoveryStartView.as_view(),
        name="recovery-start",
    ),
]
