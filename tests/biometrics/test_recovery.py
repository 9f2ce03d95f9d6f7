"""Account recovery on a new device: recovery token, client state and a matching selfie."""

import base64
import json
import os
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from django.utils import timezone

from accounts.models import EndUser
from actions.models import ConsumedToken
from actions.tokens import token_decode
from biometrics import client_states, templates
from biometrics.models import FaceTemplate
from devices.models import Authenticator, Device
from recognize_sdk import RecognizeError
from recognize_sdk.cli import main
from recognize_sdk.face_device import FaceDevice
from recognize_sdk.proof import proof_message
from recognize_sdk.recovery import deep_link_parse, recover
from tests.support import TenantContext, face_photo

ALICE = "dev/id01/img1.jpg"
ALICE_AGAIN = "dev/id01/img2.jpg"
SOMEONE_ELSE = "dev/id02/img26.jpg"


def _recovery(acme, user_id: str = "alice") -> dict:
    """``POST /v1/users/{userId}/recovery`` through the official SDK's session."""
    url = f"{acme.server.api_url}/users/{user_id}/recovery"
    return acme.server.session.post(url).decamelized_content


def _state(acme, face: FaceDevice, type: str = "BACKUP") -> str:
    token = acme.track("alice", "addBackup", scope="add:authenticators")["token"]
    return face.create_client_state(token=token, type=type)["clientState"]


@pytest.fixture
def phone_a(acme_committed):
    """Alice's first phone: bound, face enrolled from a photo, a BACKUP client state stored."""
    acme_committed.server.update_user("alice", {"email": "alice@example.com"})
    face = FaceDevice(acme_committed.bound_device("alice", name="phone-a"))
    token = acme_committed.track("alice", "enroll", scope="add:authenticators")["token"]
    face.enroll(token=token, image=face_photo(ALICE))
    return face, _state(acme_committed, face)


def _snapshot() -> dict:
    """What a refused recovery must leave unchanged."""
    face = Authenticator.objects.get(verification_method="FACE", tenant__name="acme")
    return {
        "devices": sorted(Device.objects.values_list("id", "type")),
        "authenticators": sorted(Authenticator.objects.values_list("id", "device_id")),
        "templates": list(FaceTemplate.objects.values_list("id", flat=True)),
        "face_device": face.device_id,
    }


def test_whole_recovery_on_a_new_phone(acme_committed, phone_a, mailoutbox):
    face_a, backup = phone_a
    old_template = FaceTemplate.objects.get()
    seed_a = face_a.device.key().binding["faceSeed"]
    face_a.device.key_path.unlink()  # phone A is lost
    mailoutbox.clear()

    started = _recovery(acme_committed)
    server, token = deep_link_parse(started["url"])
    assert token == started["token"]
    assert server.startswith("http")
    expires = timezone.datetime.fromisoformat(started["expires_at"])
    assert expires <= timezone.now() + timedelta(minutes=10)

    phone_b = acme_committed.device("phone-b")
    result = recover(
        phone_b,
        token=token,
        client_state=backup,
        image=face_photo(ALICE_AGAIN),
        name="phone-b",
    )
    assert result["status"] == "SUCCEEDED"
    assert result["state"] == "CHALLENGE_SUCCEEDED"
    new_device = Device.objects.get(pk=result["deviceId"])
    assert (new_device.type, new_device.name) == ("SDK", "phone-b")
    assert new_device.public_key == phone_b.key().public_key
    in_app = Authenticator.objects.get(pk=result["userAuthenticatorId"])
    assert (in_app.verification_method, in_app.device_id) == ("IN_APP", new_device.pk)
    face = Authenticator.objects.get(verification_method="FACE")
    assert face.device_id == new_device.pk
    renewed = FaceTemplate.objects.get()
    assert renewed.id != old_template.id
    assert renewed.authenticator_id == face.id
    assert [m.subject for m in mailoutbox] == ["A new device was added to your acme account"]
    binding = phone_b.key().binding
    assert binding["deviceId"] == result["deviceId"]
    assert binding["faceSeed"] != seed_a
    assert "pendingFaceSeed" not in binding

    validated = acme_committed.server.validate_challenge({"token": result["token"]})
    assert validated["is_valid"] is True
    assert validated["verification_method"] == "FACE"
    assert validated["action"] == "recovery"

    # phone B now authenticates with its own new seed
    face_b = FaceDevice(phone_b)
    signed_in = face_b.authenticate(
        token=acme_committed.track("alice")["token"], image=face_photo(ALICE)
    )
    assert signed_in["state"] == "CHALLENGE_SUCCEEDED"

    # the old seed is retired: the backup made under it is stale, the token is spent
    with pytest.raises(RecognizeError) as error:
        recover(
            acme_committed.device("phone-c"),
            token=_recovery(acme_committed)["token"],
            client_state=backup,
            image=face_photo(ALICE_AGAIN),
        )
    assert (error.value.status, error.value.code) == (409, "client_state_stale")
    with pytest.raises(RecognizeError) as error:
        recover(
            acme_committed.device("phone-d"),
            token=token,
            client_state=_state(acme_committed, face_b),
            image=face_photo(ALICE_AGAIN),
        )
    assert (error.value.status, error.value.code) == (401, "token_used")


def test_another_persons_selfie_binds_nothing_and_counts(acme_committed, phone_a):
    _, backup = phone_a
    before = _snapshot()
    token = _recovery(acme_committed)["token"]
    phone_b = acme_committed.device("phone-b")
    with pytest.raises(RecognizeError) as error:
        recover(phone_b, token=token, client_state=backup, image=face_photo(SOMEONE_ELSE))
    assert (error.value.status, error.value.code) == (401, "face_mismatch")
    assert _snapshot() == before
    assert Authenticator.objects.get(verification_method="FACE").failure_count == 1
    assert not ConsumedToken.objects.filter(pk=token_decode(token).jti).exists()
    # the token was not spent by the failure: the real owner can still recover with it
    assert (
        recover(phone_b, token=token, client_state=backup, image=face_photo(ALICE_AGAIN))["status"]
        == "SUCCEEDED"
    )


def test_a_temporary_client_state_is_single_use(acme_committed, phone_a):
    face_a, _ = phone_a
    temporary = _state(acme_committed, face_a, type="TEMPORARY")
    result = recover(
        acme_committed.device("phone-b"),
        token=_recovery(acme_committed)["token"],
        client_state=temporary,
        image=face_photo(ALICE_AGAIN),
    )
    assert result["status"] == "SUCCEEDED"
    assert not Device.objects.filter(type="TEMPORARY").exists()
    with pytest.raises(RecognizeError) as error:
        recover(
            acme_committed.device("phone-c"),
            token=_recovery(acme_committed)["token"],
            client_state=temporary,
            image=face_photo(ALICE_AGAIN),
        )
    assert (error.value.status, error.value.code) == (404, "client_state_revoked")


def _complete(acme, token: str, client_state: str, **changes) -> dict:
    """A raw recovery request by a fresh key, with ``changes`` to its body."""
    from recognize_sdk.keystore import DeviceKey

    client = acme.device_client()
    key = DeviceKey.generate()
    image, seed = face_photo(ALICE_AGAIN), os.urandom(32)
    challenge_id = client.challenge(token=token)["challengeId"]
    body = {
        "clientState": client_state,
        "image": base64.b64encode(image).decode(),
        "newSeed": base64.b64encode(seed).decode(),
        "publicKey": key.public_key,
        "signature": key.sign(proof_message(challenge_id, image + seed)),
        "challengeId": challenge_id,
    }
    body.update(changes)
    return client.request("POST", "/v1/client/recovery/complete", body, token)


def _expired_token(acme) -> str:
    """A recovery token as issued 20 minutes ago."""
    from unittest import mock

    from actions.models import Action
    from actions.tokens import token_issue

    action = Action.objects.get(idempotency_key=_recovery(acme)["idempotency_key"])
    past = timezone.now() - timedelta(minutes=20)
    with mock.patch("actions.tokens.timezone.now", return_value=past):
        return token_issue(action=action, scopes={"add:authenticators", "recovery"})


def _other_tenants_state(acme) -> str:
    globex = TenantContext("globex", acme.tmp_path)
    device = globex.bound_device("alice")
    in_app = Authenticator.objects.get(pk=device.key().binding["userAuthenticatorId"])
    face = Authenticator.objects.create(
        tenant=globex.tenant, user=in_app.user, verification_method="FACE", device=in_app.device
    )
    template = FaceTemplate(tenant=globex.tenant, user=in_app.user, authenticator=face)
    templates.template_seal(template, np.eye(128, dtype=np.float32)[0])
    template.save()
    _, blob = client_states.client_state_create(
        user=in_app.user, template=template, seed=os.urandom(32), type="BACKUP"
    )
    return blob


def _tampered(blob: str) -> str:
    middle = len(blob) // 2
    return blob[:middle] + ("A" if blob[middle] != "A" else "B") + blob[middle + 1 :]


@pytest.mark.parametrize(
    "make, status, code",
    [
        (lambda acme, blob: (_expired_token(acme), blob, {}), 401, "expired_token"),
        (
            lambda acme, blob: (_recovery(acme, "bob")["token"], blob, {}),
            403,
            "token_mismatch",
        ),
        (
            lambda acme, blob: (
                acme.track("alice", "enroll", scope="add:authenticators")["token"],
                blob,
                {},
            ),
            403,
            "insufficient_scope",
        ),
        (
            lambda acme, blob: (_recovery(acme)["token"], _tampered(blob), {}),
            400,
            "invalid_client_state",
        ),
        (
            lambda acme, blob: (_recovery(acme)["token"], _other_tenants_state(acme), {}),
            400,
            "invalid_client_state",
        ),
        (
            lambda acme, blob: (
                _recovery(acme)["token"],
                blob,
                {"newSeed": base64.b64encode(b"short").decode()},
            ),
            400,
            "invalid_seed",
        ),
        (
            lambda acme, blob: (_recovery(acme)["token"], blob, {"signature": "MEUCIQ=="}),
            401,
            "invalid_signature",
        ),
        (
            lambda acme, blob: (_recovery(acme)["token"], blob, {"publicKey": "nope"}),
            400,
            "invalid_public_key",
        ),
        (
            lambda acme, blob: (_recovery(acme)["token"], blob, {"image": "%%"}),
            400,
            "not_an_image",
        ),
        (
            lambda acme, blob: (_recovery(acme)["token"], blob, {"challengeId": "unknown"}),
            400,
            "invalid_challenge",
        ),
    ],
    ids=[
        "expired-token",
        "other-users-token",
        "not-a-recovery-token",
        "tampered-state",
        "other-tenants-state",
        "malformed-new-seed",
        "bad-signature",
        "bad-public-key",
        "image-not-base64",
        "unknown-challenge",
    ],
)
def test_bad_recovery_requests_change_nothing(acme_committed, phone_a, make, status, code):
    _, backup = phone_a
    acme_committed.server.update_user("bob", {"email": "bob@example.com"})
    token, blob, changes = make(acme_committed, backup)
    before = _snapshot()
    with pytest.raises(RecognizeError) as error:
        _complete(acme_committed, token, blob, **changes)
    assert (error.value.status, error.value.code) == (status, code)
    assert _snapshot() == before
    face = Authenticator.objects.get(verification_method="FACE", tenant__name="acme")
    assert face.failure_count == 0


def test_a_deleted_backup_is_revoked(acme_committed, phone_a):
    _, backup = phone_a
    state_device = Device.objects.get(type="BACKUP")
    acme_committed.delete_device("alice", str(state_device.pk))
    before = _snapshot()
    with pytest.raises(RecognizeError) as error:
        _complete(acme_committed, _recovery(acme_committed)["token"], backup)
    assert (error.value.status, error.value.code) == (404, "client_state_revoked")
    assert _snapshot() == before


def test_recovery_start_needs_a_known_user(acme):
    from authsignal.client import ApiException

    with pytest.raises(ApiException) as error:
        acme.server.session.post(f"{acme.server.api_url}/users/nobody/recovery")
    assert (error.value.status_code, error.value.error_code) == (404, "user_not_found")


def test_recovery_token_is_scoped_and_short_lived(acme):
    acme.server.update_user("alice", {"email": "alice@example.com"})
    started = _recovery(acme)
    query = parse_qs(urlparse(started["url"]).fragment)  # tokens never ride in a query string
    assert query["token"] == [started["token"]]
    claims = token_decode(started["token"])
    assert claims.scopes == {"add:authenticators", "recovery"}
    assert claims.action_code == "recovery"
    assert claims.expires_at <= timezone.now() + timedelta(minutes=10)
    assert EndUser.objects.get(external_id="alice").actions.get().state == "CHALLENGE_REQUIRED"


def test_cli_client_state_and_recover(acme_committed, phone_a, tmp_path, capsys, monkeypatch):
    from tests.transports import device_transport

    face_a, _ = phone_a
    monkeypatch.setattr("recognize_sdk.client.urllib_transport", lambda timeout: device_transport())
    common = ["--server", acme_committed.base_url, "--tenant", acme_committed.tenant_id]
    token = acme_committed.track("alice", "addBackup", scope="add:authenticators")["token"]
    argv = [*common, "--key-file", str(face_a.device.key_path), "client-state", "--token", token]
    assert main(argv) == 0
    blob = capsys.readouterr().out.strip()
    assert client_states.client_state_open(tenant=acme_committed.tenant, blob=blob)

    photo = tmp_path / "selfie.jpg"
    photo.write_bytes(face_photo(ALICE_AGAIN))
    new_key = tmp_path / "phone-b.json"
    link = _recovery(acme_committed)["url"]
    argv = [*common, "--key-file", str(new_key), "recover", "--link", link]
    assert main([*argv, "--client-state", blob, "--image", str(photo)]) == 0
    assert '"status": "SUCCEEDED"' in capsys.readouterr().out
    assert (new_key.stat().st_mode & 0o777) == 0o600
    assert "faceSeed" in json.loads(new_key.read_text())["binding"]


def test_recovery_works_after_the_lost_phone_was_deleted(acme_committed, phone_a):
    face_a, backup = phone_a
    acme_committed.delete_device("alice", face_a.device.key().binding["deviceId"])
    face = Authenticator.objects.get(verification_method="FACE")
    assert face.device_id is None  # the enrollment stays with the user, detached
    assert not Authenticator.objects.filter(verification_method="IN_APP").exists()

    result = recover(
        acme_committed.device("phone-b"),
        token=_recovery(acme_committed)["token"],
        client_state=backup,
        image=face_photo(ALICE_AGAIN),
    )
    assert result["state"] == "CHALLENGE_SUCCEEDED"
    assert (
        str(Authenticator.objects.get(verification_method="FACE").device_id) == result["deviceId"]
    )
