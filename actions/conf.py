"""Settings of the actions app, with defaults; each can be overridden in Django settings."""

from django.conf import settings

#: Outcome of an action code the tenant has not configured.
ACTIONS_DEFAULT_OUTCOME: str = getattr(settings, "ACTIONS_DEFAULT_OUTCOME", "CHALLENGE_REQUIRED")
#: Seconds a challenge nonce stays usable.
ACTIONS_CHALLENGE_TTL_SECONDS: int = getattr(settings, "ACTIONS_CHALLENGE_TTL_SECONDS", 120)
#: Scopes a tenant may put into an action token.
ACTIONS_ALLOWED_SCOPES = frozenset(
    getattr(
        settings,
        "ACTIONS_ALLOWED_SCOPES",
        {
            "add:authenticators",
            "read:authenticators",
            "remove:authenticators",
            "update:authenticators",
        },
    )
)
#: Seconds a process may decide from the rules it loaded for an action code before reloading
#: them: a rule change made through another process applies within this time.
ACTIONS_RULES_CACHE_SECONDS: float = getattr(settings, "ACTIONS_RULES_CACHE_SECONDS", 5.0)
#: Seconds by which ``lastVerifiedAt`` of an authenticator and ``lastUsedAt`` of a device may
#: lag: a verification within this time of the recorded one does not write it again.
ACTIONS_LAST_USE_GRANULARITY_SECONDS: int = getattr(
    settings, "ACTIONS_LAST_USE_GRANULARITY_SECONDS", 60
)
#: Seconds an access token of a session (``createSession``) is valid.
ACTIONS_SESSION_ACCESS_TTL_SECONDS: int = getattr(
    settings, "ACTIONS_SESSION_ACCESS_TTL_SECONDS", 900
)
#: Seconds a session lasts at most, however often it is refreshed.
ACTIONS_SESSION_MAX_SECONDS: int = getattr(settings, "ACTIONS_SESSION_MAX_SECONDS", 30 * 24 * 3600)
