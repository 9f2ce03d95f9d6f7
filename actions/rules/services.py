"""Writes for adaptive rules: every rule is validated before it is saved, and a change applies
at once in this process (other processes follow within ``ACTIONS_RULES_CACHE_SECONDS``)."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from accounts.models import Tenant
from actions.models import Rule
from actions.rules.selectors import rules_cache_clear
from recognize_project.errors import ApplicationError

#: Fields a rule's owner may change, by model field name.
RULE_FIELDS = frozenset(
    {"name", "description", "conditions", "outcome", "verification_methods", "enabled", "position"}
)


_API_NAMES = {"verification_methods": "verificationMethods", "action_code": "actionCode"}


def _problems(error: ValidationError) -> str:
    """The model's validation errors as one line, each naming its field (in the API's
    spelling) and, for conditions, the index of the bad one."""
    lines = []
    for field, messages in error.message_dict.items():
        name = _API_NAMES.get(field, field)
        for message in messages:
            named = field == "__all__" or message.startswith(name)
            lines.append(message if named else f"{name}: {message}")
    return "; ".join(lines)


def rule_validate(*, rule: Rule) -> None:
    """Check ``rule`` as the admin does; raises ``invalid_rule`` (400) naming each problem."""
    try:
        rule.full_clean()
    except ValidationError as error:
        raise ApplicationError("invalid_rule", _problems(error)) from None


def rule_save(*, rule: Rule) -> Rule:
    """Save a validated ``rule`` and apply it to the next decisions of this process."""
    rule.save()
    _forget_cached_rules()
    return rule


def rule_create(
    *,
    tenant: Tenant,
    action_code: str,
    name: str,
    outcome: str,
    conditions: list | None = None,
    verification_methods: Iterable[str] = (),
    description: str = "",
    enabled: bool = True,
    position: int | None = None,
) -> Rule:
    """A new rule of ``tenant`` for ``action_code``, last in order unless ``position`` says."""
    if position is None:
        last = Rule.objects.filter(tenant=tenant, action_code=action_code).aggregate(
            last=Max("position")
        )["last"]
        position = 0 if last is None else last + 1
    rule = Rule(
        tenant=tenant,
        action_code=action_code,
        name=name,
        description=description,
        conditions=[] if conditions is None else conditions,
        outcome=outcome,
        verification_methods=list(verification_methods),
        enabled=enabled,
        position=position,
    )
    rule_validate(rule=rule)
    return rule_save(rule=rule)


def rule_update(*, rule: Rule, data: dict[str, Any]) -> Rule:
    """Change the given fields of ``rule`` (model field names); the result must be valid as a
    whole, so an outcome and its verification methods may change together."""
    unknown = set(data) - RULE_FIELDS
    if unknown:
        raise ApplicationError("invalid_rule", f"Unknown field(s): {', '.join(sorted(unknown))}.")
    for field, value in data.items():
        setattr(rule, field, value)
    rule_validate(rule=rule)
    return rule_save(rule=rule)


def rule_delete(*, rule: Rule) -> None:
    """Delete ``rule``; it stops deciding at once in this process."""
    rule.delete()
    _forget_cached_rules()


def _forget_cached_rules() -> None:
    """Now, and again once the change is committed: a decision in between may have cached the
    rules as other connections still see them."""
    rules_cache_clear()
    transaction.on_commit(rules_cache_clear)
