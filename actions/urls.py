"""Server and client API routes of actions."""

from django.urls import path

from actions import pages
from actions.api import passkeys, push, rules, security_keys, server_challenges, sessions, views

urlpatterns = [  # the in-app flow's four first: patterns are tried in order
    path(
        "v1/users/<str:user_id>/actions/<str:action_code>",
        views.TrackView.as_view(),
        name="action-track",
    ),
    path(
        "v1/users/<str:user_id>/actions/<str:action_code>/<str:idempotency_key>",
        views.ActionDetailView.as_view(),
        name="action-detail",
    ),
    path("v1/validate", views.ValidateView.as_view(), name="validate"),
    path("v1/client/challenge", views.ChallengeView.as_view(), name="challenge"),
    path("v1/client/verify/in-app", views.InAppVerifyView.as_view(), name="in-app-verify"),
    path("v1/users/<str:user_id>/actions", views.ActionQueryView.as_view(), name="action-query"),
    path("v1/challenge", server_challenges.ChallengeStartView.as_view(), name="challenge-start"),
    path("v1/verify", server_challenges.ChallengeVerifyView.as_view(), name="challenge-verify"),
    path("v1/claim", server_challenges.ChallengeClaimView.as_view(), name="challenge-claim"),
    path("v1/challenges", server_challenges.ChallengeGetView.as_view(), name="challenge-get"),
    path("v1/sessions", sessions.SessionCreateView.as_view(), name="session-create"),
    path("v1/sessions/validate", sessions.SessionValidateView.as_view(), name="session-validate"),
    path("v1/sessions/refresh", sessions.SessionRefreshView.as_view(), name="session-refresh"),
    path("v1/sessions/revoke", sessions.SessionRevokeView.as_view(), name="session-revoke"),
    path(
        "v1/sessions/user/revoke",
        sessions.UserSessionsRevokeView.as_view(),
        name="user-sessions-revoke",
    ),
    path("v1/actions/<str:action_code>/rules", rules.RuleListView.as_view(), name="rule-list"),
    path(
        "v1/actions/<str:action_code>/rules/<str:rule_id>",
        rules.RuleDetailView.as_view(),
        name="rule-detail",
    ),
    path(
        "v1/client/user-authenticators/push/challenge",
        push.PushChallengeView.as_view(),
        name="push-challenge",
    ),
    path(
        "v1/client/user-authenticators/passkey/registration-options",
        passkeys.RegistrationOptionsView.as_view(),
        name="passkey-registration-options",
    ),
    path(
        "v1/client/user-authenticators/passkey",
        passkeys.PasskeyView.as_view(),
        name="passkey",
    ),
    path(
        "v1/client/user-authenticators/passkey/authentication-options",
        passkeys.AuthenticationOptionsView.as_view(),
        name="passkey-authentication-options",
    ),
    path("v1/client/verify/passkey", passkeys.PasskeyVerifyView.as_view(), name="passkey-verify"),
    path(
        "v1/client/user-authenticators/security-key/registration-options",
        security_keys.SecurityKeyRegistrationOptionsView.as_view(),
        name="security-key-registration-options",
    ),
    path(
        "v1/client/user-authenticators/security-key",
        security_keys.SecurityKeyView.as_view(),
        name="security-key",
    ),
    path(
        "v1/client/user-authenticators/security-key/authentication-options",
        security_keys.SecurityKeyAuthenticationOptionsView.as_view(),
        name="security-key-authentication-options",
    ),
    path(
        "v1/client/verify/security-key",
        security_keys.SecurityKeyVerifyView.as_view(),
        name="security-key-verify",
    ),
    path(".well-known/jwks.json", views.JwksView.as_view(), name="jwks"),
    path("challenge", pages.challenge_page, name="challenge-page"),
]
