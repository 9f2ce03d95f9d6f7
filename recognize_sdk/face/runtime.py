"""Process-wide onnxruntime sessions, created lazily once per model.

Each session is built from bytes that :func:`recognize_sdk.face.models.load_model_bytes` has
just checked against the manifest, so a tampered file is never executed. Threads per session
come from :func:`configure` or ``$RECOGNIZE_ORT_THREADS`` (default 2). Idle worker threads do
not spin: on a 2-core machine spinning threads starved the Python thread between the many small
MTCNN runs and tripled the pipeline's latency. Sessions are safe to use from several threads at
once (onnxruntime's ``run`` is thread-safe).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import onnxruntime as ort

from recognize_sdk.face.models import load_model_bytes

THREADS_ENV = "RECOGNIZE_ORT_THREADS"
DEFAULT_THREADS = 2

_lock = threading.Lock()
_sessions: dict[str, ort.InferenceSession] = {}
_settings: dict[str, object] = {"threads": None, "model_dir": None}


def configure(*, threads: int | None = None, model_dir: Path | str | None = None) -> None:
    """Set intra-op threads and/or the model directory; drops sessions already created."""
    with _lock:
        if threads is not None:
            if threads < 1:
                raise ValueError("threads must be >= 1")
            _settings["threads"] = threads
        if model_dir is not None:
            _settings["model_dir"] = Path(model_dir)
        _sessions.clear()


def _threads() -> int:
    configured = _settings["threads"]
    if isinstance(configured, int):
        return configured
    try:
        return max(1, int(os.environ.get(THREADS_ENV, DEFAULT_THREADS)))
    except ValueError:
        return DEFAULT_THREADS


def get_session(name: str) -> ort.InferenceSession:
    """The shared inference session for model file ``name`` (e.g. ``face_recognition.onnx``)."""
    session = _sessions.get(name)
    if session is not None:
        return session
    with _lock:
        session = _sessions.get(name)
        if session is None:
            model_dir = _settings["model_dir"]
            data = load_model_bytes(name, model_dir if isinstance(model_dir, Path) else None)
            options = ort.SessionOptions()
            options.intra_op_num_threads = _threads()
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
            _sessions[name] = session
    return session
