"""Every kind of authenticator locks the same way (devices.lockout, the one lockout protocol).

``LockoutContract`` plays the part of django-otp's ``ThrottlingTestMixin``: each subclass drives
one verification method through the surface its users meet (the device SDK against the API,
or the service the portal calls) and inherits the same five tests, so no method can drift
from the policy. Failures count only when the attempt reached the device or the user (a
wrong number, face or code); a bad device signature never does, so the device key alone has
no failure to count. The policy: a threshold of consecutive failures (the tenant's 5 for
device-bound methods, 100 for first factors) locks for the tenant's lockout time (600 s), each
further lock doubles it, a lock refuses even the right answer (429 with Retry-After), and only
a success resets the count.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.oath import TOTP

from accounts.services import user_get_or_create
from devices.factors.one_time_codes import code_send, code_verify
from devices.factors.recovery_codes import recovery_code_use, recovery_codes_generate
from devices.factors.totp import totp_enroll, totp_secret_new, totp_verify
from devices.lockout import LockoutPolicy, ThrottleState, attempt_failure, raise_if_locked
from devices.models import Authenticator, CodeChannel, CodePurpose
from recognize_project.errors import ApplicationError
from recognize_sdk import RecognizeError
from recognize_sdk.face_device import FaceDevice
from recognize_sdk.push_device import PushDevice
from tests.portal.support import code_in, last_mail_to
from tests.support import face_photo

LOCK_SECONDS = 600
#: The tenant's threshold (device-bound methods), and the account-wide one of first factors,
#: whose attempts are throttled per source before it (devices.conf, security item 2).
DEVICE_THRESHOLD, FIRST_FACTOR_THRESHOLD = 5, 100


@dataclass
class Refusal:
    """A refused attempt as its caller sees it."""

    status: int
    code: str
    message: str
    body: dict = field(default_factory=dict)


def _refusal_of(call) -> Refusal | None:
    """Run ``call``; None when it succeeded, else how it was refused."""
    try:
        call()
    except ApplicationError as error:
        return Refusal(error.status, error.code, error.message, {**error.extra, **error.headers})
    except RecognizeError as error:
        return Refusal(error.status, error.code, error.description, error.body)
    return None


class LockoutContract:
    """The tests every kind passes. Subclasses set ``method`` and implement ``wrong()``,
    ``right()`` (each returning ``_refusal_of(...)``) and the ``kind`` fixture."""

    method: str
    threshold: int = FIRST_FACTOR_THRESHOLD

    def wrong(self) -> Refusal:
        raise NotImplementedError

    def right(self) -> Refusal | None:
        raise NotImplementedError

    def row(self) -> Authenticator:
        return Authenticator.objects.get(user__external_id="alice", verification_method=self.method)

    def test_each_failure_says_how_many_attempts_are_left(self, kind):
        for failures in range(1, self.threshold):
            refusal = self.wrong()
            assert refusal.status == 401
            assert f"; {self.threshold - failures} attempt(s) left" in refusal.message
            assert self.row().failure_count == failures

    def test_the_threshold_failure_locks_for_the_tenants_lockout_time(self, kind):
        for _ in range(self.threshold - 1):
            self.wrong()
        last = self.wrong()
        assert last.status == 401
        said = re.search(r"locked until \d\d:\d\d UTC \((\d+) minutes\)", last.message)
        assert said and int(said.group(1)) == LOCK_SECONDS // 60
        remaining = (self.row().locked_until - timezone.now()).total_seconds()
        assert LOCK_SECONDS - 10 <= remaining <= LOCK_SECONDS

    def test_a_lock_refuses_even_the_right_answer(self, kind):
        for _ in range(self.threshold):
            self.wrong()
        refusal = self.right()
        assert refusal is not None
        assert (refusal.status, refusal.code) == (429, "authenticator_locked")
        assert 1 <= int(refusal.body.get("Retry-After", LOCK_SECONDS)) <= LOCK_SECONDS

    def test_the_next_lock_lasts_twice_as_long(self, kind):
        for _ in range(self.threshold):
            self.wrong()
        Authenticator.objects.filter(pk=self.row().pk).update(
            locked_until=timezone.now() - timedelta(seconds=1)
        )
        for _ in range(self.threshold):
            self.wrong()
        remaining = (self.row().locked_until - timezone.now()).total_seconds()
        assert 2 * LOCK_SECONDS - 10 <= remaining <= 2 * LOCK_SECONDS

    def test_only_a_success_resets_the_count(self, kind):
        for _ in range(self.threshold - 1):
            self.wrong()
        assert self.right() is None
        row = self.row()
        assert (row.failure_count, row.lockout_count, row.locked_until) == (0, 0, None)
        assert f"; {self.threshold - 1} attempt(s) left" in self.wrong().message


class TestPush(LockoutContract):
    """Answering a push challenge through the API: a wrong number (number matching) is a
    failure. A bad signature never counts (tests/actions/test_in_app.py, security item 8)."""

    method = "PUSH"
    threshold = DEVICE_THRESHOLD

    @pytest.fixture
    def kind(self, acme):
        self.acme = acme
        device = acme.device("phone")
        token = acme.track("alice", "enroll", scope="add:authenticators")["token"]
        PushDevice(device).register(token=token)
        self.phone = PushDevice(device)

    def wrong(self) -> Refusal:
        tracked = self.acme.track("alice")
        wrong = f"{(int(tracked['push_verification_code']) + 1) % 100:02d}"
        return _refusal_of(lambda: self.phone.answer(approved=True, code=wrong))

    def right(self) -> Refusal | None:
        tracked = self.acme.track("alice")
        return _refusal_of(
            lambda: self.phone.answer(approved=True, code=tracked["push_verification_code"])
        )


class TestFace(LockoutContract):
    """Face authentication (on-device mode): someone else's face is a failure."""

    method = "FACE"
    threshold = DEVICE_THRESHOLD

    @pytest.fixture
    def kind(self, acme_committed):
        self.acme = acme_committed
        self.face = FaceDevice(acme_committed.bound_device("alice"))
        token = acme_committed.track("alice", "enroll", scope="add:authenticators")["token"]
        self.face.enroll(token=token, image=face_photo("dev/id01/img1.jpg"))

    def _authenticate(self, photo: str) -> Refusal | None:
        token = self.acme.track("alice", "pay")["token"]
        return _refusal_of(lambda: self.face.authenticate(token=token, image=face_photo(photo)))

    def wrong(self) -> Refusal:
        return self._authenticate("dev/id02/img26.jpg")

    def right(self) -> Refusal | None:
        return self._authenticate("dev/id01/img2.jpg")


class TestEmailCode(LockoutContract):
    """An e-mailed code (the portal's sign-in calls this service): a wrong code is a failure."""

    method = "EMAIL_OTP"

    @pytest.fixture
    def kind(self, acme, django_capture_on_commit_callbacks):
        self.user = user_get_or_create(
            tenant=acme.tenant, external_id="alice", email="alice@example.com"
        )
        with django_capture_on_commit_callbacks(execute=True):
            code_send(
                user=self.user,
                channel=CodeChannel.EMAIL,
                purpose=CodePurpose.SIGN_IN,
                with_link=False,
            )
        self.code = code_in(last_mail_to("alice@example.com"))
        mail.outbox.clear()

    def _verify(self, code: str) -> Refusal | None:
        return _refusal_of(
            lambda: code_verify(
                user=self.user, channel=CodeChannel.EMAIL, purpose=CodePurpose.SIGN_IN, code=code
            )
        )

    def wrong(self) -> Refusal:
        return self._verify(f"{(int(self.code) + 1) % 1_000_000:06d}")

    def right(self) -> Refusal | None:
        return self._verify(self.code)


class TestTotp(LockoutContract):
    """A code from the authenticator app: a wrong code is a failure."""

    method = "TOTP"

    @pytest.fixture
    def kind(self, acme):
        self.user = user_get_or_create(tenant=acme.tenant, external_id="alice")
        self.secret = totp_secret_new()
        totp_enroll(user=self.user, secret=self.secret, code=self._code(drift=0))

    def _code(self, *, drift: int) -> str:
        totp = TOTP(self.secret)
        totp.drift = drift
        return f"{totp.token():06d}"

    def wrong(self) -> Refusal:
        right = self._code(drift=1)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        return _refusal_of(lambda: totp_verify(user=self.user, code=wrong))

    def right(self) -> Refusal | None:
        # The enrollment used this time step's code: the next step's is the one still unused.
        return _refusal_of(lambda: totp_verify(user=self.user, code=self._code(drift=1)))


class TestRecoveryCode(LockoutContract):
    """A recovery code: a code that is not one of the user's is a failure."""

    method = "RECOVERY_CODE"

    @pytest.fixture
    def kind(self, acme):
        self.user = user_get_or_create(tenant=acme.tenant, external_id="alice")
        self.codes = recovery_codes_generate(user=self.user)

    def wrong(self) -> Refusal:
        return _refusal_of(lambda: recovery_code_use(user=self.user, code="AAAA-AAAA-AAAA-AAAA"))

    def right(self) -> Refusal | None:
        return _refusal_of(lambda: recovery_code_use(user=self.user, code=self.codes.pop()))


def test_state_kept_outside_a_row_locks_like_a_row():
    """The portal keeps the lockout of an address that matches nobody in its session
    (``ThrottleState``): the same threshold, lock time, doubling and errors."""
    state = ThrottleState(LockoutPolicy(DEVICE_THRESHOLD, LOCK_SECONDS))
    for failures in range(1, DEVICE_THRESHOLD):
        state.throttle_increment()
        assert attempt_failure(state, "invalid_code", "Wrong").extra == {
            "attemptsRemaining": DEVICE_THRESHOLD - failures
        }
    state.throttle_increment()
    assert "lockedUntil" in attempt_failure(state, "invalid_code", "Wrong").extra
    with pytest.raises(ApplicationError) as locked:
        raise_if_locked(state)
    assert (locked.value.status, locked.value.code) == (429, "authenticator_locked")
    state.locked_until = timezone.now() - timedelta(seconds=1)
    for _ in range(DEVICE_THRESHOLD):
        state.throttle_increment()
    remaining = (state.locked_until - timezone.now()).total_seconds()
    assert 2 * LOCK_SECONDS - 10 <= remaining <= 2 * LOCK_SECONDS
