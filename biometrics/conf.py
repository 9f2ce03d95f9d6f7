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
#: Cosine similarity at or above which a probe is a replay of the enrolled capture or of an
#: earlier accepted probe (re-encoded, resized or rotated copies of one photo score ≥ 0.993, two
#: photos of one person ≤ 0.988 on the dev set; docs/face-evaluation.md). Checked when the
#: tenant's liveness level is not OFF.
BIOMETRICS_REPLAY_SIMILARITY: float = getattr(settings, "BIOMETRICS_REPLAY_SIMILARITY", 0.99)
#: How many accepted probes of a face are remembered (sealed) to refuse their replay.
BIOMETRICS_REPLAY_HISTORY: int = getattr(settings, "BIOMETRICS_REPLAY_HISTORY", 5)
#: Where the browser's ONNX runtime (the pinned npm package ``onnxruntime-web`` that ``make
#: setup`` installs into clients/web) keeps the files served at /web-client/runtime/.
BIOMETRICS_WEB_RUNTIME_DIR = getattr(
    settings,
    "BIOMETRICS_WEB_RUNTIME_DIR",
    settings.BASE_DIR / "clients" / "web" / "node_modules" / "onnxruntime-web" / "dist",
)
