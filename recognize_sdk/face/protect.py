"""Protected face templates (ISO/IEC 24745) by secret orthonormal rotation.

A per-enrolment secret seed (kept on the device and in the sealed client state, never in the
template row) defines a random orthonormal matrix ``Q``; the stored template is ``Q @ e``.
Rotation preserves inner products, so cosine similarity between two templates made with the
same seed equals that of the raw embeddings (accuracy unchanged), while templates of the same
face under different seeds are unrelated vectors (unlinkability), and a leaked template is
revoked by re-enrolling with a fresh seed (renewability).

``Q`` is derived without numpy's random generators, whose algorithms may change between
versions: the seed goes through HKDF-Extract (RFC 5869, HMAC-SHA256), the key is expanded by
the SHAKE-256 extendable-output function (FIPS 202) with the dimension as context, the bytes
become uniform doubles (53 bits each), the Box-Muller transform turns them into standard
normals, and a QR decomposition with the signs of ``R``'s diagonal fixed orthonormalises them
(which makes ``Q`` Haar-distributed). The same seed gives the same matrix on
every platform up to floating-point rounding of ``log``/``cos``/LAPACK (~1e-15), which leaves
similarities unchanged far beyond any matching threshold.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np

MIN_SEED_BYTES = 16
_SALT = b"recognize/face-template-rotation/v1"


def _expand(seed: bytes, length: int, info: bytes) -> bytes:
    """HKDF-Extract (HMAC-SHA256) of the seed, expanded to ``length`` bytes by SHAKE-256."""
    prk = hmac.new(_SALT, seed, hashlib.sha256).digest()
    return hashlib.shake_256(prk + info).digest(length)


def _standard_normals(seed: bytes, count: int, info: bytes) -> np.ndarray:
    pairs = -(-count // 2)
    words = np.frombuffer(_expand(seed, pairs * 2 * 8, info), dtype=">u8")
    uniforms = ((words >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    u1, u2 = uniforms[0::2], uniforms[1::2]
    radius = np.sqrt(-2.0 * np.log(u1))
    normals = np.empty(2 * pairs)
    normals[0::2] = radius * np.cos(2.0 * np.pi * u2)
    normals[1::2] = radius * np.sin(2.0 * np.pi * u2)
    return normals[:count]


def rotation_from_seed(seed: bytes, dim: int = 128) -> np.ndarray:
    """The secret orthonormal ``dim`` x ``dim`` float64 matrix defined by ``seed``."""
    if not isinstance(seed, (bytes, bytearray)) or len(seed) < MIN_SEED_BYTES:
        raise ValueError(f"seed must be at least {MIN_SEED_BYTES} random bytes")
    if dim < 1:
        raise ValueError("dim must be positive")
    info = b"dim=" + str(dim).encode()
    gaussian = _standard_normals(bytes(seed), dim * dim, info).reshape(dim, dim)
    q, r = np.linalg.qr(gaussian)
    signs = np.where(np.diag(r) < 0, -1.0, 1.0)
    return q * signs


def protect(embedding: np.ndarray, seed: bytes) -> np.ndarray:
    """The protected template of ``embedding``: rotated by the seed's matrix, unit norm, float32."""
    vector = np.asarray(embedding, dtype=np.float64).reshape(-1)
    norm = np.linalg.norm(vector)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError("embedding must be a finite non-zero vector")
    rotated = rotation_from_seed(seed, vector.size) @ (vector / norm)
    return (rotated / np.linalg.norm(rotated)).astype(np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors (computed in float64)."""
    x = np.asarray(a, dtype=np.float64).reshape(-1)
    y = np.asarray(b, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError("vectors must have the same length")
    denominator = np.linalg.norm(x) * np.linalg.norm(y)
    if denominator == 0:
        raise ValueError("cosine is undefined for a zero vector")
    return float(np.dot(x, y) / denominator)
