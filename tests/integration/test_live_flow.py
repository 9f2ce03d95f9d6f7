"""The whole in-app flow over real HTTP, with a real worker delivering e-mail by SMTP."""

import json
import os
import subprocess
import sys

import pytest

from tests.integration.conftest import ROOT

pytestmark = pytest.mark.integration


def _cli(live, key_file, *args) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "recognize_sdk",
            "--server",
            live.base_url,
            "--tenant",
            live.tenant_id,
            "--key-file",
            str(key_file),
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("DJANGO")},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_walkthrough_with_official_sdk_device_cli_worker_and_smtp(live, smtp_server, tmp_path):
    _, mailbox = smtp_server
    key_file = tmp_path / "alice-phone.json"

    enroll = live.server.track(
        "alice", "signIn", {"email": "alice@example.com", "scope": "add:authenticators"}
    )
    bound = _cli(live, key_file, "add", "--token", enroll["token"], "--name", "Alice's phone")
    assert bound["userId"] == "alice"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"

    mail = mailbox.wait_for(lambda m: m["To"] == "alice@example.com")
    assert "new device" in mail["Subject"].lower()
    assert "Alice's phone" in mail.get_body(("plain",)).get_content()

    tracked = live.server.track("alice", "signIn")
    assert tracked["state"] == "CHALLENGE_REQUIRED"
    verified = _cli(live, key_file, "verify", "--token", tracked["token"])
    assert verified["state"] == "CHALLENGE_SUCCEEDED"

    assert live.server.validate_challenge({"token": verified["token"]})["is_valid"] is True
    assert live.server.validate_challenge({"token": verified["token"]})["is_valid"] is False

    assert _cli(live, key_file, "remove")["removedAuthenticatorId"]
    assert live.list_devices("alice") == []
