"""The condition grammar of adaptive rules, its validation, and the evaluator.

A rule fires when all of its conditions hold; a rule without conditions always fires. The first
rule in order that fires decides the outcome (``rules_evaluate``). Everything here is pure
Python over plain values — the facts that need the database come through ``RuleFacts``, asked
only when a condition needs them — so the evaluator can be driven without a database.

Conditions are JSON objects with a ``type``; unknown types, ops or keys are refused:

``{"type": "new_device"}``
    The request's device id was never seen for this user. ``"value": false`` matches a known
    device instead (``value`` defaults to true). See ``RuleFacts.is_new_device``.
``{"type": "ip", "op": "in" | "not_in", "value": ["10.0.0.0/8", "2001:db8::/32", "203.0.113.7"]}``
    The request's IP address is (not) in one of the single addresses or CIDR networks, IPv4 or
    IPv6; an IPv4-mapped IPv6 address counts as its IPv4 address. A network must not have host
    bits set (``10.0.0.1/8`` is refused: write ``10.0.0.0/8``).
``{"type": "user_agent", "op": "contains", "value": "HeadlessChrome"}``
    The request's user agent ("" when none was sent); ops ``==``, ``!=``, ``contains``, ``in``,
    ``not_in``, case-sensitive.
``{"type": "custom", "field": "amount", "op": ">", "value": 1000}``
    A top-level key of the tracked ``custom`` data. Ops: ``==``, ``!=`` (a string, number or
    boolean); ``>``, ``>=``, ``<``, ``<=`` (a number, or a string compared as text); ``in``,
    ``not_in`` (a list of strings, numbers or booleans); ``contains`` (a substring of a string
    field, or an element of a list field); ``exists`` (``"value"`` true, the default, or false:
    the field is present and not null).
``{"type": "failed_attempts", "minutes": 15, "op": ">=", "value": 3}``
    The user's failed challenges in the last ``minutes`` (1 to 10080) compared, with ``==``,
    ``!=``, ``>``, ``>=``, ``<`` or ``<=``, to a whole number. See ``RuleFacts.failed_attempts``.
``{"type": "has_face", "value": true}``
    Whether the user has a FACE authenticator enrolled.

Types follow JSON: numbers compare as numbers (``1 == 1.0``), strings with strings, and a
boolean is not a number. A missing field, or a field whose type does not fit the value, makes
the condition false whatever the op — ``!=`` and ``not_in`` included — and never an error.

One module on purpose, though past 400 lines: the grammar, its validation and its evaluation
change together (a new condition type touches all three), and a tenth of it is the grammar's
documentation above.
"""

import ipaddress
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

#: At most this many conditions per rule, and this many entries in a condition's list.
MAX_CONDITIONS = 50
MAX_LIST_ITEMS = 1000
#: ``failed_attempts`` looks back at most a week.
MAX_MINUTES = 7 * 24 * 60
MAX_FIELD_LENGTH = 100
MAX_STRING_LENGTH = 1000

COMPARISONS = ("==", "!=", ">", ">=", "<", "<=")
_ORDERED = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
CUSTOM_OPS = (*COMPARISONS, "in", "not_in", "contains", "exists")
USER_AGENT_OPS = ("==", "!=", "contains", "in", "not_in")
IP_OPS = ("in", "not_in")

_MISSING = object()
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class RuleFacts(Protocol):
    """Facts about the tracking user that cost a query; asked only when a condition needs one."""

    def is_new_device(self) -> bool:
        """Whether the request's device was never seen for this user."""

    def has_face(self) -> bool:
        """Whether the user has a FACE authenticator."""

    def failed_attempts(self, *, minutes: int) -> int:
        """How many challenges of the user failed in the last ``minutes``."""


@dataclass(frozen=True)
class RuleContext:
    """What tracking knows about the attempt: the request's attributes and the user's facts."""

    facts: RuleFacts
    ip_address: str | None = None
    user_agent: str = ""
    device_id: str = ""
    custom: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RuleDecision:
    """The outcome a fired rule decided, which rule it was, and (for CHALLENGE_REQUIRED) the
    verification methods it allows — empty means any the user has."""

    outcome: str
    rule_id: str
    verification_methods: tuple[str, ...] = ()


class RuleInvalid(ValueError):
    """Conditions that do not follow the grammar; each problem names the condition's index."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Problem(ValueError):
    """What is wrong with one condition (``conditions_parse`` adds its index)."""


# Values and comparisons


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _scalar_kind(value: object) -> str | None:
    kind = _json_type(value)
    return kind if kind in ("boolean", "number", "string") else None


def _same(left: object, right: object) -> bool:
    kind = _scalar_kind(left)
    return kind is not None and kind == _scalar_kind(right) and left == right


def _test(op: str, left: object, right: Any) -> bool:
    """``left op right`` under the grammar's typing; ``left`` is ``_MISSING`` when absent."""
    if op == "exists":
        return (left is not _MISSING and left is not None) == right
    if left is _MISSING:
        return False
    if op == "contains":
        if isinstance(left, str):
            return isinstance(right, str) and right in left
        if isinstance(left, list | tuple):
            return any(_same(item, right) for item in left)
        return False
    if op in ("in", "not_in"):
        if _scalar_kind(left) is None:
            return False
        return any(_same(left, item) for item in right) == (op == "in")
    kind = _scalar_kind(left)
    if kind is None or kind != _scalar_kind(right):
        return False
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if kind == "boolean":
        return False
    return _ORDERED[op](left, right)


def _address(value: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


# Conditions, cheapest first: a rule asks a fact only after its free conditions held.


@dataclass(frozen=True)
class CustomField:
    field: str
    op: str
    value: Any
    cost = 0

    def holds(self, context: RuleContext) -> bool:
        custom = context.custom
        left = custom.get(self.field, _MISSING) if isinstance(custom, Mapping) else _MISSING
        return _test(self.op, left, self.value)


@dataclass(frozen=True)
class UserAgent:
    op: str
    value: Any
    cost = 0

    def holds(self, context: RuleContext) -> bool:
        agent = context.user_agent if isinstance(context.user_agent, str) else _MISSING
        return _test(self.op, agent, self.value)


@dataclass(frozen=True)
class IpAddress:
    networks: tuple[Network, ...]
    inside: bool
    cost = 0

    def holds(self, context: RuleContext) -> bool:
        address = _address(context.ip_address)
        if address is None:
            return False
        return any(address in network for network in self.networks) == self.inside


@dataclass(frozen=True)
class NewDevice:
    expected: bool
    cost = 1

    def holds(self, context: RuleContext) -> bool:
        return context.facts.is_new_device() == self.expected


@dataclass(frozen=True)
class HasFace:
    expected: bool
    cost = 1

    def holds(self, context: RuleContext) -> bool:
        return context.facts.has_face() == self.expected


@dataclass(frozen=True)
class FailedAttempts:
    minutes: int
    op: str
    value: int
    cost = 1

    def holds(self, context: RuleContext) -> bool:
        return _test(self.op, context.facts.failed_attempts(minutes=self.minutes), self.value)


Condition = CustomField | UserAgent | IpAddress | NewDevice | HasFace | FailedAttempts


@dataclass(frozen=True)
class CompiledRule:
    """An enabled rule ready to evaluate: its conditions parsed, cheapest first."""

    id: str
    outcome: str
    conditions: tuple[Condition, ...] = ()
    verification_methods: tuple[str, ...] = ()

    def fires(self, context: RuleContext) -> bool:
        """Whether every condition holds (true for a rule without conditions)."""
        return all(condition.holds(context) for condition in self.conditions)


def rule_compile(
    *, rule_id: str, outcome: str, conditions: object, verification_methods: Iterable[str] = ()
) -> CompiledRule:
    """A rule ready for ``rules_evaluate``; raises ``RuleInvalid`` for bad conditions."""
    parsed = sorted(conditions_parse(conditions), key=lambda condition: condition.cost)
    return CompiledRule(str(rule_id), str(outcome), tuple(parsed), tuple(verification_methods))


def rules_evaluate(rules: Iterable[CompiledRule], context: RuleContext) -> RuleDecision | None:
    """The decision of the first rule that fires, in order; None when none does."""
    for rule in rules:
        if rule.fires(context):
            return RuleDecision(rule.outcome, rule.id, rule.verification_methods)
    return None


# Parsing: the grammar, with a message per problem.


def conditions_parse(raw: object) -> tuple[Condition, ...]:
    """Parse a rule's JSON conditions; raises ``RuleInvalid`` naming each bad one by index."""
    if not isinstance(raw, list | tuple):
        raise RuleInvalid([f"conditions must be a list of objects, not {_json_type(raw)}"])
    if len(raw) > MAX_CONDITIONS:
        raise RuleInvalid([f"conditions: a rule has at most {MAX_CONDITIONS}"])
    parsed, problems = [], []
    for index, item in enumerate(raw):
        try:
            parsed.append(_condition_parse(item))
        except _Problem as problem:
            problems.append(f"conditions[{index}]: {problem}")
    if problems:
        raise RuleInvalid(problems)
    return tuple(parsed)


def _condition_parse(item: object) -> Condition:
    if not isinstance(item, Mapping):
        raise _Problem(f"must be an object with a type, not {_json_type(item)}")
    kind = item.get("type")
    grammar = _GRAMMAR.get(kind) if isinstance(kind, str) else None
    if grammar is None:
        raise _Problem(f"unknown type {kind!r}; expected one of {', '.join(_GRAMMAR)}")
    keys, parse = grammar
    unknown = sorted(str(key) for key in item if key not in keys and key != "type")
    if unknown:
        raise _Problem(f"unknown key(s) {', '.join(unknown)} for type {kind}")
    return parse(item)


def _required(item: Mapping, key: str) -> Any:
    if key not in item:
        raise _Problem(f"{item['type']} needs {key!r}")
    return item[key]


def _op(item: Mapping, ops: tuple[str, ...]) -> str:
    op = _required(item, "op")
    if op not in ops:
        raise _Problem(f"unknown op {op!r} for {item['type']}; expected one of {', '.join(ops)}")
    return op


def _flag(item: Mapping, *, default: bool | None = None) -> bool:
    value = item.get("value", default) if default is not None else _required(item, "value")
    if not isinstance(value, bool):
        raise _Problem(f"{item['type']} value must be true or false, not {_json_type(value)}")
    return value


def _scalar(item: Mapping, value: object, kinds: tuple[str, ...]) -> Any:
    kind = _scalar_kind(value)
    if kind not in kinds:
        raise _Problem(
            f"{item['type']} op {item['op']!r} needs {' or '.join(kinds)} as value,"
            f" not {_json_type(value)}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise _Problem(f"{item['type']} value must be a finite number")
    if kind == "string" and len(value) > MAX_STRING_LENGTH:
        raise _Problem(f"{item['type']} value is longer than {MAX_STRING_LENGTH} characters")
    return value


def _scalar_list(item: Mapping, kinds: tuple[str, ...]) -> tuple[Any, ...]:
    value = _required(item, "value")
    if not isinstance(value, list | tuple) or not value:
        raise _Problem(f"{item['type']} op {item['op']!r} needs a non-empty list as value")
    if len(value) > MAX_LIST_ITEMS:
        raise _Problem(f"{item['type']} value has more than {MAX_LIST_ITEMS} entries")
    for position, entry in enumerate(value):
        try:
            _scalar(item, entry, kinds)
        except _Problem as problem:
            raise _Problem(f"value[{position}]: {problem}") from None
    return tuple(value)


_SCALARS = ("string", "number", "boolean")


def _custom_value(item: Mapping, op: str) -> Any:
    if op == "exists":
        return _flag(item, default=True)
    if op in ("in", "not_in"):
        return _scalar_list(item, _SCALARS)
    kinds = ("number", "string") if op in _ORDERED else _SCALARS
    return _scalar(item, _required(item, "value"), kinds)


def _parse_custom(item: Mapping) -> CustomField:
    field = _required(item, "field")
    if not isinstance(field, str) or not field or len(field) > MAX_FIELD_LENGTH:
        raise _Problem(f"custom field must be a name of 1 to {MAX_FIELD_LENGTH} characters")
    op = _op(item, CUSTOM_OPS)
    return CustomField(field, op, _custom_value(item, op))


def _parse_user_agent(item: Mapping) -> UserAgent:
    op = _op(item, USER_AGENT_OPS)
    if op in ("in", "not_in"):
        return UserAgent(op, _scalar_list(item, ("string",)))
    return UserAgent(op, _scalar(item, _required(item, "value"), ("string",)))


def _network(entry: object) -> Network:
    if not isinstance(entry, str):
        raise _Problem(f"an address or CIDR network must be a string, not {_json_type(entry)}")
    try:
        return ipaddress.ip_network(entry.strip())
    except ValueError as error:
        if "host bits set" in str(error):
            fixed = ipaddress.ip_network(entry.strip(), strict=False)
            raise _Problem(f"{entry!r} has host bits set; did you mean {fixed}?") from None
        raise _Problem(f"{entry!r} is not an IP address or CIDR network") from None


def _parse_ip(item: Mapping) -> IpAddress:
    op = _op(item, IP_OPS)
    value = _required(item, "value")
    if not isinstance(value, list | tuple) or not value:
        raise _Problem("ip needs a non-empty list of addresses or CIDR networks as value")
    if len(value) > MAX_LIST_ITEMS:
        raise _Problem(f"ip value has more than {MAX_LIST_ITEMS} entries")
    networks = []
    for position, entry in enumerate(value):
        try:
            networks.append(_network(entry))
        except _Problem as problem:
            raise _Problem(f"value[{position}]: {problem}") from None
    return IpAddress(tuple(networks), op == "in")


def _parse_failed_attempts(item: Mapping) -> FailedAttempts:
    minutes = _required(item, "minutes")
    if (
        _json_type(minutes) != "number"
        or minutes != int(minutes)
        or not 1 <= minutes <= MAX_MINUTES
    ):
        raise _Problem(f"failed_attempts minutes must be a whole number from 1 to {MAX_MINUTES}")
    op = _op(item, COMPARISONS)
    value = _required(item, "value")
    if not _is_whole(value) or value < 0:
        raise _Problem("failed_attempts value must be a whole number, 0 or more")
    return FailedAttempts(minutes, op, value)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_GRAMMAR: dict[str, tuple[frozenset[str], Callable[[Mapping], Condition]]] = {
    "new_device": (frozenset({"value"}), lambda item: NewDevice(_flag(item, default=True))),
    "ip": (frozenset({"op", "value"}), _parse_ip),
    "user_agent": (frozenset({"op", "value"}), _parse_user_agent),
    "custom": (frozenset({"field", "op", "value"}), _parse_custom),
    "failed_attempts": (frozenset({"minutes", "op", "value"}), _parse_failed_attempts),
    "has_face": (frozenset({"value"}), lambda item: HasFace(_flag(item))),
}
