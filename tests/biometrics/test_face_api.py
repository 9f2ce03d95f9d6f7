"""Face enrollment, authentication and de-enrollment through the Client API."""

import base64

import numpy as np
import pytest

from actions.models import Challenge
from biometrics.models import FaceTemplate
from devices.models import Authenticator
from recognize_sdk import RecognizeError
from recognize_sdk.face_device import FaceDevice
from recognize_sdk.proof import proof_message
from tests.support import face_photo

ALICE = "dev/id01/img1.jpg"
ALICE_AGAIN = "dev/id01/img2.jpg"
SOMEONE_ELSE = "dev/id02/img26.jpg"


@pytest.fixture
def alice(acme_committed):
    """Alice with a bound device and a face enrolled on it (on-device mode)."""
    device = acme_committed.bound_device("alice")
    face = FaceDevice(device)
    token = acme_committed.track("alice", "enroll", scope="add:authenticators")["token"]
    face.enroll(token=token, image=face_photo(ALICE))
    return face


def _spoof_scores(image, box):
    """What both passive liveness models say of an obvious spoof."""
    return {"antispoof": 0.01, "liveness": 0.01}


def _authenticate(acme, face, photo, **kwargs):
    tracked = acme.track("alice", "signIn")
    return tracked, face.authenticate(token=tracked["token"], image=face_photo(photo), **kwargs)


def test_enroll_stores_only_a_sealed_protected_template(acme_committed, alice):
    template = FaceTemplate.objects.get()
    assert template.source == "ON_DEVICE"
    seed = base64.b64decode(alice.device.key().binding["faceSeed"])
    assert len(seed) == 32
    from recognize_sdk.face import analyze_face
    from recognize_sdk.face.protect import protect

    protected = protect(analyze_face(face_photo(ALICE)).embedding, seed).astype("<f4")
    assert protected.tobytes()[:16] not in bytes(template.sealed_template)
    methods = [a["verification_method"] for a in acme_committed.server.get_authenticators("alice")]
    assert sorted(methods) == ["FACE", "IN_APP"]


def test_same_person_authenticates_and_backend_validates_face(acme_committed, alice):
    tracked, result = _authenticate(acme_committed, alice, ALICE_AGAIN)
    assert result["state"] == "CHALLENGE_SUCCEEDED"
    validated = acme_committed.server.validate_challenge({"token": result["token"]})
    assert validated["is_valid"] is True
    assert validated["verification_method"] == "FACE"
    assert validated["idempotency_key"] == tracked["idempotency_key"]


def test_another_person_is_refused_and_counted(acme_committed, alice):
    with pytest.raises(RecognizeError) as error:
        _authenticate(acme_committed, alice, SOMEONE_ELSE)
    assert (error.value.status, error.value.code) == (401, "face_mismatch")
    assert "4 attempt(s) left" in error.value.description
    face = Authenticator.objects.get(verification_method="FACE")
    assert face.failure_count == 1


def test_five_face_failures_lock_the_face(acme_committed, alice):
    for _ in range(5):
        with pytest.raises(RecognizeError):
            _authenticate(acme_committed, alice, SOMEONE_ELSE)
    with pytest.raises(RecognizeError) as error:
        _authenticate(acme_committed, alice, ALICE_AGAIN)
    assert (error.value.status, error.value.code) == (429, "authenticator_locked")


def test_upload_mode_enroll_and_authenticate(acme_committed):
    face = FaceDevice(acme_committed.bound_device("bob"))
    token = acme_committed.track("bob", "enroll", scope="add:authenticators")["token"]
    assert face.enroll(token=token, image=face_photo(ALICE), upload=True)["status"] == "SUCCEEDED"
    assert FaceTemplate.objects.get().source == "UPLOAD"
    tracked = acme_committed.track("bob", "signIn")
    result = face.authenticate(token=tracked["token"], image=face_photo(ALICE_AGAIN), upload=True)
    assert result["state"] == "CHALLENGE_SUCCEEDED"


@pytest.mark.parametrize(
    "photo, code",
    [
        ("multi/couple.jpg", "multiple_faces"),
        ("multi/selfie-many-people.jpg", "multiple_faces"),
    ],
)
def test_upload_enroll_refuses_bad_photos_and_stores_nothing(acme_committed, photo, code):
    face = FaceDevice(acme_committed.bound_device("bob"))
    token = acme_committed.track("bob", "enroll", scope="add:authenticators")["token"]
    with pytest.raises(RecognizeError) as error:
        face.enroll(token=token, image=face_photo(photo), upload=True)
    assert (error.value.status, error.value.code) == (400, code)
    assert not FaceTemplate.objects.exists()
    assert not Authenticator.objects.filter(verification_method="FACE").exists()
    # the enrollment token was not spent by the refused photo
    assert face.enroll(token=token, image=face_photo(ALICE), upload=True)["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    "image, code",
    [(b"not an image at all", "not_an_image"), (b"", "not_an_image")],
)
def test_upload_rejects_non_images(acme_committed, image, code):
    face = FaceDevice(acme_committed.bound_device("bob"))
    token = acme_committed.track("bob", "enroll", scope="add:authenticators")["token"]
    with pytest.raises(RecognizeError) as error:
        face.enroll(token=token, image=image, upload=True)
    assert (error.value.status, error.value.code) == (400, code)


def _signed_enroll(acme, device, vector_bytes: bytes, token: str):
    client = device.client
    challenge_id = client.challenge(token=token)["challengeId"]
    key = device.key()
    return client.face(
        "enroll",
        token=token,
        body={
            "challengeId": challenge_id,
            "publicKey": key.public_key,
            "signature": key.sign(proof_message(challenge_id, vector_bytes)),
            "protectedTemplate": base64.b64encode(vector_bytes).decode(),
        },
    )


@pytest.mark.parametrize(
    "vector",
    [
        (np.ones(127) / np.sqrt(127)).astype("<f4"),
        np.full(128, np.nan, dtype="<f4"),
        np.ones(128, dtype="<f4"),
        np.zeros(128, dtype="<f4"),
    ],
    ids=["wrong-length", "nan", "not-unit-norm", "zero"],
)
def test_bad_protected_templates_are_refused(acme_committed, vector):
    device = acme_committed.bound_device("bob")
    token = acme_committed.track("bob", "enroll", scope="add:authenticators")["token"]
    with pytest.raises(RecognizeError) as error:
        _signed_enroll(acme_committed, device, vector.tobytes(), token)
    assert (error.value.status, error.value.code) == (400, "invalid_template")
    assert not FaceTemplate.objects.exists()


def test_probe_for_a_user_without_a_face(acme_committed):
    face = FaceDevice(acme_committed.bound_device("bob"))
    face.device.key().binding["faceSeed"] = base64.b64encode(b"s" * 32).decode()
    key = face.device.key()
    key.binding["faceSeed"] = base64.b64encode(b"s" * 32).decode()
    key.save(face.device.key_path)
    with pytest.raises(RecognizeError) as error:
        face.authenticate(token=acme_committed.track("bob")["token"], image=face_photo(ALICE))
    assert (error.value.status, error.value.code) == (400, "face_not_enrolled")


def test_probe_swapped_after_signing_is_refused(acme_committed, alice):
    from recognize_sdk.face import analyze_face
    from recognize_sdk.face.protect import protect

    seed = base64.b64decode(alice.device.key().binding["faceSeed"])
    genuine = protect(analyze_face(face_photo(ALICE_AGAIN)).embedding, seed).astype("<f4")
    forged = protect(analyze_face(face_photo(SOMEONE_ELSE)).embedding, seed).astype("<f4")
    token = acme_committed.track("alice")["token"]
    client, key = alice.device.client, alice.device.key()
    challenge_id = client.challenge(token=token)["challengeId"]
    with pytest.raises(RecognizeError) as error:
        client.face(
            "authenticate",
            token=token,
            body={
                "challengeId": challenge_id,
                "publicKey": key.public_key,
                "signature": key.sign(proof_message(challenge_id, genuine.tobytes())),
                "protectedProbe": base64.b64encode(forged.tobytes()).decode(),
            },
        )
    assert (error.value.status, error.value.code) == (401, "invalid_signature")


def test_replayed_challenge_is_refused(acme_committed, alice):
    token = acme_committed.track("alice")["token"]
    alice.authenticate(token=token, image=face_photo(ALICE_AGAIN))
    used = Challenge.objects.filter(used_at__isnull=False).latest("created_at").id
    client = alice.device.client
    original = client.challenge
    client.challenge = lambda **kwargs: {"challengeId": used}
    try:
        with pytest.raises(RecognizeError) as error:
            alice.authenticate(
                token=acme_committed.track("alice")["token"], image=face_photo(ALICE_AGAIN)
            )
    finally:
        client.challenge = original
    assert (error.value.status, error.value.code) == (400, "challenge_used")


def test_deenroll_needs_a_recent_face_authentication(acme_committed, alice):
    in_app = alice.device.verify(token=acme_committed.track("alice")["token"])
    with pytest.raises(RecognizeError) as error:
        alice.deenroll(token=in_app["token"])
    assert (error.value.status, error.value.code) == (403, "face_authentication_required")
    assert FaceTemplate.objects.exists()

    _, result = _authenticate(acme_committed, alice, ALICE_AGAIN)
    assert alice.deenroll(token=result["token"])["removedAuthenticatorId"]
    assert not FaceTemplate.objects.exists()
    assert "faceSeed" not in alice.device.key().binding
    with pytest.raises(RecognizeError) as error:
        alice.deenroll(token=result["token"])
    assert error.value.code == "token_used"


def _variant(photo: str, mode: str | None = None, fmt: str = "JPEG", scale: float = 1.0) -> bytes:
    """A dev photo re-encoded in memory: another colour mode, format or size."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(face_photo(photo)))
    image = image.convert(mode) if mode else image.convert("RGB")
    if scale != 1.0:
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def _huge_png() -> bytes:
    """A real 5000 × 5000 image: 25 megapixels, over the 20 MP limit (compresses to ~30 KB)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (5000, 5000)).save(out, format="PNG")
    return out.getvalue()


def _gradient() -> bytes:
    import io

    import numpy as np
    from PIL import Image

    pixels = np.tile(np.linspace(0, 255, 640, dtype=np.uint8), (480, 1))
    out = io.BytesIO()
    Image.fromarray(pixels).convert("RGB").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "make, codes",
    [
        (lambda: face_photo(ALICE)[:2000], {"not_an_image"}),
        (_huge_png, {"image_too_large"}),
        (_gradient, {"no_face"}),
        (lambda: _variant(ALICE, scale=0.08), {"face_too_small", "no_face"}),
    ],
    ids=["truncated", "huge-dimensions", "no-face", "tiny-face"],
)
def test_upload_refuses_unusable_images_and_stores_nothing(acme_committed, make, codes):
    face = FaceDevice(acme_committed.bound_device("bob"))
    token = acme_committed.track("bob", "enroll", scope="add:authenticators")["token"]
    with pytest.raises(RecognizeError) as error:
        face.enroll(token=token, image=make(), upload=True)
    assert error.value.status == 400
    assert error.value.code in codes
    assert not FaceTemplate.objects.exists()


@pytest.mark.parametrize(
    "mode, fmt",
    [("L", "JPEG"), ("RGBA", "PNG"), (None, "WEBP"), (None, "PNG")],
    ids=["grayscale", "rgba-png", "webp", "png"],
)
def test_upload_accepts_other_formats_and_modes(acme_committed, mode, fmt):
    face = FaceDevice(acme_committed.bound_device("bob"))
    token = acme_committed.track("bob", "enroll", scope="add:authenticators")["token"]
    result = face.enroll(token=token, image=_variant(ALICE, mode, fmt), upload=True)
    assert result["status"] == "SUCCEEDED"


def test_passive_liveness_is_enforced_in_upload_mode(acme_committed, monkeypatch):
    import recognize_sdk.face.liveness as liveness

    acme_committed.tenant.liveness_level = "PASSIVE"
    acme_committed.tenant.save()
    face = FaceDevice(acme_committed.bound_device("bob"))
    token = acme_committed.track("bob", "enroll", scope="add:authenticators")["token"]
    real = liveness.liveness_scores
    monkeypatch.setattr(liveness, "liveness_scores", _spoof_scores)  # looks like a spoof
    with pytest.raises(RecognizeError) as error:
        face.enroll(token=token, image=face_photo(ALICE), upload=True)
    assert (error.value.status, error.value.code) == (400, "liveness_failed")
    monkeypatch.setattr(liveness, "liveness_scores", real)  # the real model passes a real photo
    assert face.enroll(token=token, image=face_photo(ALICE), upload=True)["status"] == "SUCCEEDED"


def test_a_worker_failure_logs_nothing_about_the_face(acme_committed, monkeypatch, caplog):
    import recognize_sdk.face

    def broken(data, **kwargs):
        raise ValueError(f"embedding {data[:8]!r} SECRET-VALUES")

    monkeypatch.setattr(recognize_sdk.face, "analyze_face", broken)
    face = FaceDevice(acme_committed.bound_device("bob"))
    token = acme_committed.track("bob", "enroll", scope="add:authenticators")["token"]
    with pytest.raises(RecognizeError) as error:
        face.enroll(token=token, image=face_photo(ALICE), upload=True)
    assert (error.value.status, error.value.code) == (503, "face_processing_failed")
    assert "SECRET" not in caplog.text
    assert "SECRET" not in error.value.description
    assert "ValueError" in caplog.text
