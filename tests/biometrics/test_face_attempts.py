"""Every failed face authentication counts toward the face's lockout and is audited: a capture
the pipeline refuses (unreadable, no face, too small, not live) as much as a mismatch."""

import io

import numpy as np
import pytest
from PIL import Image

from devices.models import Authenticator
from events.models import AuditEvent
from recognize_sdk import RecognizeError
from recognize_sdk.face import liveness
from recognize_sdk.face_device import FaceDevice
from tests.support import face_photo

BOB = "dev/id01/img1.jpg"
BOB_AGAIN = "dev/id01/img2.jpg"
SOMEONE_ELSE = "dev/id02/img26.jpg"


def _spoof_scores(image, box):
    """What both passive liveness models say of an obvious spoof."""
    return {"antispoof": 0.01, "liveness": 0.01}


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _no_face() -> bytes:
    return _png(Image.fromarray(np.tile(np.linspace(0, 255, 640, dtype=np.uint8), (480, 1))))


def _tiny_face() -> bytes:
    with Image.open(io.BytesIO(face_photo(BOB_AGAIN))) as photo:
        return _png(photo.convert("RGB").reduce(12))


@pytest.fixture
def bob(acme_committed):
    """Bob with a face enrolled in upload mode."""
    face = FaceDevice(acme_committed.bound_device("bob"))
    token = acme_committed.track("bob", "enroll", scope="add:authenticators")["token"]
    face.enroll(token=token, image=face_photo(BOB), upload=True)
    return face


def _authenticate(acme, face, image: bytes) -> dict:
    return face.authenticate(token=acme.track("bob", "signIn")["token"], image=image, upload=True)


def test_every_kind_of_failed_capture_counts_toward_the_lockout(acme_committed, bob, monkeypatch):
    attempts = [
        (lambda: face_photo(BOB_AGAIN)[:2000], "not_an_image"),
        (_no_face, "no_face"),
        (_tiny_face, "face_too_small"),
        (lambda: face_photo(SOMEONE_ELSE), "face_mismatch"),
    ]
    for left, (make, code) in zip((4, 3, 2, 1), attempts, strict=True):
        with pytest.raises(RecognizeError) as error:
            _authenticate(acme_committed, bob, make())
        assert error.value.code == code
        assert f"{left} attempt(s) left" in error.value.description

    acme_committed.tenant.liveness_level = "PASSIVE"
    acme_committed.tenant.save()
    monkeypatch.setattr(liveness, "liveness_scores", _spoof_scores)  # looks like a spoof
    with pytest.raises(RecognizeError) as error:
        _authenticate(acme_committed, bob, face_photo(BOB_AGAIN))
    assert error.value.code == "liveness_failed"
    assert "locked until" in error.value.description

    monkeypatch.undo()
    with pytest.raises(RecognizeError) as error:
        _authenticate(acme_committed, bob, face_photo(BOB_AGAIN))
    assert (error.value.status, error.value.code) == (429, "authenticator_locked")
    failed = AuditEvent.objects.filter(event_type="authentication.failed").order_by("id")
    assert [event.detail["reason"] for event in failed] == [
        "not_an_image",
        "no_face",
        "face_too_small",
        "face_mismatch",
        "liveness_failed",
    ]
    assert failed.last().detail["locked"] == "True"


def test_a_match_after_failed_captures_resets_the_count(acme_committed, bob):
    for _ in range(2):
        with pytest.raises(RecognizeError):
            _authenticate(acme_committed, bob, _no_face())
    assert Authenticator.objects.get(verification_method="FACE").failure_count == 2

    assert _authenticate(acme_committed, bob, face_photo(BOB_AGAIN))["state"] == (
        "CHALLENGE_SUCCEEDED"
    )

    assert Authenticator.objects.get(verification_method="FACE").failure_count == 0


def test_a_refused_enrollment_photo_counts_nothing(acme_committed):
    face = FaceDevice(acme_committed.bound_device("carol"))
    token = acme_committed.track("carol", "enroll", scope="add:authenticators")["token"]

    with pytest.raises(RecognizeError) as error:
        face.enroll(token=token, image=_no_face(), upload=True)

    assert error.value.code == "no_face"
    assert not AuditEvent.objects.filter(event_type="authentication.failed").exists()
