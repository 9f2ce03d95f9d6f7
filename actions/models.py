"""Tracked actions, per-action-code configuration and rules, challenges and consumed one-time
tokens."""

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from accounts.models import EndUser, Tenant
from actions.rules.engine import RuleInvalid, conditions_parse
from devices.models import Device, VerificationMethod
from recognize_project.fields import ACTION_CODE_PATTERN


class ActionState(models.TextChoices):
    ALLOW = "ALLOW"
    BLOCK = "BLOCK"
    CHALLENGE_REQUIRED = "CHALLENGE_REQUIRED"
    CHALLENGE_SUCCEEDED = "CHALLENGE_SUCCEEDED"
    CHALLENGE_FAILED = "CHALLENGE_FAILED"
    REVIEW_REQUIRED = "REVIEW_REQUIRED"
    REVIEW_SUCCEEDED = "REVIEW_SUCCEEDED"
    REVIEW_FAILED = "REVIEW_FAILED"


class Outcome(models.TextChoices):
    """What tracking an action decides before any challenge."""

    ALLOW = "ALLOW"
    CHALLENGE_REQUIRED = "CHALLENGE_REQUIRED"
    REVIEW_REQUIRED = "REVIEW_REQUIRED"
    BLOCK = "BLOCK"


SUCCEEDED_STATES = frozenset({ActionState.CHALLENGE_SUCCEEDED, ActionState.REVIEW_SUCCEEDED})


class ActionConfig(models.Model):
    """A tenant's default outcome for one action code (the rules engine builds on this)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="action_configs")
    action_code = models.CharField(max_length=100)
    default_outcome = models.CharField(
        max_length=32, choices=Outcome.choices, default=Outcome.CHALLENGE_REQUIRED
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "action_code"], name="uniq_action_config")
        ]
        verbose_name = "action configuration"

    def __str__(self) -> str:
        return f"{self.action_code} → {self.default_outcome}"


class Action(models.Model):
    """One tracked attempt at a sensitive action by a user."""

    # No index of its own: both indexes below lead with tenant_id (docs/benchmarks.md,
    # "Indexes that lead the planner astray").
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="actions", db_index=False
    )
    user = models.ForeignKey(EndUser, on_delete=models.CASCADE, related_name="actions")
    action_code = models.CharField(max_length=100)
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False)
    state = models.CharField(max_length=32, choices=ActionState.choices)
    output = models.JSONField(default=dict, blank=True)
    scope = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    client_device_id = models.CharField(max_length=255, blank=True)
    redirect_url = models.URLField(max_length=2000, blank=True)
    custom = models.JSONField(default=dict, blank=True)
    locale = models.CharField(max_length=35, blank=True)
    custom_domain = models.CharField(max_length=255, blank=True)
    challenge_id = models.CharField(
        max_length=64, blank=True, help_text="A server-initiated challenge the tracker named."
    )
    verification_method = models.CharField(
        max_length=32, choices=VerificationMethod.choices, blank=True
    )
    verified_device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    device_bound = models.BooleanField(
        default=False, help_text="The success was proven by a device that must still exist."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state_updated_at = models.DateTimeField(auto_now_add=True)
    validated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="uniq_action_idempotency_key"
            )
        ]
        indexes = [models.Index(fields=["tenant", "state", "created_at"])]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action_code} {self.idempotency_key} {self.state}"


class Challenge(models.Model):
    """A single-use server nonce a device signs; ``id`` carries 256 random bits."""

    id = models.CharField(primary_key=True, max_length=64, editable=False)
    # Challenges are found by id and purged soon after they expire: an index on the tenant
    # would only tempt the planner (docs/benchmarks.md, "Indexes that lead the planner astray").
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, null=True, blank=True, related_name="challenges"
    )
    action_code = models.CharField(max_length=100, blank=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"challenge {self.id[:8]}… ({'used' if self.used_at else 'unused'})"


class ConsumedToken(models.Model):
    """The id of a single-use token that was spent; the primary key makes spending atomic."""

    jti = models.CharField(primary_key=True, max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"consumed token {self.jti}"


class Rule(models.Model):
    """An adaptive rule of a tenant for one action code: when all its conditions hold, it
    decides the tracked action's outcome instead of the action code's default.

    Rules of an action code apply in order of ``position`` (then age); the first enabled one
    that fires wins. ``conditions`` follow the grammar in ``actions.rules.engine``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="rules")
    action_code = models.CharField(max_length=100, validators=[RegexValidator(ACTION_CODE_PATTERN)])
    position = models.PositiveIntegerField(
        default=0, help_text="Rules apply in increasing position; ties by age."
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=2000)
    conditions = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            'All must hold; none means always. E.g. [{"type": "custom", "field": "amount",'
            ' "op": ">", "value": 1000}, {"type": "new_device"}].'
        ),
    )
    outcome = models.CharField(max_length=32, choices=Outcome.choices)
    verification_methods = models.JSONField(
        default=list,
        blank=True,
        help_text="For CHALLENGE_REQUIRED: the methods allowed; none means any enrolled.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "action_code", "position", "created_at"]
        indexes = [models.Index(fields=["tenant", "action_code", "position"])]

    def __str__(self) -> str:
        return f"{self.action_code} #{self.position} {self.name} → {self.outcome}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            conditions_parse(self.conditions)
        except RuleInvalid as invalid:
            errors["conditions"] = invalid.problems
        problem = verification_methods_problem(self.outcome, self.verification_methods)
        if problem:
            errors["verification_methods"] = [problem]
        if errors:
            raise ValidationError(errors)


def verification_methods_problem(outcome: str, methods: object) -> str | None:
    """What is wrong with a rule's verification methods for its outcome, or None."""
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        return "verification methods must be a list of method names"
    unknown = [m for m in methods if m not in VerificationMethod.values]
    if unknown:
        return (
            f"unknown verification method(s) {', '.join(unknown)};"
            f" expected any of {', '.join(VerificationMethod.values)}"
        )
    if len(set(methods)) != len(methods):
        return "verification methods are listed more than once"
    if methods and outcome != Outcome.CHALLENGE_REQUIRED:
        return f"verification methods apply only to CHALLENGE_REQUIRED, not {outcome}"
    return None


class PushChallenge(models.Model):
    """A request to approve an action, sent to the user's push-capable app installs.

    One per action. Answered once (a conditional UPDATE on ``answered_at``), with the expiry
    checked at use. With number matching the page that tracked the action shows
    ``verification_code`` and the app must send it back; the app is never told it.
    Doubles as the outbox row of its delivery: ``delivered_at`` stays empty until a gateway took
    it, and the sweep re-queues what no task is carrying.
    """

    id = models.CharField(primary_key=True, max_length=64, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(EndUser, on_delete=models.CASCADE, related_name="push_challenges")
    action = models.OneToOneField(Action, on_delete=models.CASCADE, related_name="push_challenge")
    verification_code = models.CharField(max_length=4, blank=True)
    face_required = models.BooleanField(
        default=False, help_text="A rule asks for the face: approving means a face match."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True)
    answered_by = models.ForeignKey(Device, on_delete=models.SET_NULL, null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["delivered_at", "expires_at"]),
        ]

    def __str__(self) -> str:
        if self.answered_at is None:
            return f"push {self.id[:8]}… (pending)"
        return f"push {self.id[:8]}… ({'approved' if self.approved else 'denied'})"


class UserSession(models.Model):
    """A session the tenant's backend created from a successful action (``createSession``).

    Its access tokens are ES256 JWTs naming it (``sid``); validating one reads this row, so
    revoking (``revoked_at``) takes effect at once. Its refresh tokens form one family: each is
    used once, and a second use of any revokes the session.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    user = models.ForeignKey(EndUser, on_delete=models.CASCADE, related_name="sessions")
    client_id = models.CharField(max_length=200)
    action = models.ForeignKey(
        Action, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verification_method = models.CharField(
        max_length=32, choices=VerificationMethod.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(help_text="No refresh keeps the session beyond this.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"session {self.id} ({'revoked' if self.revoked_at else 'active'})"


class RefreshToken(models.Model):
    """One refresh token of a session; only its SHA-256 is stored. Spent by one conditional
    UPDATE of ``used_at``."""

    token_hash = models.CharField(primary_key=True, max_length=64)
    session = models.ForeignKey(UserSession, on_delete=models.CASCADE, related_name="refresh")
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token of {self.session_id} ({'used' if self.used_at else 'unused'})"
