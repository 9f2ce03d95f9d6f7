"""Shared fixtures. Django-dependent imports happen inside fixtures, so the pure-Python
suites (e.g. tests/sdk/face) can run without Django settings."""

import pytest


@pytest.fixture
def acme(db, tmp_path):
    """Tenant "acme" with its backend SDK client and device factory."""
    from tests.support import TenantContext

    return TenantContext("acme", tmp_path)


@pytest.fixture
def globex(db, tmp_path):
    """A second tenant, for isolation tests."""
    from tests.support import TenantContext

    return TenantContext("globex", tmp_path)
