"""Protected templates: similarity preserved, unlinkable across seeds, deterministic."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest

from recognize_sdk.face.protect import cosine, protect, rotation_from_seed

# First values of rotation_from_seed(bytes(32)): a change means stored templates stop matching.
PINNED_FIRST_ROW = [
    0.06758209118715786,
    -0.038941571399725705,
    0.06464477152537566,
    0.1467568880420036,
]


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def unit_vectors(count: int, dim: int = 128, rng_seed: int = 7) -> np.ndarray:
    vectors = np.random.default_rng(rng_seed).normal(size=(count, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("dim", [2, 16, 128])
def test_rotation_is_orthonormal(dim):
    q = rotation_from_seed(seed("orthonormal"), dim)

    assert q.shape == (dim, dim)
    np.testing.assert_allclose(q.T @ q, np.eye(dim), atol=1e-12)


def test_rotation_is_deterministic_and_pinned():
    first = rotation_from_seed(bytes(32))
    second = rotation_from_seed(bytes(32))

    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first[0, :4], PINNED_FIRST_ROW, atol=1e-12)


def test_different_seeds_give_different_rotations():
    assert not np.allclose(rotation_from_seed(seed("a")), rotation_from_seed(seed("b")))


def test_protected_template_is_unit_float32():
    template = protect(unit_vectors(1)[0] * 3.0, seed("norm"))

    assert template.dtype == np.float32 and template.shape == (128,)
    assert np.linalg.norm(template) == pytest.approx(1.0, abs=1e-6)


def test_similarity_is_preserved_under_one_seed():
    vectors = unit_vectors(12)
    key = seed("enrolment")
    protected = [protect(v, key) for v in vectors]

    for i, j in itertools.combinations(range(len(vectors)), 2):
        assert cosine(protected[i], protected[j]) == pytest.approx(
            cosine(vectors[i], vectors[j]), abs=1e-6
        )


def test_real_genuine_similarity_is_preserved(dev_results):
    first, second = dev_results["id01/img1.jpg"], dev_results["id01/img2.jpg"]
    key = seed("real")

    protected = cosine(protect(first.embedding, key), protect(second.embedding, key))

    assert protected == pytest.approx(cosine(first.embedding, second.embedding), abs=1e-6)


def test_same_face_under_different_seeds_is_unlinkable():
    face = unit_vectors(1)[0]
    templates = [protect(face, seed(f"enrolment-{i}")) for i in range(40)]

    similarities = np.array([cosine(a, b) for a, b in itertools.combinations(templates, 2)])

    # Random directions in 128-d: cosines ~ N(0, 1/128), i.e. sd ~ 0.09.
    assert abs(similarities.mean()) < 0.03
    assert np.abs(similarities).max() < 0.45


def test_genuine_pair_under_different_seeds_does_not_match(dev_results):
    first, second = dev_results["id01/img1.jpg"], dev_results["id01/img2.jpg"]
    raw = cosine(first.embedding, second.embedding)

    linked = cosine(
        protect(first.embedding, seed("app-1")), protect(second.embedding, seed("app-2"))
    )

    assert raw > 0.9
    assert abs(linked) < 0.4


@pytest.mark.parametrize("bad_seed", [b"", b"short", "a string seed of enough length"])
def test_seed_must_be_enough_bytes(bad_seed):
    with pytest.raises(ValueError, match="seed"):
        rotation_from_seed(bad_seed)


def test_zero_embedding_is_refused():
    with pytest.raises(ValueError):
        protect(np.zeros(128), seed("zero"))


def test_cosine():
    assert cosine([1, 0], [0, 2]) == pytest.approx(0.0)
    assert cosine([1, 1], [2, 2]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        cosine([1, 2], [1, 2, 3])
