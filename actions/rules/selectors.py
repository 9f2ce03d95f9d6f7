"""Reads for adaptive rules, and ``rules_decide``: the one call tracking makes.

Tracking an action asks ``rules_decide`` on every request, so it costs no query in the common
case: the enabled rules of an action code are kept in process memory for
``ACTIONS_RULES_CACHE_SECONDS`` (see ``rules_for_action``), and the facts about the user that
cost a query are asked only when a condition of a rule needs them (``UserRuleFacts``).
"""

import logging
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import EndUser, Tenant
from actions import conf
from actions.models import Action, ActionState, Rule
from actions.rules.engine import (
    CompiledRule,
    RuleContext,
    RuleDecision,
    RuleInvalid,
    rule_compile,
    rules_evaluate,
)
from devices.models import Authenticator, Device, VerificationMethod

logger = logging.getLogger(__name__)

#: Entries kept at most; beyond that the cache starts over (action codes are the tenant's).
_CACHE_MAX_ENTRIES = 10_000
_cached_rules: dict[tuple[uuid.UUID, str], tuple[float, tuple[CompiledRule, ...]]] = {}


def rule_list(*, tenant: Tenant, action_code: str) -> QuerySet[Rule]:
    """The rules of ``tenant`` for ``action_code``, enabled or not, in the order they apply."""
    return Rule.objects.filter(tenant=tenant, action_code=action_code).order_by(
        "position", "created_at", "id"
    )


def rule_get(*, tenant: Tenant, action_code: str, rule_id: object) -> Rule | None:
    """The rule ``rule_id`` of ``tenant`` for ``action_code``, or None."""
    try:
        pk = uuid.UUID(str(rule_id))
    except ValueError:
        return None
    return Rule.objects.filter(tenant=tenant, action_code=action_code, pk=pk).first()


def _compiled(rows: list[tuple]) -> tuple[CompiledRule, ...]:
    compiled = []
    for rule_id, outcome, conditions, methods in rows:
        try:
            compiled.append(
                rule_compile(
                    rule_id=rule_id,
                    outcome=outcome,
                    conditions=conditions,
                    verification_methods=methods or (),
                )
            )
        except RuleInvalid as invalid:  # only by writing the table around the services
            logger.error("Skipping rule %s with invalid conditions: %s", rule_id, invalid)
    return tuple(compiled)


def rules_for_action(*, tenant: Tenant, action_code: str) -> tuple[CompiledRule, ...]:
    """The enabled rules of ``tenant`` for ``action_code``, compiled, in the order they apply.

    Answered from this process's memory for up to ``ACTIONS_RULES_CACHE_SECONDS`` (5 s by
    default), so tracking makes at most one query per action code and process in that time. A
    rule created, changed or deleted through ``actions.rules.services`` (the API, the admin)
    applies at once in the process that made the change and within that time in every other
    process; until then those may still decide by the old rules.
    """
    key = (tenant.pk, action_code)
    now = time.monotonic()
    cached = _cached_rules.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    rows = list(
        rule_list(tenant=tenant, action_code=action_code)
        .filter(enabled=True)
        .values_list("id", "outcome", "conditions", "verification_methods")
    )
    rules = _compiled(rows)
    if len(_cached_rules) >= _CACHE_MAX_ENTRIES:
        _cached_rules.clear()
    _cached_rules[key] = (now + conf.ACTIONS_RULES_CACHE_SECONDS, rules)
    return rules


def rules_cache_clear() -> None:
    """Forget every cached rule in this process (after a change to rules)."""
    _cached_rules.clear()


def rules_decide(*, tenant: Tenant, action_code: str, context: RuleContext) -> RuleDecision | None:
    """The decision of the first of ``tenant``'s rules for ``action_code`` that fires on
    ``context``; None when no rule fires, and the action code's default outcome applies.

    Call it before recording the tracked action, so the attempt being decided does not count
    as a sighting of its own device. Costs no query when the rules are cached and none of them
    needs a fact about the user; see ``rules_for_action`` for how stale the rules may be.
    """
    rules = rules_for_action(tenant=tenant, action_code=action_code)
    if not rules:
        return None
    return rules_evaluate(rules, context)


class UserRuleFacts:
    """The facts about a tracking user that rules may ask, each queried once and only when
    asked.

    - ``is_new_device``: true when the request carries no device id, or when no earlier action
      of the user carried this device id and it is not the ``deviceId`` of one of the user's
      bound devices.
    - ``failed_attempts(minutes)``: the user's actions that ended CHALLENGE_FAILED (the user
      denied a push, gave a wrong number-matching code, or the tenant's backend set that
      state) within the last ``minutes``, by when their state last changed. A wrong device
      signature leaves the action CHALLENGE_REQUIRED and counts instead toward the
      authenticator's lockout, which keeps no timestamps to count by.
    - ``has_face``: the user has a FACE authenticator.
    """

    def __init__(self, *, user: EndUser, device_id: str = "") -> None:
        self.user = user
        self.device_id = device_id
        self._new_device: bool | None = None
        self._has_face: bool | None = None
        self._failed: dict[int, int] = {}

    def is_new_device(self) -> bool:
        if self._new_device is None:
            self._new_device = not self.device_id or not self._device_seen()
        return self._new_device

    def _device_seen(self) -> bool:
        if Action.objects.filter(user=self.user, client_device_id=self.device_id).exists():
            return True
        try:
            device_pk = uuid.UUID(self.device_id)
        except ValueError:
            return False
        return Device.objects.filter(user=self.user, pk=device_pk).exists()

    def has_face(self) -> bool:
        if self._has_face is None:
            self._has_face = Authenticator.objects.filter(
                user=self.user, verification_method=VerificationMethod.FACE
            ).exists()
        return self._has_face

    def failed_attempts(self, *, minutes: int) -> int:
        if minutes not in self._failed:
            since = timezone.now() - timedelta(minutes=minutes)
            self._failed[minutes] = Action.objects.filter(
                tenant_id=self.user.tenant_id,
                user=self.user,
                state=ActionState.CHALLENGE_FAILED,
                state_updated_at__gte=since,
            ).count()
        return self._failed[minutes]


def rule_context(
    *,
    user: EndUser,
    ip_address: str | None = None,
    user_agent: str = "",
    device_id: str = "",
    custom: Mapping[str, Any] | None = None,
) -> RuleContext:
    """The context rules decide on for an attempt by ``user``, its facts asked lazily."""
    return RuleContext(
        facts=UserRuleFacts(user=user, device_id=device_id or ""),
        ip_address=ip_address or None,
        user_agent=user_agent or "",
        device_id=device_id or "",
        custom=custom or {},
    )
