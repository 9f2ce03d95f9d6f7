"""The reference device SDK's key store and CLI (no Django needed for the key store)."""

import os

import pytest

from recognize_sdk import DeviceKey
from recognize_sdk.cli import main


def test_key_file_is_private_and_round_trips(tmp_path):
    key = DeviceKey.generate()
    key.binding = {"deviceId": "d1"}
    path = tmp_path / "nested" / "device.json"
    key.save(path)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    loaded = DeviceKey.load(path)
    assert loaded.public_key == key.public_key
    assert loaded.binding == {"deviceId": "d1"}


def test_a_key_file_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "device.json"
    DeviceKey.generate().save(path)
    os.chmod(path, 0o644)
    with pytest.raises(PermissionError):
        DeviceKey.load(path)


def test_cli_without_tenant_explains(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RECOGNIZE_TENANT_ID", raising=False)
    assert main(["--key-file", str(tmp_path / "k.json"), "status"]) == 2
    assert "--tenant" in capsys.readouterr().err


def test_cli_status_without_a_key_explains(tmp_path, capsys):
    assert main(["--tenant", "t", "--key-file", str(tmp_path / "none.json"), "status"]) == 1
    assert "run 'add' first" in capsys.readouterr().err
