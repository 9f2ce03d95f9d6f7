"""The files a browser runs the face pipeline with (``clients/web``, on-device mode), served
under content-hashed URLs so that each is downloaded once and then cached for good.

``/web-client/assets.json`` (revalidated on every use) names them: the ONNX runtime's ES
module, its WASM glue and binary from the pinned ``onnxruntime-web`` package, and the same
ONNX models the server runs, from the model cache ``fetch_models`` builds (read through
``load_model_bytes``, which refuses a file that does not match the manifest's SHA-256). Each
URL carries the first 16 hex digits of its file's SHA-256; an old URL answers 404 instead of
serving newer bytes under a name a browser cached forever. The page checks each model's full
SHA-256 before running it. Nothing here is secret; nothing is generated per user.
"""

import functools
import hashlib
from pathlib import Path

from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from biometrics import conf
from recognize_sdk.face.errors import ModelIntegrityError
from recognize_sdk.face.models import FACE_RECOGNITION, load_model_bytes, read_manifest

#: The runtime's files a page needs: the WASM build's ES module, the glue it imports and the
#: binary (SIMD; threads only when the page is cross-origin isolated).
RUNTIME_FILES = {
    "ort.wasm.min.mjs": "text/javascript",
    "ort-wasm-simd-threaded.mjs": "text/javascript",
    "ort-wasm-simd-threaded.wasm": "application/wasm",
}
#: The models a browser runs, by the server's names (the same files as the Python pipeline).
BROWSER_MODELS = (FACE_RECOGNITION,)
DIGEST_LENGTH = 16
IMMUTABLE = "public, max-age=31536000, immutable"


@functools.lru_cache(maxsize=16)
def _file_sha256(path: Path, mtime_ns: int, size: int) -> str:
    """SHA-256 of a runtime file, remembered while its modification time and size hold."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _runtime_sha256(name: str) -> str | None:
    path = Path(conf.BIOMETRICS_WEB_RUNTIME_DIR) / name
    try:
        stat = path.stat()
    except OSError:
        return None
    return _file_sha256(path, stat.st_mtime_ns, stat.st_size)


def _model_entries() -> dict[str, dict]:
    files = (read_manifest() or {}).get("files", {})
    return {name: files[name] for name in BROWSER_MODELS if name in files}


@require_GET
def web_assets_view(request):
    """Where the runtime and the models are, with their hashes (``null`` when not set up)."""
    runtime = {}
    for name in RUNTIME_FILES:
        sha256 = _runtime_sha256(name)
        runtime[name] = sha256 and reverse(
            "web-client-runtime", args=[sha256[:DIGEST_LENGTH], name]
        )
    models = {
        name: {
            "url": reverse("web-client-model", args=[entry["sha256"][:DIGEST_LENGTH], name]),
            "sha256": entry["sha256"],
            "bytes": entry["bytes"],
        }
        for name, entry in _model_entries().items()
    }
    response = JsonResponse({"runtime": runtime, "models": models})
    response["Cache-Control"] = "no-cache"
    return response


def _immutable(response: HttpResponse | FileResponse) -> HttpResponse | FileResponse:
    response["Cache-Control"] = IMMUTABLE
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def runtime_file_view(request, digest: str, name: str):
    """One file of the ONNX runtime, if ``digest`` is its current hash."""
    sha256 = _runtime_sha256(name) if name in RUNTIME_FILES else None
    if sha256 is None or sha256[:DIGEST_LENGTH] != digest:
        raise Http404
    handle = (Path(conf.BIOMETRICS_WEB_RUNTIME_DIR) / name).open("rb")
    return _immutable(FileResponse(handle, content_type=RUNTIME_FILES[name]))


@require_GET
def model_file_view(request, digest: str, name: str):
    """One model file, checked against the manifest, if ``digest`` is its hash."""
    entry = _model_entries().get(name)
    if entry is None or entry["sha256"][:DIGEST_LENGTH] != digest:
        raise Http404
    try:
        data = load_model_bytes(name)
    except ModelIntegrityError:
        raise Http404 from None
    return _immutable(HttpResponse(data, content_type="application/octet-stream"))
