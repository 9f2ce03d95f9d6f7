"""Face enrollment and authentication over HTTP with a real worker, driven by the device CLI."""

import pytest

from biometrics.models import FaceJob
from tests.integration.test_live_flow import _cli
from tests.support import FACES_DIR

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode", [[], ["--upload"]], ids=["on-device", "upload"])
def test_enroll_and_authenticate_with_the_cli(live, tmp_path, mode):
    key_file = tmp_path / "phone.json"
    enroll = live.server.track("carol", "enroll", {"scope": "add:authenticators"})
    _cli(live, key_file, "add", "--token", enroll["token"])
    enroll = live.server.track("carol", "enroll", {"scope": "add:authenticators"})
    enrolled = _cli(
        live,
        key_file,
        "enroll",
        "--token",
        enroll["token"],
        "--image",
        str(FACES_DIR / "dev/id03/img8.jpg"),
        *mode,
    )
    assert enrolled["status"] == "SUCCEEDED"

    tracked = live.server.track("carol", "withdraw")
    result = _cli(
        live,
        key_file,
        "authenticate",
        "--token",
        tracked["token"],
        "--image",
        str(FACES_DIR / "dev/id03/img9.jpg"),
        *mode,
    )
    assert result["state"] == "CHALLENGE_SUCCEEDED"
    validated = live.server.validate_challenge({"token": result["token"]})
    assert (validated["is_valid"], validated["verification_method"]) == (True, "FACE")
    assert all(job.status == "SUCCEEDED" for job in FaceJob.objects.all())

    assert _cli(live, key_file, "deenroll", "--token", result["token"])["removedAuthenticatorId"]
