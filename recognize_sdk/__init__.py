"""Reference device SDK for Recognize: what a phone or browser app does, in Python.

Importable without Django. ``DeviceKey`` keeps the device's P-256 key in a 0600 file,
``RecognizeClient`` speaks the Client API, and ``python -m recognize_sdk`` is the CLI.
"""

from recognize_sdk.client import RecognizeClient, RecognizeError
from recognize_sdk.keystore import DeviceKey

__all__ = ["DeviceKey", "RecognizeClient", "RecognizeError"]
