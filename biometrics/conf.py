"""Settings of the biometrics app, with defaults; each can be overridden in Django settings."""

from django.conf import settings

#: Cosine similarity of protected templates at or above which two faces match: the threshold
#: for FMR ≤ 0.1 % over the dev photos and their degraded captures (``evaluate_faces``,
#: docs/face-evaluation.md); tenants may override it (0.937 for FMR ≤ 0.01 % there).
BIOMETRICS_MATCH_THRESHOLD: float = getattr(settings, "BIOMETRICS_MATCH_THRESHOLD", 0.927)
#: How long an API call waits for its matching task before answering "pending".
BIOMETRICS_RESULT_WAIT_SECONDS: float = getattr(settings, "BIOMETRICS_RESULT_WAIT_SECONDS", 8.0)
#: Largest image accepted in upload mode, in bytes (before base64).
BIOMETRICS_MAX_IMAGE_BYTES: int = getattr(settings, "BIOMETRICS_MAX_IMAGE_BYTES", 12 * 2**20)
#: How recent a successful face authentication must be to allow de-enrollment.
BIOMETRICS_DEENROLL_WINDOW_SECONDS: int = getattr(
    settings, "BIOMETRICS_DEENROLL_WINDOW_SECONDS", 600
)
