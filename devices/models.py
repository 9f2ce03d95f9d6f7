"""Devices bound to a user, and the authenticators (verification methods) a user has."""

import uuid

from django.db import models

from accounts.models import EndUser, Tenant
from devices import conf
from devices.lockout import LockoutPolicy, Throttled


class DeviceType(models.TextChoices):
    SDK = "SDK", "App install with a device key"
    BACKUP = "BACKUP", "Backup client state"
    TEMPORARY = "TEMPORARY", "Temporary client state"


class VerificationMethod(models.TextChoices):
    IN_APP = "IN_APP"
    PUSH = "PUSH"
    FACE = "FACE"
    EMAIL_OTP = "EMAIL_OTP"
    SMS_OTP = "SMS_OTP"
    EMAIL_MAGIC_LINK = "EMAIL_MAGIC_LINK"
    TOTP = "TOTP"
    RECOVERY_CODE = "RECOVERY_CODE"
    PASSKEY = "PASSKEY"
    SECURITY_KEY = "SECURITY_KEY"


DEVICE_BOUND_METHODS = frozenset(
    {VerificationMethod.IN_APP, VerificationMethod.PUSH, VerificationMethod.FACE}
)


#: Methods a user proves with something sent to them or known to them, not with a device key.
FIRST_FACTOR_METHODS = frozenset(
    {
        VerificationMethod.EMAIL_OTP,
        VerificationMethod.SMS_OTP,
        VerificationMethod.TOTP,
        VerificationMethod.RECOVERY_CODE,
    }
)


class Device(models.Model):
    """A device of a user. ``id`` is the public ``deviceId``; deleting the row revokes it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="devices")
    user = models.ForeignKey(EndUser, on_delete=models.CASCADE, related_name="devices")
    type = models.CharField(max_length=16, choices=DeviceType.choices)
    name = models.CharField(max_length=200, blank=True)
    platform = models.CharField(max_length=32, blank=True)
    public_key = models.TextField(blank=True, help_text="P-256 key, base64 SubjectPublicKeyInfo.")
    public_key_fingerprint = models.CharField(max_length=64, blank=True)
    user_authentication_required = models.BooleanField(default=False)
    client_state_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="BACKUP / TEMPORARY: SHA-256 of the client state blob (the blob is not kept).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "public_key_fingerprint"],
                condition=~models.Q(public_key_fingerprint=""),
                name="uniq_device_key_per_tenant",
            )
        ]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.name or self.id}"


def _cascade_unless_face(collector, field, sub_objs, using) -> None:
    """``on_delete`` of an authenticator's device: device-bound methods die with the device;
    a FACE enrollment stays with the user (detached) so a backup client state can restore it
    on a new device. De-enrollment or deleting the user removes it."""
    faces = [a for a in sub_objs if a.verification_method == VerificationMethod.FACE]
    others = [a for a in sub_objs if a.verification_method != VerificationMethod.FACE]
    if faces:
        collector.add_field_update(field, None, faces)
    if others:
        models.CASCADE(collector, field, others, using)


class Authenticator(Throttled):
    """A verification method of a user; device-bound ones point to their Device."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Reached through the user or the device, never by tenant alone; the user's index is the
    # composite one below (docs/benchmarks.md, "Indexes that lead the planner astray").
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="authenticators", db_index=False
    )
    user = models.ForeignKey(
        EndUser, on_delete=models.CASCADE, related_name="authenticators", db_index=False
    )
    verification_method = models.CharField(max_length=32, choices=VerificationMethod.choices)
    device = models.ForeignKey(
        Device,
        on_delete=_cascade_unless_face,
        null=True,
        blank=True,
        related_name="authenticators",
    )
    email = models.EmailField(blank=True)
    phone_number = models.CharField(max_length=32, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["user", "verification_method"])]

    def throttle_policy(self) -> LockoutPolicy:
        """First factors lock after the account-wide limit (their attempts are throttled per
        source before that); device-bound methods after the tenant's threshold."""
        policy = LockoutPolicy.of_tenant(self.tenant)
        if self.verification_method in FIRST_FACTOR_METHODS:
            return policy._replace(threshold=conf.DEVICES_FIRST_FACTOR_LOCKOUT_THRESHOLD)
        return policy

    def __str__(self) -> str:
        return f"{self.verification_method} of {self.user_id}"


class PushChannel(models.TextChoices):
    POLL = "POLL", "Poll only (the app asks)"
    WEB_PUSH = "WEB_PUSH", "Web Push (VAPID)"
    FCM = "FCM", "Firebase Cloud Messaging"
    APNS = "APNS", "Apple Push Notification service"


class PushRegistration(models.Model):
    """How to wake a device for a push challenge. The gateway registration (token or browser
    subscription) is stored sealed; a registration the gateway says is gone is disabled, and
    the device falls back to polling."""

    device = models.OneToOneField(
        Device, on_delete=models.CASCADE, primary_key=True, related_name="push_registration"
    )
    channel = models.CharField(max_length=16, choices=PushChannel.choices, default="POLL")
    sealed_registration = models.BinaryField(blank=True, default=b"")
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        state = f"disabled: {self.disabled_reason}" if self.disabled_at else "active"
        return f"{self.channel} for {self.device_id} ({state})"


# First factors: the secrets beside their authenticator. Born in the accounts app, they keep
# their accounts_* tables (devices/migrations/0006 takes them over in Django's state only).


class CodeChannel(models.TextChoices):
    EMAIL = "EMAIL", "E-mail"
    SMS = "SMS", "SMS"
    WHATSAPP = "WHATSAPP", "WhatsApp (through the SMS provider)"


class CodePurpose(models.TextChoices):
    SIGN_IN = "SIGN_IN", "Portal sign-in"
    REAUTH = "REAUTH", "Re-authentication before a sensitive change"
    CHALLENGE = "CHALLENGE", "A challenge the tenant's backend started (server API)"


class OneTimeCode(models.Model):
    """A code sent by e-mail or SMS (an e-mail one also carries a magic link).

    Only HMACs of the code and link are stored. Single use, expiry checked at use, and only the
    newest code of an authenticator and purpose is valid: a resend supersedes the older one.
    Failures count on the authenticator (e-mail or SMS), which a resend does not reset.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)
    user = models.ForeignKey(EndUser, on_delete=models.CASCADE, related_name="one_time_codes")
    authenticator = models.ForeignKey(
        Authenticator, on_delete=models.CASCADE, related_name="one_time_codes"
    )
    channel = models.CharField(max_length=8, choices=CodeChannel.choices)
    purpose = models.CharField(max_length=16, choices=CodePurpose.choices)
    attempt = models.CharField(
        max_length=32,
        blank=True,
        help_text="The sign-in this code was sent for: a new sign-in never replaces it.",
    )
    code_hash = models.CharField(max_length=64)
    link_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_onetimecode"
        indexes = [models.Index(fields=["authenticator", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} code for {self.user_id} ({self.purpose})"


class TotpKey(models.Model):
    """The secret of a TOTP authenticator, sealed with the tenant's data key."""

    authenticator = models.OneToOneField(
        Authenticator, on_delete=models.CASCADE, primary_key=True, related_name="totp_key"
    )
    sealed_secret = models.BinaryField()
    last_time_step = models.BigIntegerField(
        default=-1, help_text="The last accepted time step; a code is never accepted twice."
    )

    class Meta:
        db_table = "accounts_totpkey"

    def __str__(self) -> str:
        return f"TOTP key of {self.authenticator_id}"


class RecoveryCode(models.Model):
    """One of a user's recovery codes (≥ 80 bits); only its HMAC is stored."""

    authenticator = models.ForeignKey(
        Authenticator, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_recoverycode"
        indexes = [models.Index(fields=["authenticator", "code_hash"])]

    def __str__(self) -> str:
        return f"recovery code of {self.authenticator_id}"


class DeviceRequestPurpose(models.TextChoices):
    """What a device-signed request does; a nonce is issued for one purpose only."""

    DEVICE_REMOVE = "device.remove", "Unbind the device"
    PUSH_REGISTER = "push.register", "Change the push registration"
    PUSH_REMOVE = "push.remove", "Stop push challenges on the device"
    PUSH_POLL = "push.poll", "Fetch the pending push challenge"


class DeviceNonce(models.Model):
    """A single-use nonce issued to one device key for one purpose (``devices.proofs``).

    ``id`` carries 256 random bits. Spent by one conditional UPDATE, so exactly one request
    signed over it succeeds however many arrive at once.
    """

    id = models.CharField(primary_key=True, max_length=64, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    fingerprint = models.CharField(max_length=64)
    purpose = models.CharField(max_length=32, choices=DeviceRequestPurpose.choices)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} nonce {self.id[:8]}… ({'used' if self.used_at else 'unused'})"


class SpentSignature(models.Model):
    """A time-window removal signature already used: the official mobile SDKs sign a fixed
    message (the current ten-minute window) to remove a credential, so each such signature is
    accepted once (``devices.proofs.time_window_signature_spend``)."""

    digest = models.CharField(primary_key=True, max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"spent signature {self.digest[:12]}…"


class CodeChallenge(models.Model):
    """A challenge by e-mail, SMS or WhatsApp code that the tenant's backend started.

    ``id`` is the public ``challengeId``. The code itself is the ``OneTimeCode`` beside it
    (hashed, single use, expiry checked at use, failures counted on its authenticator);
    ``verified_at`` records the right code, ``claimed_at`` the one claim that turns the
    challenge into an action (its ``idempotency_key``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    user = models.ForeignKey(EndUser, on_delete=models.CASCADE, related_name="code_challenges")
    code = models.OneToOneField(OneTimeCode, on_delete=models.CASCADE, related_name="challenge")
    verification_method = models.CharField(max_length=32, choices=VerificationMethod.choices)
    channel = models.CharField(max_length=8, choices=CodeChannel.choices)
    action_code = models.CharField(max_length=100, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4)
    context = models.JSONField(
        default=dict, blank=True, help_text="Request context the backend sent with it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(
        default=0, help_text="Wrong answers; at the tenant's lockout threshold the code dies."
    )

    class Meta:
        indexes = [models.Index(fields=["tenant", "user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} challenge {self.id} ({'verified' if self.verified_at else 'open'})"


class PasskeyCredential(models.Model):
    """The WebAuthn credential of a PASSKEY authenticator (no Device: the key lives in the
    user's platform or password manager). Only public material is kept."""

    authenticator = models.OneToOneField(
        Authenticator, on_delete=models.CASCADE, primary_key=True, related_name="passkey"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    rp_id = models.CharField(
        max_length=253, help_text="The site it was made for (the tenant's, or the portal's)."
    )
    credential_id = models.CharField(max_length=1400, help_text="base64url, as browsers send it.")
    public_key = models.BinaryField(help_text="COSE public key.")
    user_handle = models.BinaryField(help_text="The opaque WebAuthn user.id of the user.")
    sign_count = models.BigIntegerField(default=0)
    aaguid = models.CharField(max_length=36, blank=True)
    attestation_format = models.CharField(max_length=32, blank=True)
    transports = models.JSONField(default=list, blank=True)
    backup_eligible = models.BooleanField(default=False)
    backed_up = models.BooleanField(default=False)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "credential_id"], name="uniq_passkey_credential_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return f"passkey {self.credential_id[:12]}… of {self.authenticator_id}"
