"""The live test suite shipped inside the official ``authsignal`` Python wheel
(``authsignal/client_tests.py``, version pinned in requirements/dev.txt), run unmodified against a
served Recognize: one pytest case per test of the suite.

The suite reads ``AUTHSIGNAL_API_SECRET`` and ``AUTHSIGNAL_API_URL`` and assumes the tenant it
tests is configured as Authsignal's test tenant is: the action ``python-sdk-test`` requires a
challenge, and ``user123`` has an authenticator (``test_actions`` asserts ``is_enrolled``).
"""

import unittest

import pytest
from authsignal import client_tests
from authsignal.client import AuthsignalClient

# Not bound to a module-level name: pytest would collect the TestCase class a second time.
NAMES = unittest.TestLoader().getTestCaseNames(client_tests.TestAuthsignalClient)


def test_the_whole_shipped_suite_is_collected():
    """Nine tests in 4.1.0; a newer wheel with more tests shows up here first."""
    assert len(NAMES) == 9, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_shipped_suite(served_tenant, monkeypatch, name):
    monkeypatch.setenv("AUTHSIGNAL_API_SECRET", served_tenant.secret)
    monkeypatch.setenv("AUTHSIGNAL_API_URL", served_tenant.api_url)
    served_tenant.set_action_outcome("python-sdk-test", "CHALLENGE_REQUIRED")
    AuthsignalClient(served_tenant.secret, served_tenant.api_url).enroll_verified_authenticator(
        "user123", {"verificationMethod": "EMAIL_OTP", "email": "user123@example.com"}
    )
    result = unittest.TextTestRunner(stream=_Discard(), verbosity=0).run(
        unittest.TestSuite([client_tests.TestAuthsignalClient(name)])
    )
    problems = [text for _, text in result.failures + result.errors]
    assert result.testsRun == 1 and not problems, "\n".join(problems)


class _Discard:
    """A text stream that drops what the unittest runner prints (pytest reports instead)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
