"""Server API routes of accounts."""

from django.urls import path

from accounts.api import views

urlpatterns = [
    path("v1/users/<str:user_id>", views.UserDetailView.as_view(), name="user-detail"),
]
