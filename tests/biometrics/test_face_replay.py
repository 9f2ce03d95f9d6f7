"""Replay detection: the enrollment photo, a copy of it, or an accepted selfie sent again is
refused and counted; new selfies of the same person still match; only sealed probes are kept."""

import base64
import io

import pytest
from PIL import Image

from biometrics import conf
from biometrics.models import AcceptedProbe
from devices.models import Authenticator
from recognize_sdk import RecognizeError
from recognize_sdk.face import analyze_face
from recognize_sdk.face.protect import protect
from recognize_sdk.face_device import FaceDevice
from tests.support import face_photo

ENROLLED = "dev/id01/img1.jpg"
SELFIES = ["dev/id01/img2.jpg", "dev/id01/img4.jpg", "dev/id01/img5.jpg"]


def _copy(photo: str) -> bytes:
    """The photo as a messenger would forward it: half size, JPEG quality 70."""
    with Image.open(io.BytesIO(face_photo(photo))) as image:
        small = image.convert("RGB").reduce(2)
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=70)
    return out.getvalue()


def _enrolled(acme, liveness_level: str) -> FaceDevice:
    acme.tenant.liveness_level = liveness_level
    acme.tenant.save()
    face = FaceDevice(acme.bound_device("alice"))
    token = acme.track("alice", "enroll", scope="add:authenticators")["token"]
    face.enroll(token=token, image=face_photo(ENROLLED))
    return face


@pytest.fixture
def alice(acme_committed):
    """Alice, face enrolled on the device, with a tenant whose liveness level is PASSIVE."""
    return _enrolled(acme_committed, "PASSIVE")


def _authenticate(acme, face, image: bytes) -> dict:
    return face.authenticate(token=acme.track("alice", "signIn")["token"], image=image)


@pytest.mark.parametrize(
    "probe",
    [lambda: face_photo(ENROLLED), lambda: _copy(ENROLLED)],
    ids=["enrollment-photo", "forwarded-copy"],
)
def test_the_enrollment_photo_again_is_refused_and_counted(acme_committed, alice, probe):
    with pytest.raises(RecognizeError) as error:
        _authenticate(acme_committed, alice, probe())

    assert (error.value.status, error.value.code) == (401, "face_replayed")
    assert "4 attempt(s) left" in error.value.description
    assert Authenticator.objects.get(verification_method="FACE").failure_count == 1


def test_an_accepted_selfie_sent_again_is_refused(acme_committed, alice):
    assert _authenticate(acme_committed, alice, face_photo(SELFIES[0]))["state"] == (
        "CHALLENGE_SUCCEEDED"
    )

    for replay in (face_photo(SELFIES[0]), _copy(SELFIES[0])):
        with pytest.raises(RecognizeError) as error:
            _authenticate(acme_committed, alice, replay)
        assert error.value.code == "face_replayed"
    result = _authenticate(acme_committed, alice, face_photo(SELFIES[1]))
    assert result["state"] == "CHALLENGE_SUCCEEDED"


def test_only_the_last_sealed_probes_are_kept(acme_committed, alice, monkeypatch):
    monkeypatch.setattr(conf, "BIOMETRICS_REPLAY_HISTORY", 2)
    for selfie in SELFIES:
        _authenticate(acme_committed, alice, face_photo(selfie))

    kept = list(AcceptedProbe.objects.all())

    assert len(kept) == 2
    seed = base64.b64decode(alice.device.key().binding["faceSeed"])
    for selfie in SELFIES:
        protected = protect(analyze_face(face_photo(selfie)).embedding, seed).astype("<f4")
        assert all(protected.tobytes()[:16] not in bytes(p.sealed_probe) for p in kept)
    # the oldest is forgotten, so it is no longer refused as a replay
    assert _authenticate(acme_committed, alice, face_photo(SELFIES[0]))["state"] == (
        "CHALLENGE_SUCCEEDED"
    )


def test_removing_the_face_removes_its_probes(acme_committed, alice):
    _authenticate(acme_committed, alice, face_photo(SELFIES[0]))
    assert AcceptedProbe.objects.count() == 1

    Authenticator.objects.get(verification_method="FACE").delete()

    assert not AcceptedProbe.objects.exists()


def test_without_liveness_a_photo_may_be_sent_again(acme_committed):
    face = _enrolled(acme_committed, "OFF")

    for _ in range(2):
        result = _authenticate(acme_committed, face, face_photo(ENROLLED))
        assert result["state"] == "CHALLENGE_SUCCEEDED"
    assert not AcceptedProbe.objects.exists()
