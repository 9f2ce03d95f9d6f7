"""Model fetching, caching and integrity checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from recognize_sdk.face import models as model_store
from recognize_sdk.face.errors import ModelFetchError, ModelIntegrityError

EXPECTED_FILES = {
    model_store.FACE_RECOGNITION,
    model_store.MTCNN_PNET,
    model_store.MTCNN_RNET,
    model_store.MTCNN_ONET,
    model_store.ANTISPOOF,
    model_store.LIVENESS,
}


def test_manifest_lists_every_model_and_every_hash_verifies(models):
    manifest = model_store.verify_models()

    assert set(manifest["files"]) == EXPECTED_FILES
    assert manifest["sources"]["face-api"]["sha256"] == model_store.FACE_API.sha256
    assert manifest["sources"]["mtcnn"]["sha256"] == model_store.MTCNN.sha256


def test_fetch_is_idempotent_and_does_not_download_again(models, monkeypatch):
    def no_download(*args, **kwargs):
        raise AssertionError("a current cache must not be fetched again")

    monkeypatch.setattr(model_store, "_download", no_download)

    assert model_store.fetch_models() == models


@pytest.fixture
def model_copy(models, tmp_path: Path) -> Path:
    """A private copy of the model cache that a test may damage."""
    target = tmp_path / "models"
    shutil.copytree(model_store.default_model_dir(), target)
    return target


def test_tampered_model_is_refused(model_copy):
    path = model_copy / model_store.MTCNN_PNET
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    with pytest.raises(ModelIntegrityError, match="does not match the sha256"):
        model_store.load_model_bytes(model_store.MTCNN_PNET, model_copy)
    with pytest.raises(ModelIntegrityError):
        model_store.verify_models(model_copy)


def test_fetch_starts_over_when_a_cached_file_was_tampered_with(model_copy, monkeypatch):
    (model_copy / model_store.MTCNN_ONET).write_bytes(b"not a model")
    fetched = []

    def recording_download(source, workdir, offline_dir):
        fetched.append(source.key)
        raise ModelFetchError("download", "stopped by the test")

    monkeypatch.setattr(model_store, "_download", recording_download)

    with pytest.raises(ModelFetchError, match="stopped by the test"):
        model_store.fetch_models(model_copy)

    assert fetched == [model_store.FACE_API.key]


def test_missing_manifest_says_how_to_fetch(tmp_path):
    with pytest.raises(ModelIntegrityError, match="models fetch"):
        model_store.load_model_bytes(model_store.FACE_RECOGNITION, tmp_path)


def test_fetch_without_npm_names_the_step(tmp_path, monkeypatch):
    monkeypatch.setattr(model_store.shutil, "which", lambda name: None)

    with pytest.raises(ModelFetchError, match="npm is not installed") as excinfo:
        model_store.fetch_models(tmp_path / "models")

    assert excinfo.value.step == "face-api: npm pack"


def test_fetch_reports_a_failing_registry_client(tmp_path, monkeypatch):
    false = shutil.which("false")
    assert false is not None
    monkeypatch.setattr(model_store.shutil, "which", lambda name: false)

    with pytest.raises(ModelFetchError, match="exited with 1") as excinfo:
        model_store.fetch_models(tmp_path / "models")

    assert excinfo.value.step == "face-api: npm pack"


def test_fetch_rejects_an_artefact_with_the_wrong_hash(tmp_path):
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / model_store.FACE_API.filename).write_bytes(b"a tampered package")

    with pytest.raises(ModelFetchError, match="sha256 mismatch") as excinfo:
        model_store.fetch_models(tmp_path / "models", offline_dir=offline)

    assert excinfo.value.step == "face-api: verify"
    assert not (tmp_path / "models" / model_store.MANIFEST_NAME).exists()


def test_model_dir_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(model_store.MODEL_DIR_ENV, str(tmp_path))

    assert model_store.default_model_dir() == tmp_path


@pytest.mark.parametrize(
    ("argv", "status"),
    [(["verify"], 0), (["fetch"], 0), (["verify", "--model-dir", "/nonexistent/models"], 1)],
)
def test_command_line(models, capsys, argv, status):
    assert model_store.main(argv) == status

    out, err = capsys.readouterr()
    if status == 0:
        assert model_store.FACE_RECOGNITION in out
    else:
        assert "error:" in err
