"""Fixtures for the actions tests: the push gateway stand-ins."""

from tests.push_standins.fixtures import (  # noqa: F401 - fixtures, found by name
    apns_standin,
    fcm_standin,
    push_tls,
    webpush_standin,
)
