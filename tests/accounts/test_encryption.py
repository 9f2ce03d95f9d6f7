"""Sealing tenant data at rest: per-tenant data keys wrapped by the master key."""

import base64
import os

import pytest

from accounts import encryption
from accounts.models import DataKey
from accounts.services import tenant_create


@pytest.fixture
def tenant(db):
    return tenant_create(name="acme")[0]


def test_round_trip_and_nothing_readable_at_rest(tenant):
    blob = encryption.seal(tenant=tenant, plaintext=b"secret template", purpose="t", context=b"1")
    assert b"secret template" not in blob
    assert b"secret template" not in bytes(DataKey.objects.get().wrapped_key)
    opened = encryption.unseal(tenant=tenant, blob=blob, purpose="t", context=b"1")
    assert opened == b"secret template"


@pytest.mark.parametrize(
    "change",
    [
        {"purpose": "other"},
        {"context": b"2"},
        {"blob_edit": lambda b: b[:-1] + bytes([b[-1] ^ 1])},
        {"blob_edit": lambda b: b[:20]},
        {"blob_edit": lambda b: b"\x09" + b[1:]},
    ],
)
def test_blob_does_not_open_elsewhere_or_when_tampered(tenant, change):
    blob = encryption.seal(tenant=tenant, plaintext=b"x", purpose="t", context=b"1")
    blob = change.get("blob_edit", lambda b: b)(blob)
    with pytest.raises(encryption.SealError):
        encryption.unseal(
            tenant=tenant,
            blob=blob,
            purpose=change.get("purpose", "t"),
            context=change.get("context", b"1"),
        )


def test_blob_of_another_tenant_does_not_open(tenant):
    other = tenant_create(name="globex")[0]
    blob = encryption.seal(tenant=tenant, plaintext=b"x", purpose="t")
    with pytest.raises(encryption.SealError):
        encryption.unseal(tenant=other, blob=blob, purpose="t")


def test_rotated_data_key_still_opens_old_blobs(tenant):
    old = encryption.seal(tenant=tenant, plaintext=b"old", purpose="t")
    encryption.data_key_create(tenant=tenant)
    new = encryption.seal(tenant=tenant, plaintext=b"new", purpose="t")
    assert old[1:17] != new[1:17]  # different key ids
    assert encryption.unseal(tenant=tenant, blob=old, purpose="t") == b"old"
    assert DataKey.objects.filter(retired_at__isnull=True).count() == 1


def test_master_key_rotation_rewraps_data_keys(tenant, settings):
    blob = encryption.seal(tenant=tenant, plaintext=b"kept", purpose="t")
    previous = settings.RECOGNIZE_MASTER_KEY
    settings.RECOGNIZE_MASTER_KEY = base64.b64encode(os.urandom(32)).decode()
    settings.RECOGNIZE_PREVIOUS_MASTER_KEYS = [previous]
    encryption._unwrapped.clear()
    assert encryption.data_keys_rewrap() == 1
    settings.RECOGNIZE_PREVIOUS_MASTER_KEYS = []
    encryption._unwrapped.clear()
    assert encryption.unseal(tenant=tenant, blob=blob, purpose="t") == b"kept"


def test_unknown_master_key_is_a_clear_error(tenant, settings):
    blob = encryption.seal(tenant=tenant, plaintext=b"x", purpose="t")
    settings.RECOGNIZE_MASTER_KEY = base64.b64encode(os.urandom(32)).decode()
    encryption._unwrapped.clear()
    with pytest.raises(encryption.SealError, match="unknown master key"):
        encryption.unseal(tenant=tenant, blob=blob, purpose="t")
