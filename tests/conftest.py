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


@pytest.fixture(autouse=True)
def _celery_mode(request):
    """Tasks run eagerly in-process, except in integration tests, which use a real worker."""
    if "django_db_setup" not in request.fixturenames and "db" not in request.fixturenames:
        yield
        return
    from recognize_project.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = request.node.get_closest_marker("integration") is None
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(request):
    """Operator passwords are hashed with PBKDF2 in production; tests need no such cost.

    Skipped when pytest-django is off (the pure-Python suites run with ``-p no:django``).
    """
    if request.config.pluginmanager.hasplugin("django"):
        settings = request.getfixturevalue("settings")
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def acme_committed(transactional_db, tmp_path):
    """Tenant "acme" on a database that really commits, so after-commit tasks run."""
    from tests.support import TenantContext

    return TenantContext("acme", tmp_path)
