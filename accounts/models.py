"""Tenants (the companies running Recognize beside their product), their keys and users."""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.validators import origins_validate


class FirstFactor(models.TextChoices):
    """Ways a user proves who they are in the portal and before a recovery."""

    EMAIL_MAGIC_LINK = "EMAIL_MAGIC_LINK", "E-mail magic link"
    EMAIL_OTP = "EMAIL_OTP", "E-mail code"
    SMS_OTP = "SMS_OTP", "SMS code"
    TOTP = "TOTP", "Authenticator app (TOTP)"
    RECOVERY_CODE = "RECOVERY_CODE", "Recovery code"


class PortalSignIn(models.TextChoices):
    """What signs a user in to the portal."""

    CODE_THEN_APP = (
        "CODE_THEN_APP",
        "A code or link sent to the user, then their authenticator app if they set one up"
        " (a recovery code may stand in for the app)",
    )
    CODE_OR_APP = (
        "CODE_OR_APP",
        "As above, or the authenticator app or a recovery code alone: one factor, not recommended",
    )


def all_first_factors() -> list[str]:
    """Default of ``Tenant.first_factors``: every factor."""
    return list(FirstFactor.values)


class LivenessLevel(models.TextChoices):
    """How much presentation-attack detection a tenant's face authentications get."""

    OFF = "OFF", "Off: the face match alone"
    PASSIVE = "PASSIVE", "Passive: replay check, and liveness models on uploaded photos"


class Tenant(models.Model):
    """A company using Recognize. ``id`` is the public tenant id that SDKs send."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    token_ttl_seconds = models.PositiveIntegerField(
        default=600,
        validators=[MinValueValidator(30), MaxValueValidator(600)],
        help_text="Lifetime of action tokens, at most 10 minutes.",
    )
    lockout_threshold = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1)],
        help_text="Consecutive failures of an authenticator before it is locked.",
    )
    lockout_seconds = models.PositiveIntegerField(
        default=600,
        validators=[MinValueValidator(1)],
        help_text="First lockout length; each further lockout doubles it.",
    )
    face_match_threshold = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-1.0), MaxValueValidator(1.0)],
        help_text="Cosine similarity a face must reach; empty means the evaluated default.",
    )
    liveness_level = models.CharField(
        max_length=16,
        choices=LivenessLevel.choices,
        default=LivenessLevel.PASSIVE,
        help_text=(
            "PASSIVE refuses replays of a capture and runs passive liveness models on uploads; "
            "they stop few printed or on-screen photos (docs/face-evaluation.md)."
        ),
    )
    push_max_pending = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1)],
        help_text="Unanswered push challenges a user may have at once (push bombing limit).",
    )
    push_max_per_hour = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(1)],
        help_text="Push challenges a user may be sent per hour.",
    )
    push_number_matching = models.BooleanField(
        default=True,
        help_text="The sign-in page shows a number the user must enter in the app to approve.",
    )
    first_factors = models.JSONField(
        default=all_first_factors,
        blank=True,
        help_text="First factors users may sign in to the portal and start a recovery with.",
    )
    phone_region = models.CharField(
        max_length=2,
        blank=True,
        help_text="Two-letter region (ISO 3166) of phone numbers typed without a country code;"
        " empty means RECOGNIZE_DEFAULT_PHONE_REGION.",
    )
    portal_sign_in = models.CharField(
        max_length=16,
        choices=PortalSignIn.choices,
        default=PortalSignIn.CODE_THEN_APP,
        help_text="Whether the authenticator app (or a recovery code) may sign a user in alone.",
    )
    allowed_origins = models.JSONField(
        default=list,
        blank=True,
        validators=[origins_validate],
        help_text="Web origins (scheme://host[:port]) of the tenant's site: browsers there may "
        "call the client API (CORS) and use passkeys.",
    )
    passkey_rp_id = models.CharField(
        max_length=253,
        blank=True,
        help_text="WebAuthn relying party id of passkeys, the site's domain (e.g. example.com); "
        "empty means the host of the first allowed origin.",
    )
    passkey_user_verification = models.CharField(
        max_length=16,
        choices=[("required", "Required"), ("preferred", "Preferred")],
        default="required",
        help_text="Required: a passkey counts only when the user unlocked it (PIN, biometric).",
    )
    passkey_attestation = models.CharField(
        max_length=16,
        choices=[("none", "None"), ("direct", "Direct")],
        default="none",
        help_text="Attestation asked of new passkeys; a direct statement is verified.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class SecretKey(models.Model):
    """A tenant's server API key, shown once. Requests are authenticated by its SHA-256
    (``key_hash``); the key itself is kept only sealed (AES-GCM under the tenant's data key,
    ``accounts.encryption``), to sign webhooks as Authsignal's SDKs verify them. Keys created
    before sealing existed have no ``sealed_secret`` (the hash cannot give the key back):
    rotate them to sign webhooks with the API key."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="secret_keys")
    prefix = models.CharField(max_length=16, help_text="The first characters, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    sealed_secret = models.BinaryField(blank=True, default=b"", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.prefix}… ({state})"


class EndUser(models.Model):
    """A tenant's user, identified by the tenant's own ``userId``."""

    # No index of its own: uniq_user_per_tenant leads with tenant_id (docs/benchmarks.md,
    # "Indexes that lead the planner astray").
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="users", db_index=False
    )
    external_id = models.CharField(max_length=255, verbose_name="user id")
    email = models.EmailField(blank=True)
    email_verified = models.BooleanField(
        default=False, help_text="The tenant says it verified the e-mail address."
    )
    phone_number = models.CharField(
        max_length=32, blank=True, help_text="As the tenant gave it (returned as given)."
    )
    phone_number_e164 = models.CharField(
        max_length=16,
        blank=True,
        db_index=True,
        editable=False,
        help_text="The same number in E.164: what codes are sent to and numbers are matched by.",
    )
    phone_number_verified = models.BooleanField(
        default=False, help_text="The tenant says it verified the phone number."
    )
    username = models.CharField(max_length=255, blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    locale = models.CharField(max_length=35, blank=True, help_text="BCP 47, e.g. en-NZ.")
    custom = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], name="uniq_user_per_tenant")
        ]
        verbose_name = "end user"

    def __str__(self) -> str:
        return self.external_id


class DataKey(models.Model):
    """A tenant's data-encryption key (AES-256-GCM), stored wrapped by the master key.

    The newest unretired key seals new data; retired keys still open what they sealed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="data_keys")
    wrapped_key = models.BinaryField()
    master_key_id = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"data key {self.id} of {self.tenant_id}"
