"""Authenticated encryption of tenant data at rest (templates, client states, secrets).

Each tenant has data keys (AES-256-GCM) stored wrapped by a key-encryption key derived from
the master key. A sealed blob is ``version ‖ data key id ‖ nonce ‖ ciphertext+tag``; the
associated data binds it to its tenant, its purpose and the caller's context (e.g. the row
id), so a blob moved to another row, tenant or purpose does not open. Unwrapped data keys
are cached in process memory only.
"""

import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import transaction
from django.utils import timezone

from accounts.models import DataKey, Tenant
from recognize_project import keys

VERSION = 1
_HEADER = 1 + 16 + 12
_unwrapped: dict[uuid.UUID, bytes] = {}


class SealError(Exception):
    """A blob that does not open: tampered, truncated, or sealed for something else."""


def _kek(master: bytes) -> AESGCM:
    return AESGCM(keys.derive("recognize/data-key-wrapping/v1", root=master))


def _wrap(key_id: uuid.UUID, data_key: bytes) -> tuple[bytes, str]:
    nonce = os.urandom(12)
    wrapped = nonce + _kek(keys.master_key()).encrypt(nonce, data_key, key_id.bytes)
    return wrapped, keys.master_key_id()


def _unwrap(row: DataKey) -> bytes:
    master = keys.master_keys().get(row.master_key_id)
    if master is None:
        raise SealError(f"data key {row.id} is wrapped by an unknown master key")
    wrapped = bytes(row.wrapped_key)
    return _kek(master).decrypt(wrapped[:12], wrapped[12:], row.id.bytes)


def data_key_create(*, tenant: Tenant) -> DataKey:
    """A new active data key for ``tenant``; older ones are retired (still usable to open)."""
    with transaction.atomic():
        DataKey.objects.filter(tenant=tenant, retired_at__isnull=True).update(
            retired_at=timezone.now()
        )
        key_id = uuid.uuid4()
        data_key = AESGCM.generate_key(bit_length=256)
        wrapped, master_id = _wrap(key_id, data_key)
        row = DataKey.objects.create(
            id=key_id, tenant=tenant, wrapped_key=wrapped, master_key_id=master_id
        )
    _unwrapped[key_id] = data_key
    return row


def data_keys_rewrap() -> int:
    """Re-wrap every data key under the current master key (after a master key rotation)."""
    current = keys.master_key_id()
    count = 0
    for row in DataKey.objects.exclude(master_key_id=current):
        row.wrapped_key, row.master_key_id = _wrap(row.id, _unwrap(row))
        row.save(update_fields=["wrapped_key", "master_key_id"])
        count += 1
    return count


def _active_key(tenant: Tenant) -> tuple[uuid.UUID, bytes]:
    row = DataKey.objects.filter(tenant=tenant, retired_at__isnull=True).first()
    if row is None:
        row = data_key_create(tenant=tenant)
    if row.id not in _unwrapped:
        _unwrapped[row.id] = _unwrap(row)
    return row.id, _unwrapped[row.id]


def _key(tenant: Tenant, key_id: uuid.UUID) -> bytes:
    if key_id not in _unwrapped:
        row = DataKey.objects.filter(tenant=tenant, pk=key_id).first()
        if row is None:
            raise SealError("sealed with a key this tenant does not have")
        _unwrapped[key_id] = _unwrap(row)
    return _unwrapped[key_id]


def _aad(tenant: Tenant, purpose: str, context: bytes) -> bytes:
    return b"|".join([b"recognize", purpose.encode(), str(tenant.pk).encode(), context])


def seal(*, tenant: Tenant, plaintext: bytes, purpose: str, context: bytes = b"") -> bytes:
    """Encrypt ``plaintext`` for ``tenant`` under its active data key."""
    key_id, data_key = _active_key(tenant)
    nonce = os.urandom(12)
    sealed = AESGCM(data_key).encrypt(nonce, plaintext, _aad(tenant, purpose, context))
    return bytes([VERSION]) + key_id.bytes + nonce + sealed


def unseal(*, tenant: Tenant, blob: bytes, purpose: str, context: bytes = b"") -> bytes:
    """Decrypt a blob made by :func:`seal` with the same tenant, purpose and context."""
    blob = bytes(blob)
    if len(blob) < _HEADER + 16 or blob[0] != VERSION:
        raise SealError("not a sealed blob of a known version")
    key_id = uuid.UUID(bytes=blob[1:17])
    nonce, sealed = blob[17:_HEADER], blob[_HEADER:]
    try:
        return AESGCM(_key(tenant, key_id)).decrypt(nonce, sealed, _aad(tenant, purpose, context))
    except InvalidTag:
        raise SealError(
            "the blob does not open: tampered with or sealed for something else"
        ) from None
