"""Settings of the devices app, with defaults; each can be overridden in Django settings."""

from django.conf import settings

#: Consecutive failures that lock a first factor (e-mail or SMS code, authenticator app,
#: recovery codes). Attempts at these are throttled per attempt source first (a sign-in, a
#: challenge, an address), so this account-wide limit only stops a slow, spread-out guesser;
#: NIST SP 800-63B §5.2.2 allows at most 100.
DEVICES_FIRST_FACTOR_LOCKOUT_THRESHOLD: int = min(
    int(getattr(settings, "DEVICES_FIRST_FACTOR_LOCKOUT_THRESHOLD", 100)), 100
)
