"""Writes for actions: track (deciding the outcome and starting a push challenge), the
per-action-code default, and housekeeping.

The rest of an action's life has its own module: ``actions.challenges`` (device challenges and
in-app verification), ``actions.outcomes`` (completing, updating and validating),
``actions.tokens`` (action tokens and their single use) and ``actions.push``. The statements of
the in-app flow (track, challenge, verify, validate) are plain SQL through
``recognize_project.sql``, a few per request; the rarer paths use the ORM.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import EndUser, Tenant
from accounts.services import user_get_or_create
from actions import selectors
from actions.models import (
    Action,
    ActionConfig,
    ActionState,
    Challenge,
    ConsumedToken,
)
from actions.push import push_challenge_create, push_limits_check
from actions.rules.selectors import rule_context, rules_decide
from actions.tokens import ADD_AUTHENTICATORS, token_issue
from devices import selectors as device_selectors
from devices.models import VerificationMethod
from devices.proofs import device_proofs_purge
from events.webhooks import webhook_emit, webhook_wanted
from recognize_project import sql
from recognize_project.errors import ApplicationError


@dataclass(frozen=True)
class TrackResult:
    action: Action
    token: str
    enrolled_methods: list[str]
    #: The methods a fired rule allows (None: any enrolled one).
    rule_methods: list[str] | None = None
    #: Under number matching, the number the sign-in page shows for the push challenge.
    push_verification_code: str = ""


def action_track(
    *, tenant: Tenant, user_id: str, action_code: str, attributes: dict[str, Any]
) -> TrackResult:
    """Record an attempt at ``action_code`` by ``user_id`` and decide its outcome.

    With an ``idempotency_key`` the tracker chose, tracking again returns the action already
    recorded under it (with a fresh token) instead of a second one; a key already used for
    another user or action code is refused (409).
    """
    key = attributes.get("idempotency_key")
    if key is not None:
        existing = _tracked_again(tenant, key, user_id=user_id, action_code=action_code)
        if existing is not None:
            return existing
        try:
            return _action_track(
                tenant=tenant, user_id=user_id, action_code=action_code, attributes=attributes
            )
        except IntegrityError:  # tracked concurrently under the same key
            existing = _tracked_again(tenant, key, user_id=user_id, action_code=action_code)
            if existing is None:
                raise
            return existing
    return _action_track(
        tenant=tenant, user_id=user_id, action_code=action_code, attributes=attributes
    )


def _tracked_again(
    tenant: Tenant, key: uuid.UUID, *, user_id: str, action_code: str
) -> TrackResult | None:
    """The result of tracking the action recorded under ``key`` once more, or None."""
    action = selectors.action_get(tenant=tenant, idempotency_key=str(key))
    if action is None:
        return None
    if action.user.external_id != user_id or action.action_code != action_code:
        raise ApplicationError(
            "idempotency_key_conflict",
            "This idempotencyKey was already used for another user or action.",
            status=409,
        )
    enrolled = device_selectors.enrolled_methods(user=action.user)
    token = token_issue(action=action, scopes=set(action.scope.split()))
    return TrackResult(action, token, enrolled)


def _action_track(
    *, tenant: Tenant, user_id: str, action_code: str, attributes: dict[str, Any]
) -> TrackResult:
    known = selectors.track_context_get(tenant=tenant, user_id=user_id, action_code=action_code)
    if known is not None:  # the action is the only write
        return _action_record(tenant=tenant, context=known, code=action_code, attributes=attributes)
    with transaction.atomic():
        user = user_get_or_create(
            tenant=tenant,
            external_id=user_id,
            email=attributes.get("email"),
            phone_number=attributes.get("phone_number"),
            username=attributes.get("username"),
            display_name=attributes.get("display_name"),
        )
        context = selectors.TrackContext(
            user,
            device_selectors.enrolled_methods(user=user),
            selectors.action_outcome(tenant=tenant, action_code=action_code),
        )
        return _action_record(
            tenant=tenant, context=context, code=action_code, attributes=attributes
        )


def _action_record(
    *, tenant: Tenant, context: selectors.TrackContext, code: str, attributes: dict[str, Any]
) -> TrackResult:
    outcome, source = context.outcome
    enrolled = context.enrolled_methods
    decision = rules_decide(
        tenant=tenant,
        action_code=code,
        context=rule_context(
            user=context.user,
            ip_address=attributes.get("ip_address"),
            user_agent=attributes.get("user_agent") or "",
            device_id=attributes.get("device_id") or "",
            custom=attributes.get("custom"),
        ),
    )
    rule_ids, allowed = [], None
    if decision is not None:
        outcome, source, rule_ids = decision.outcome, "rule", [decision.rule_id]
        allowed = list(decision.verification_methods) or None
    scopes = set(attributes.get("scope") or ())
    if not enrolled:
        scopes.add(ADD_AUTHENTICATORS)  # a first authenticator may be enrolled in the flow
    action = Action(
        tenant=tenant,
        user=context.user,
        action_code=code,
        state=outcome,
        output={"state": outcome, "source": source, "ruleIds": rule_ids},
        scope=" ".join(sorted(scopes)),
        ip_address=attributes.get("ip_address"),
        user_agent=(attributes.get("user_agent") or "")[:512],
        client_device_id=attributes.get("device_id") or "",
        redirect_url=attributes.get("redirect_url") or "",
        custom=attributes.get("custom") or {},
        locale=attributes.get("locale") or "",
        custom_domain=attributes.get("custom_domain") or "",
        challenge_id=attributes.get("challenge_id") or "",
    )
    if attributes.get("idempotency_key") is not None:
        action.idempotency_key = attributes["idempotency_key"]
    face_required = (
        allowed is not None
        and VerificationMethod.FACE in allowed
        and VerificationMethod.PUSH not in allowed
        and VerificationMethod.FACE in enrolled
    )
    pushes = (
        outcome == ActionState.CHALLENGE_REQUIRED
        and VerificationMethod.PUSH in enrolled
        and (allowed is None or VerificationMethod.PUSH in allowed or face_required)
    )
    announce = webhook_wanted(tenant=tenant, event_type="action.created")
    if not pushes and not announce:  # the action is the only write
        sql.insert(action, durable=False)  # a lost action only makes its token useless
        return TrackResult(action, token_issue(action=action, scopes=scopes), enrolled, allowed)
    with transaction.atomic():
        if pushes:
            push_limits_check(tenant=tenant, user=context.user)
        sql.insert(action)
        push = push_challenge_create(action=action, face_required=face_required) if pushes else None
        if announce:
            webhook_emit(
                tenant=tenant,
                event_type="action.created",
                data={
                    "userId": context.user.external_id,
                    "actionCode": code,
                    "idempotencyKey": str(action.idempotency_key),
                    "state": outcome,
                    "ruleIds": rule_ids,
                },
            )
    token = token_issue(action=action, scopes=scopes)
    code_shown = push.verification_code if push is not None else ""
    return TrackResult(action, token, enrolled, allowed, code_shown)


#: The action recorded when a signed-in portal user adds the browser they are using as a device.
PORTAL_ADD_DEVICE_ACTION_CODE = "portal:addDevice"


@dataclass(frozen=True)
class EnrollmentGrant:
    action: Action
    token: str


def portal_enrollment_grant(*, user: EndUser) -> EnrollmentGrant:
    """An ``add:authenticators`` token for ``user``, who has just proven who they are to the
    portal (signed in, recently re-authenticated): the action is recorded as allowed, and its
    token binds one device, once, within the tenant's token lifetime."""
    scopes = {ADD_AUTHENTICATORS}
    action = Action.objects.create(
        tenant=user.tenant,
        user=user,
        action_code=PORTAL_ADD_DEVICE_ACTION_CODE,
        state=ActionState.ALLOW,
        output={"state": ActionState.ALLOW, "source": "portal", "ruleIds": []},
        scope=" ".join(sorted(scopes)),
    )
    return EnrollmentGrant(action, token_issue(action=action, scopes=scopes))


def action_config_set(*, tenant: Tenant, action_code: str, outcome: str) -> ActionConfig:
    """Set the default outcome of ``action_code`` for ``tenant``."""
    config, _ = ActionConfig.objects.update_or_create(
        tenant=tenant, action_code=action_code, defaults={"default_outcome": outcome}
    )
    return config


def expired_purge() -> dict[str, int]:
    """Housekeeping: drop challenges, spent-token records and device nonces past their expiry.

    Expiry is always checked at use; this only keeps the tables small.
    """
    now = timezone.now()
    challenges, _ = Challenge.objects.filter(expires_at__lt=now).delete()
    tokens, _ = ConsumedToken.objects.filter(expires_at__lt=now).delete()
    return {"challenges": challenges, "consumed_tokens": tokens, **device_proofs_purge()}
