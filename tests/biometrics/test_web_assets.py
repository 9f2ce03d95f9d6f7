"""The runtime and models browsers download: content-hashed URLs, cached for good, and never a
file that fails its hash."""

import hashlib
import json

import pytest

from biometrics import conf, web_assets

RUNTIME = {
    "ort.wasm.min.mjs": b"export const runtime = 1;",
    "ort-wasm-simd-threaded.mjs": b"export default 2;",
    "ort-wasm-simd-threaded.wasm": b"\0asm\1\0\0\0",
}
MODEL = b"an onnx model's bytes"


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A runtime directory and a model cache holding ``face_recognition.onnx``."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for name, data in RUNTIME.items():
        (runtime / name).write_bytes(data)
    (runtime / "package.json").write_text("{}")
    models = tmp_path / "models"
    models.mkdir()
    (models / "face_recognition.onnx").write_bytes(MODEL)
    manifest = {
        "files": {
            "face_recognition.onnx": {
                "sha256": hashlib.sha256(MODEL).hexdigest(),
                "bytes": len(MODEL),
            },
            "liveness.onnx": {"sha256": "0" * 64, "bytes": 1},
        }
    }
    (models / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(conf, "BIOMETRICS_WEB_RUNTIME_DIR", runtime)
    monkeypatch.setenv("RECOGNIZE_MODEL_DIR", str(models))
    return models


def test_assets_name_each_file_by_its_hash(client, served):
    response = client.get("/web-client/assets.json")
    assert response["Cache-Control"] == "no-cache"
    assets = response.json()
    for name, data in RUNTIME.items():
        digest = hashlib.sha256(data).hexdigest()[:16]
        assert assets["runtime"][name] == f"/web-client/runtime/{digest}/{name}"
    sha256 = hashlib.sha256(MODEL).hexdigest()
    assert assets["models"] == {
        "face_recognition.onnx": {
            "url": f"/web-client/models/{sha256[:16]}/face_recognition.onnx",
            "sha256": sha256,
            "bytes": len(MODEL),
        }
    }


@pytest.mark.parametrize("name", RUNTIME)
def test_runtime_files_are_cached_for_good(client, served, name):
    url = client.get("/web-client/assets.json").json()["runtime"][name]
    response = client.get(url)
    assert b"".join(response.streaming_content) == RUNTIME[name]
    assert response["Cache-Control"] == web_assets.IMMUTABLE
    assert response["Content-Type"] == web_assets.RUNTIME_FILES[name]


def test_a_model_is_served_once_it_matches_its_hash(client, served):
    url = client.get("/web-client/assets.json").json()["models"]["face_recognition.onnx"]["url"]
    response = client.get(url)
    assert response.content == MODEL and response["Cache-Control"] == web_assets.IMMUTABLE

    (served / "face_recognition.onnx").write_bytes(b"tampered")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/web-client/runtime/0000000000000000/ort.wasm.min.mjs",  # an old or made-up hash
        "/web-client/runtime/{digest}/package.json",  # not a runtime file
        "/web-client/models/0000000000000000/face_recognition.onnx",
        "/web-client/models/0000000000000000/liveness.onnx",  # not a browser model
    ],
)
def test_anything_else_is_not_found(client, served, path):
    digest = hashlib.sha256(b"{}").hexdigest()[:16]
    assert client.get(path.format(digest=digest)).status_code == 404


def test_without_the_runtime_installed_the_assets_say_so(client, served, monkeypatch, tmp_path):
    monkeypatch.setattr(conf, "BIOMETRICS_WEB_RUNTIME_DIR", tmp_path / "missing")
    assert set(client.get("/web-client/assets.json").json()["runtime"].values()) == {None}
