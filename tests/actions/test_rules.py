"""Adaptive rules: the Server API and the admin, validation, the facts rules ask, and
property-based tests of the evaluator (pure: no database)."""

import base64
import ipaddress
import json
import operator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.services import user_get_or_create
from actions.models import Action, ActionState, Rule
from actions.rules import selectors, services
from actions.rules.engine import (
    COMPARISONS,
    CUSTOM_OPS,
    USER_AGENT_OPS,
    RuleContext,
    RuleDecision,
    RuleInvalid,
    conditions_parse,
    rule_compile,
    rules_evaluate,
)
from devices.models import Authenticator, Device, DeviceType, VerificationMethod

# Server API


def _auth(tenant_context) -> dict:
    basic = base64.b64encode(f"{tenant_context.secret}:".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {basic}"}


class RulesApi:
    """``/v1/actions/{actionCode}/rules`` as one tenant's backend calls it."""

    def __init__(self, client, tenant_context, action_code: str = "pay") -> None:
        self.client, self.auth = client, _auth(tenant_context)
        self.base = f"/v1/actions/{action_code}/rules"

    def _send(self, method: str, path: str, body: dict | None = None):
        kwargs = {"content_type": "application/json", **self.auth}
        if body is not None:
            kwargs["data"] = json.dumps(body)
        return getattr(self.client, method)(path, **kwargs)

    def list(self):
        return self._send("get", self.base)

    def create(self, **body):
        return self._send("post", self.base, body)

    def get(self, rule_id: str):
        return self._send("get", f"{self.base}/{rule_id}")

    def update(self, rule_id: str, **body):
        return self._send("patch", f"{self.base}/{rule_id}", body)

    def delete(self, rule_id: str):
        return self._send("delete", f"{self.base}/{rule_id}")


@pytest.fixture
def api(client, acme):
    return RulesApi(client, acme)


BIG_PAYMENT = {"type": "custom", "field": "amount", "op": ">", "value": 1000}


def _error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["errorCode"] == code
    return body["errorDescription"]


def test_create_list_get_update_delete(api):
    created = api.create(
        name="Big payments need a face",
        conditions=[BIG_PAYMENT],
        outcome="CHALLENGE_REQUIRED",
        verificationMethods=["FACE"],
    )
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["actionCode"] == "pay"
    assert rule["conditions"] == [BIG_PAYMENT]
    assert rule["verificationMethods"] == ["FACE"]
    assert rule["enabled"] is True
    assert rule["position"] == 0
    second = api.create(name="Block Tor", outcome="BLOCK").json()
    assert second["position"] == 1
    assert [r["ruleId"] for r in api.list().json()] == [rule["ruleId"], second["ruleId"]]

    assert api.get(rule["ruleId"]).json() == rule
    updated = api.update(rule["ruleId"], outcome="REVIEW_REQUIRED", verificationMethods=[])
    assert updated.status_code == 200, updated.content
    assert updated.json()["outcome"] == "REVIEW_REQUIRED"
    moved = api.update(rule["ruleId"], position=5, enabled=False).json()
    assert (moved["position"], moved["enabled"]) == (5, False)
    assert [r["ruleId"] for r in api.list().json()] == [second["ruleId"], rule["ruleId"]]

    assert api.delete(rule["ruleId"]).json() == {"success": True}
    _error(api.get(rule["ruleId"]), 404, "rule_not_found")
    assert [r["ruleId"] for r in api.list().json()] == [second["ruleId"]]


def test_rules_belong_to_their_action_code(api, client, acme):
    rule = api.create(name="r", outcome="ALLOW").json()
    other_code = RulesApi(client, acme, action_code="signIn")
    assert other_code.list().json() == []
    _error(other_code.get(rule["ruleId"]), 404, "rule_not_found")


def test_another_tenants_rule_is_not_found(api, client, globex):
    rule = api.create(name="r", outcome="BLOCK").json()
    theirs = RulesApi(client, globex)
    assert theirs.list().json() == []
    _error(theirs.get(rule["ruleId"]), 404, "rule_not_found")
    _error(theirs.update(rule["ruleId"], outcome="ALLOW"), 404, "rule_not_found")
    _error(theirs.delete(rule["ruleId"]), 404, "rule_not_found")
    assert Rule.objects.get(pk=rule["ruleId"]).outcome == "BLOCK"


@pytest.mark.parametrize("rule_id", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_unknown_rule_id(api, rule_id):
    _error(api.get(rule_id), 404, "rule_not_found")


def test_without_a_secret_key(client):
    _error(client.get("/v1/actions/pay/rules"), 401, "unauthorized")


@pytest.mark.parametrize(
    "conditions, problem",
    [
        ([{"type": "weather"}], "conditions[0]: unknown type 'weather'"),
        ([{}, {"type": "new_device", "valu": True}], "conditions[1]: unknown key(s) valu"),
        ([{"type": "custom", "field": "amount", "op": "~", "value": 1}], "unknown op '~'"),
        ([{"type": "custom", "field": "amount", "op": ">", "value": [1]}], "not array"),
        ([{"type": "custom", "field": "", "op": "exists"}], "custom field must be a name"),
        ([{"type": "custom", "field": "x", "op": "in", "value": []}], "non-empty list"),
        ([{"type": "custom", "op": "==", "value": 1}], "custom needs 'field'"),
        ([{"type": "ip", "op": "in", "value": ["10.0.0.0/33"]}], "value[0]: '10.0.0.0/33' is not"),
        ([{"type": "ip", "op": "in", "value": ["10.0.0.1/8"]}], "did you mean 10.0.0.0/8?"),
        ([{"type": "ip", "op": "in", "value": "10.0.0.0/8"}], "non-empty list"),
        ([{"type": "failed_attempts", "minutes": -5, "op": ">=", "value": 3}], "minutes must"),
        ([{"type": "failed_attempts", "minutes": 15, "op": ">=", "value": 1.5}], "whole number"),
        ([{"type": "has_face"}], "has_face needs 'value'"),
        ([{"type": "has_face", "value": "yes"}], "true or false"),
        (["new_device"], "conditions[0]: must be an object"),
    ],
)
def test_a_bad_condition_is_refused_naming_its_index(api, conditions, problem):
    response = api.create(name="bad", outcome="BLOCK", conditions=conditions)
    assert problem in _error(response, 400, "invalid_rule")
    assert not Rule.objects.exists()


@pytest.mark.parametrize(
    "body, problem",
    [
        ({"outcome": "ALLOW", "verificationMethods": ["FACE"]}, "only to CHALLENGE_REQUIRED"),
        ({"outcome": "CHALLENGE_REQUIRED", "verificationMethods": ["RETINA"]}, "RETINA"),
        ({"outcome": "CHALLENGE_REQUIRED", "verificationMethods": ["FACE", "FACE"]}, "once"),
    ],
)
def test_bad_verification_methods_are_refused(api, body, problem):
    description = _error(api.create(name="r", **body), 400, "invalid_rule")
    assert description.startswith("verificationMethods: ")
    assert problem in description


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "MAYBE"},
        {"outcome": "ALLOW", "conditions": {"type": "new_device"}},
        {"outcome": "ALLOW", "position": -1},
        {"outcome": "ALLOW", "colour": "red", "enabled": "perhaps"},
        {"name": "", "outcome": "ALLOW"},
    ],
)
def test_bad_input_is_a_clear_400(api, body):
    _error(api.create(**{"name": "r", **body}), 400, "invalid_request")
    assert not Rule.objects.exists()


def test_an_update_is_validated_as_a_whole(api):
    rule = api.create(name="r", outcome="CHALLENGE_REQUIRED", verificationMethods=["IN_APP"])
    rule_id = rule.json()["ruleId"]
    _error(api.update(rule_id, outcome="ALLOW"), 400, "invalid_rule")
    bad = api.update(rule_id, conditions=[{"type": "ip", "op": "in", "value": ["x"]}])
    assert "conditions[0]" in _error(bad, 400, "invalid_rule")
    assert Rule.objects.get(pk=rule_id).outcome == "CHALLENGE_REQUIRED"
    assert api.update(rule_id, outcome="ALLOW", verificationMethods=[]).status_code == 200


# Admin


def _admin_form(tenant, **changes) -> dict:
    return {
        "tenant": tenant.pk,
        "action_code": "pay",
        "position": 0,
        "name": "Big payments",
        "description": "",
        "enabled": "on",
        "conditions": json.dumps([BIG_PAYMENT]),
        "outcome": "CHALLENGE_REQUIRED",
        "verification_methods": ["FACE"],
        **changes,
    }


def test_admin_shows_a_bad_condition_on_the_form(admin_client, acme):
    bad = [{"type": "ip", "op": "in", "value": ["10.0.0.1/8"]}]
    response = admin_client.post(
        "/admin/actions/rule/add/", _admin_form(acme.tenant, conditions=json.dumps(bad))
    )
    assert response.status_code == 200
    assert "conditions[0]: value[0]: &#x27;10.0.0.1/8&#x27; has host bits set" in (
        response.content.decode()
    )
    assert not Rule.objects.exists()


def test_admin_saves_a_rule_that_decides_at_once(admin_client, acme):
    response = admin_client.post("/admin/actions/rule/add/", _admin_form(acme.tenant))
    assert response.status_code == 302, response.content.decode()
    rule = Rule.objects.get()
    assert rule.verification_methods == ["FACE"]
    context = RuleContext(facts=StaticFacts(), custom={"amount": 5000})
    decision = selectors.rules_decide(tenant=acme.tenant, action_code="pay", context=context)
    assert decision == RuleDecision("CHALLENGE_REQUIRED", str(rule.pk), ("FACE",))
    admin_client.post(f"/admin/actions/rule/{rule.pk}/delete/", {"post": "yes"})
    assert selectors.rules_decide(tenant=acme.tenant, action_code="pay", context=context) is None


def test_admin_empty_conditions_mean_always(admin_client, acme):
    form = _admin_form(acme.tenant, conditions="", outcome="BLOCK", verification_methods=[])
    assert admin_client.post("/admin/actions/rule/add/", form).status_code == 302
    assert Rule.objects.get().conditions == []


# Deciding from the database: the cache and the facts


def _rule(tenant, *conditions, outcome="BLOCK", code="pay", **kwargs) -> Rule:
    return services.rule_create(
        tenant=tenant,
        action_code=code,
        name="r",
        outcome=outcome,
        conditions=list(conditions),
        **kwargs,
    )


def test_no_rules_and_cached_rules_cost_no_query(acme, django_assert_num_queries):
    user = user_get_or_create(tenant=acme.tenant, external_id="alice")
    context = selectors.rule_context(user=user, custom={"amount": 5})
    with django_assert_num_queries(1):
        assert selectors.rules_decide(tenant=acme.tenant, action_code="x", context=context) is None
    with django_assert_num_queries(0):
        assert selectors.rules_decide(tenant=acme.tenant, action_code="x", context=context) is None

    rule = _rule(acme.tenant, {"type": "custom", "field": "amount", "op": "<", "value": 10})
    with django_assert_num_queries(1):
        decision = selectors.rules_decide(tenant=acme.tenant, action_code="pay", context=context)
    with django_assert_num_queries(0):
        again = selectors.rules_decide(tenant=acme.tenant, action_code="pay", context=context)
    assert decision == again == RuleDecision("BLOCK", str(rule.pk), ())


def test_a_fact_is_queried_only_when_the_free_conditions_hold(acme, django_assert_num_queries):
    user = user_get_or_create(tenant=acme.tenant, external_id="alice")
    _rule(acme.tenant, {"type": "has_face", "value": False}, BIG_PAYMENT)
    small = selectors.rule_context(user=user, custom={"amount": 5})
    big = selectors.rule_context(user=user, custom={"amount": 5000})
    selectors.rules_for_action(tenant=acme.tenant, action_code="pay")
    with django_assert_num_queries(0):
        assert selectors.rules_decide(tenant=acme.tenant, action_code="pay", context=small) is None
    with django_assert_num_queries(1):
        assert selectors.rules_decide(tenant=acme.tenant, action_code="pay", context=big)


def test_disabled_rules_do_not_decide_and_the_first_enabled_one_wins(acme):
    _rule(acme.tenant, outcome="BLOCK", enabled=False)
    allow = _rule(acme.tenant, outcome="ALLOW")
    _rule(acme.tenant, outcome="REVIEW_REQUIRED")
    context = RuleContext(facts=StaticFacts())
    decision = selectors.rules_decide(tenant=acme.tenant, action_code="pay", context=context)
    assert decision == RuleDecision("ALLOW", str(allow.pk))


def test_new_device_is_a_device_id_never_seen_for_this_user(acme):
    alice = user_get_or_create(tenant=acme.tenant, external_id="alice")
    bob = user_get_or_create(tenant=acme.tenant, external_id="bob")
    Action.objects.create(
        tenant=acme.tenant, user=alice, action_code="pay", state="ALLOW", client_device_id="d-1"
    )
    bound = Device.objects.create(tenant=acme.tenant, user=alice, type=DeviceType.SDK)

    def new(user, device_id: str) -> bool:
        return selectors.UserRuleFacts(user=user, device_id=device_id).is_new_device()

    assert not new(alice, "d-1")
    assert not new(alice, str(bound.pk))
    assert new(alice, "d-2")
    assert new(alice, "")
    assert new(bob, "d-1")


def test_failed_attempts_count_failed_challenges_within_the_window(acme):
    alice = user_get_or_create(tenant=acme.tenant, external_id="alice")
    bob = user_get_or_create(tenant=acme.tenant, external_id="bob")

    def action(user, state: str, minutes_ago: int) -> None:
        created = Action.objects.create(
            tenant=acme.tenant, user=user, action_code="pay", state=state
        )
        changed = timezone.now() - timedelta(minutes=minutes_ago)
        Action.objects.filter(pk=created.pk).update(state_updated_at=changed)

    action(alice, ActionState.CHALLENGE_FAILED, 1)
    action(alice, ActionState.CHALLENGE_FAILED, 30)
    action(alice, ActionState.BLOCK, 1)
    action(bob, ActionState.CHALLENGE_FAILED, 1)
    facts = selectors.UserRuleFacts(user=alice)
    assert facts.failed_attempts(minutes=15) == 1
    assert facts.failed_attempts(minutes=60) == 2


def test_has_face(acme):
    alice = user_get_or_create(tenant=acme.tenant, external_id="alice")
    assert not selectors.UserRuleFacts(user=alice).has_face()
    Authenticator.objects.create(
        tenant=acme.tenant, user=alice, verification_method=VerificationMethod.FACE
    )
    assert selectors.UserRuleFacts(user=alice).has_face()


# The evaluator, property-based


@dataclass
class StaticFacts:
    """Facts given up front, counting how often each is asked."""

    new_device: bool = False
    face: bool = False
    failed: int = 0
    asked: list = field(default_factory=list)

    def is_new_device(self) -> bool:
        self.asked.append("new_device")
        return self.new_device

    def has_face(self) -> bool:
        self.asked.append("has_face")
        return self.face

    def failed_attempts(self, *, minutes: int) -> int:
        self.asked.append("failed_attempts")
        return self.failed


HOLDS = {"type": "custom", "field": "yes", "op": "==", "value": True}
FAILS = {"type": "custom", "field": "no", "op": "==", "value": True}
TRUTH_CONTEXT = RuleContext(facts=StaticFacts(), custom={"yes": True, "no": False})

finite_numbers = st.integers() | st.floats(allow_nan=False, allow_infinity=False)
json_scalars = st.none() | st.booleans() | finite_numbers | st.text(max_size=10)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def _compile(index: int, conditions: list, outcome: str = "BLOCK"):
    return rule_compile(rule_id=str(index), outcome=outcome, conditions=conditions)


@given(st.lists(st.lists(st.booleans(), max_size=4), max_size=8))
def test_the_first_rule_whose_conditions_all_hold_wins(rules_truths):
    rules = [
        _compile(i, [HOLDS if truth else FAILS for truth in truths])
        for i, truths in enumerate(rules_truths)
    ]
    expected = next((str(i) for i, truths in enumerate(rules_truths) if all(truths)), None)
    decision = rules_evaluate(rules, TRUTH_CONTEXT)
    assert (decision and decision.rule_id) == expected


@given(
    ip=st.none() | st.ip_addresses().map(str) | st.text(max_size=20),
    custom=st.none() | st.dictionaries(st.text(max_size=8), json_values),
    outcome=st.sampled_from(["ALLOW", "CHALLENGE_REQUIRED", "REVIEW_REQUIRED", "BLOCK"]),
)
def test_a_rule_without_conditions_always_fires(ip, custom, outcome):
    context = RuleContext(facts=StaticFacts(), ip_address=ip, custom=custom)
    rule = _compile(0, [], outcome)
    assert rules_evaluate([rule, _compile(1, [])], context) == RuleDecision(outcome, "0")


@given(left=finite_numbers, right=finite_numbers, op=st.sampled_from(COMPARISONS))
def test_numeric_comparisons_agree_with_python(left, right, op):
    python = {
        "==": operator.eq,
        "!=": operator.ne,
        ">": operator.gt,
        ">=": operator.ge,
        "<": operator.lt,
        "<=": operator.le,
    }[op]
    rule = _compile(0, [{"type": "custom", "field": "n", "op": op, "value": right}])
    context = RuleContext(facts=StaticFacts(), custom={"n": left})
    assert rule.fires(context) == python(left, right)


@given(
    left=st.text(max_size=5) | st.booleans() | st.lists(st.text(), max_size=2) | st.none(),
    right=finite_numbers,
    op=st.sampled_from([op for op in CUSTOM_OPS if op not in ("exists", "in", "not_in")]),
)
def test_a_type_mismatch_or_missing_field_is_false_whatever_the_op(left, right, op):
    rule = _compile(0, [{"type": "custom", "field": "n", "op": op, "value": right}])
    assert not rule.fires(RuleContext(facts=StaticFacts(), custom={"n": left}))
    assert not rule.fires(RuleContext(facts=StaticFacts(), custom={}))


def _networks():
    v4 = st.tuples(st.ip_addresses(v=4), st.integers(0, 32))
    v6 = st.tuples(st.ip_addresses(v=6), st.integers(0, 128))
    return (v4 | v6).map(lambda pair: ipaddress.ip_network(f"{pair[0]}/{pair[1]}", strict=False))


@given(
    address=st.ip_addresses(),
    networks=st.lists(_networks(), min_size=1, max_size=5),
    op=st.sampled_from(["in", "not_in"]),
)
def test_ip_membership_agrees_with_the_ipaddress_module(address, networks, op):
    rule = _compile(0, [{"type": "ip", "op": op, "value": [str(n) for n in networks]}])
    mapped = getattr(address, "ipv4_mapped", None)
    inside = any((mapped or address) in network for network in networks)
    context = RuleContext(facts=StaticFacts(), ip_address=str(address))
    assert rule.fires(context) == (inside if op == "in" else not inside)


@given(
    address=st.ip_addresses(v=4),
    prefix=st.integers(0, 32),
)
def test_an_ipv4_mapped_ipv6_address_counts_as_ipv4(address, prefix):
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    rule = _compile(0, [{"type": "ip", "op": "in", "value": [str(network)]}])
    assert rule.fires(RuleContext(facts=StaticFacts(), ip_address=f"::ffff:{address}"))


def test_a_request_without_an_ip_matches_neither_in_nor_not_in():
    for op in ("in", "not_in"):
        rule = _compile(0, [{"type": "ip", "op": op, "value": ["0.0.0.0/0", "::/0"]}])
        assert not rule.fires(RuleContext(facts=StaticFacts(), ip_address=None))


@given(
    new_device=st.booleans(),
    face=st.booleans(),
    failed=st.integers(0, 20),
    threshold=st.integers(0, 20),
)
def test_fact_conditions_follow_the_facts(new_device, face, failed, threshold):
    facts = StaticFacts(new_device=new_device, face=face, failed=failed)
    context = RuleContext(facts=facts)
    assert _compile(0, [{"type": "new_device"}]).fires(context) == new_device
    assert _compile(0, [{"type": "new_device", "value": False}]).fires(context) != new_device
    assert _compile(0, [{"type": "has_face", "value": True}]).fires(context) == face
    attempts = {"type": "failed_attempts", "minutes": 15, "op": ">=", "value": threshold}
    assert _compile(0, [attempts]).fires(context) == (failed >= threshold)


@given(st.lists(st.sampled_from([HOLDS, FAILS]), max_size=4))
def test_facts_are_asked_only_when_the_free_conditions_hold(free):
    facts = StaticFacts()
    conditions = [{"type": "new_device"}, *free, {"type": "has_face", "value": False}]
    _compile(0, conditions).fires(RuleContext(facts=facts, custom={"yes": True}))
    assert bool(facts.asked) == (FAILS not in free)


scalars = st.booleans() | finite_numbers | st.text(max_size=10)


def _custom(op: str):
    if op == "exists":
        value = st.just({}) | st.booleans().map(lambda flag: {"value": flag})
    elif op in ("in", "not_in"):
        value = st.lists(scalars, min_size=1, max_size=3).map(lambda items: {"value": items})
    elif op in (">", ">=", "<", "<="):
        value = (finite_numbers | st.text(max_size=10)).map(lambda item: {"value": item})
    else:
        value = scalars.map(lambda item: {"value": item})
    field_name = st.sampled_from(["amount", "n", "x"])
    return st.builds(lambda f, v: {"type": "custom", "field": f, "op": op, **v}, field_name, value)


def _user_agent(op: str):
    text = st.text(max_size=10)
    value = st.lists(text, min_size=1, max_size=3) if op in ("in", "not_in") else text
    return value.map(lambda item: {"type": "user_agent", "op": op, "value": item})


valid_conditions = st.one_of(
    st.just({"type": "new_device"}),
    st.booleans().map(lambda flag: {"type": "new_device", "value": flag}),
    st.booleans().map(lambda flag: {"type": "has_face", "value": flag}),
    st.builds(
        lambda op, networks: {"type": "ip", "op": op, "value": [str(n) for n in networks]},
        st.sampled_from(["in", "not_in"]),
        st.lists(_networks(), min_size=1, max_size=3),
    ),
    st.sampled_from(USER_AGENT_OPS).flatmap(_user_agent),
    st.sampled_from(CUSTOM_OPS).flatmap(_custom),
    st.builds(
        lambda minutes, op, value: {
            "type": "failed_attempts",
            "minutes": minutes,
            "op": op,
            "value": value,
        },
        st.integers(1, 10080),
        st.sampled_from(COMPARISONS),
        st.integers(0, 100),
    ),
)


def _mutated(condition: dict):
    """``condition`` with one key dropped, or set to any JSON value."""
    keys = st.sampled_from(sorted({*condition, "op", "value", "field", "minutes", "extra"}))
    dropped = keys.map(lambda key: {k: v for k, v in condition.items() if k != key})
    changed = st.builds(lambda key, value: {**condition, key: value}, keys, json_values)
    return dropped | changed


condition_like = valid_conditions | valid_conditions.flatmap(_mutated)
contexts = st.builds(
    RuleContext,
    facts=st.builds(StaticFacts, st.booleans(), st.booleans(), st.integers(0, 50)),
    ip_address=st.none() | st.ip_addresses().map(str) | st.text(max_size=12),
    user_agent=st.text(max_size=12),
    device_id=st.text(max_size=8),
    custom=st.none() | st.dictionaries(st.sampled_from(["amount", "n", "x"]), json_values),
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    conditions=json_values | st.lists(condition_like | json_values, max_size=4), context=contexts
)
def test_any_json_is_refused_or_evaluates_without_raising(conditions, context):
    try:
        rule = _compile(0, conditions)
    except RuleInvalid as invalid:
        assert invalid.problems
        assert all(p.startswith("conditions") for p in invalid.problems)
        return
    assert isinstance(rule.fires(context), bool)


@given(conditions=st.lists(valid_conditions, max_size=4), context=contexts)
def test_conditions_in_the_grammar_are_accepted_and_evaluate(conditions, context):
    assert isinstance(_compile(0, conditions).fires(context), bool)


@given(st.lists(condition_like, min_size=1, max_size=4))
def test_every_problem_names_a_condition_that_is_refused_alone(conditions):
    try:
        conditions_parse(conditions)
    except RuleInvalid as invalid:
        for problem in invalid.problems:
            index = int(problem.split("]")[0].removeprefix("conditions["))
            with pytest.raises(RuleInvalid):
                conditions_parse([conditions[index]])
