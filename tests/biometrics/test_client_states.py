"""Client states (BACKUP / TEMPORARY): creation by a bound device, opening, revocation."""

import base64
import hashlib
import os
from datetime import timedelta
from unittest import mock

import numpy as np
import pytest
from django.utils import timezone

from accounts.models import EndUser
from actions.models import ConsumedToken
from biometrics import client_states, templates
from biometrics.models import FaceTemplate
from devices.models import Authenticator, Device
from recognize_project.errors import ApplicationError
from recognize_sdk import RecognizeError
from recognize_sdk.face_device import FaceDevice
from recognize_sdk.proof import proof_message
from tests.support import TenantContext


def _enroll_face(acme, user_id: str = "alice", name: str = "phone") -> FaceDevice:
    """A bound device with a face enrolled on it, written directly (no photo, no worker)."""
    device = acme.bound_device(user_id, name=name)
    in_app = Authenticator.objects.get(pk=device.key().binding["userAuthenticatorId"])
    face = Authenticator.objects.create(
        tenant=acme.tenant, user=in_app.user, verification_method="FACE", device=in_app.device
    )
    vector = np.random.default_rng().normal(size=128)
    template = FaceTemplate(
        tenant=acme.tenant, user=in_app.user, authenticator=face, source="ON_DEVICE"
    )
    templates.template_seal(template, (vector / np.linalg.norm(vector)).astype(np.float32))
    template.save()
    key = device.key()
    key.binding["faceSeed"] = base64.b64encode(os.urandom(32)).decode()
    key.save(device.key_path)
    return FaceDevice(device)


def _token(acme, user_id: str = "alice", scope: str = "add:authenticators") -> str:
    return acme.track(user_id, "addBackup", scope=scope)["token"]


def _open(acme, blob: str):
    return client_states.client_state_open(tenant=acme.tenant, blob=blob)


def _error(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as error:
        call()
    return error.value


def _seed(face: FaceDevice) -> bytes:
    return base64.b64decode(face.device.key().binding["faceSeed"])


def test_backup_client_state_is_a_listed_device_holding_only_a_hash(acme):
    face = _enroll_face(acme)
    result = face.create_client_state(token=_token(acme), type="BACKUP")
    assert result["type"] == "BACKUP"
    assert "expiresAt" not in result
    device = Device.objects.get(pk=result["deviceId"])
    assert device.type == "BACKUP"
    blob = result["clientState"]
    assert device.client_state_hash == hashlib.sha256(blob.encode()).hexdigest()
    listed = {d["device_id"]: d["type"] for d in acme.list_devices("alice")}
    assert listed[result["deviceId"]] == "BACKUP"

    opened = _open(acme, blob)
    assert opened.seed == _seed(face)
    assert opened.template == FaceTemplate.objects.get()
    assert opened.device == device
    assert _open(acme, blob).device == device  # a BACKUP state is reusable


def test_temporary_client_state_expires_after_ten_minutes(acme):
    face = _enroll_face(acme)
    result = face.create_client_state(token=_token(acme), type="TEMPORARY")
    assert result["type"] == "TEMPORARY"
    assert result["expiresAt"]
    assert _open(acme, result["clientState"]).type == "TEMPORARY"
    later = timezone.now() + timedelta(seconds=client_states.TEMPORARY_TTL_SECONDS + 1)
    with mock.patch("biometrics.client_states.timezone.now", return_value=later):
        error = _error(lambda: _open(acme, result["clientState"]))
    assert (error.status, error.code) == (400, "client_state_expired")


def test_the_token_is_single_use(acme):
    face = _enroll_face(acme)
    token = _token(acme)
    face.create_client_state(token=token)
    with pytest.raises(RecognizeError) as error:
        face.create_client_state(token=token)
    assert (error.value.status, error.value.code) == (401, "token_used")
    assert Device.objects.filter(type="BACKUP").count() == 1


def _tamper(blob: str) -> str:
    middle = len(blob) // 2
    return blob[:middle] + ("A" if blob[middle] != "A" else "B") + blob[middle + 1 :]


@pytest.mark.parametrize(
    "change",
    [
        _tamper,
        lambda blob: blob[:-4],
        lambda blob: "B" + blob[1:],
        lambda blob: "not base64 !!",
        lambda blob: "",
        lambda blob: "A" * 5000,
    ],
    ids=["flipped", "truncated", "other-version", "garbage", "empty", "huge"],
)
def test_altered_client_state_is_invalid(acme, change):
    blob = _enroll_face(acme).create_client_state(token=_token(acme))["clientState"]
    error = _error(lambda: _open(acme, change(blob)))
    assert (error.status, error.code) == (400, "invalid_client_state")


def test_another_tenants_client_state_is_invalid(acme, tmp_path):
    blob = _enroll_face(acme).create_client_state(token=_token(acme))["clientState"]
    globex = TenantContext("globex", tmp_path)
    error = _error(lambda: _open(globex, blob))
    assert (error.status, error.code) == (400, "invalid_client_state")


def test_deleting_the_device_revokes_the_client_state(acme):
    result = _enroll_face(acme).create_client_state(token=_token(acme))
    acme.delete_device("alice", result["deviceId"])
    error = _error(lambda: _open(acme, result["clientState"]))
    assert (error.status, error.code) == (404, "client_state_revoked")


def test_a_new_face_enrollment_makes_older_states_stale(acme):
    blob = _enroll_face(acme).create_client_state(token=_token(acme))["clientState"]
    old = FaceTemplate.objects.get()
    authenticator = old.authenticator
    old.delete()
    renewed = FaceTemplate(
        tenant=acme.tenant, user=old.user, authenticator=authenticator, source="ON_DEVICE"
    )
    templates.template_seal(renewed, np.eye(128, dtype=np.float32)[0])
    renewed.save()
    error = _error(lambda: _open(acme, blob))
    assert (error.status, error.code) == (409, "client_state_stale")


def test_fifty_backups_per_user_at_most(acme):
    face = _enroll_face(acme)
    user = EndUser.objects.get(external_id="alice")
    template = FaceTemplate.objects.get()
    for _ in range(client_states.MAX_BACKUP_PER_USER):
        client_states.client_state_create(
            user=user, template=template, seed=_seed(face), type="BACKUP"
        )
    token = _token(acme)
    spent = ConsumedToken.objects.count()
    with pytest.raises(RecognizeError) as error:
        face.create_client_state(token=token)
    assert (error.value.status, error.value.code) == (409, "too_many_client_states")
    assert Device.objects.filter(type="BACKUP").count() == 50
    assert ConsumedToken.objects.count() == spent
    # temporary states do not count, and the refused request left the token unspent
    assert face.create_client_state(token=token, type="TEMPORARY")["type"] == "TEMPORARY"


def _raw_create(face: FaceDevice, token: str, **changes) -> dict:
    key = face.device.key()
    client = face.device.client
    challenge_id = client.challenge(token=token)["challengeId"]
    seed = _seed(face)
    body = {
        "type": "BACKUP",
        "seed": base64.b64encode(seed).decode(),
        "challengeId": challenge_id,
        "publicKey": key.public_key,
        "signature": key.sign(proof_message(challenge_id, seed)),
    }
    body.update(changes)
    return client.request("POST", "/v1/client/client-states", body, token)


@pytest.mark.parametrize(
    "changes, status, code",
    [
        ({"seed": base64.b64encode(b"short").decode()}, 400, "invalid_seed"),
        ({"seed": "%%%"}, 400, "invalid_seed"),
        ({"seed": base64.b64encode(b"x" * 32).decode()}, 401, "invalid_signature"),
        ({"type": "SDK"}, 400, "invalid_request"),
        ({"publicKey": "nope"}, 400, "invalid_public_key"),
        ({"extra": 1, "challengeId": ["x"]}, 400, "invalid_request"),
    ],
    ids=[
        "short-seed",
        "seed-not-base64",
        "unsigned-seed",
        "bad-type",
        "bad-key",
        "unknown-and-bad",
    ],
)
def test_bad_requests_create_nothing(acme, changes, status, code):
    face = _enroll_face(acme)
    token = _token(acme)
    with pytest.raises(RecognizeError) as error:
        _raw_create(face, token, **changes)
    assert (error.value.status, error.value.code) == (status, code)
    assert not Device.objects.filter(type__in=["BACKUP", "TEMPORARY"]).exists()
    assert face.create_client_state(token=token)["type"] == "BACKUP"  # the token is unspent


def test_user_without_a_face_gets_no_client_state(acme):
    face = FaceDevice(acme.bound_device("bob"))
    key = face.device.key()
    key.binding["faceSeed"] = base64.b64encode(os.urandom(32)).decode()
    key.save(face.device.key_path)
    with pytest.raises(RecognizeError) as error:
        face.create_client_state(token=_token(acme, "bob"))
    assert (error.value.status, error.value.code) == (400, "face_not_enrolled")


def test_token_without_add_authenticators_is_refused(acme):
    face = _enroll_face(acme)
    with pytest.raises(RecognizeError) as error:
        face.create_client_state(token=acme.track("alice", "signIn")["token"])
    assert (error.value.status, error.value.code) == (403, "insufficient_scope")


def test_another_users_device_cannot_ask_for_a_client_state(acme):
    _enroll_face(acme, "alice")
    bobs = _enroll_face(acme, "bob", name="bobs-phone")
    with pytest.raises(RecognizeError) as error:
        bobs.create_client_state(token=_token(acme, "alice"))
    assert (error.value.status, error.value.code) == (403, "token_mismatch")
    assert not Device.objects.filter(type="BACKUP").exists()
