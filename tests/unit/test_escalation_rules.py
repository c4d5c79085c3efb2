"""Escalation rules (tg_tickets/lifecycle/escalation_rules.py): pure, no site."""

from datetime import datetime, timedelta

import pytest

from tg_tickets.lifecycle import escalation_rules as er
from tg_tickets.lifecycle.escalation_rules import Condition, Facts, Rule

T0 = datetime(2026, 3, 2, 10, 0)
M = timedelta(minutes=1)
H = timedelta(hours=1)


def scores(*values, start=T0):
	return [(start + i * M, v) for i, v in enumerate(values)]


@pytest.mark.parametrize("operator, value, actual, expected", [
	("=", "HIGH", "HIGH", True), ("=", "HIGH", "LOW", False), ("=", "", None, True),
	("!=", "HIGH", "LOW", True), ("!=", "HIGH", "HIGH", False),
	("in", "LOW, MEDIUM", "MEDIUM", True), ("in", "LOW, MEDIUM", "HIGH", False), ("in", "LOW,,", "", False),
	("not in", "LOW, MEDIUM", "HIGH", True), ("not in", "LOW, MEDIUM", "LOW", False),
	("is set", "", "x", True), ("is set", "", None, False), ("is set", "", "", False),
	("is not set", "", None, True), ("is not set", "", "x", False),
	(">", "3", 4, True), (">", "3", 3, False), (">", "3", "abc", False), (">", "x", 4, False),
	("<", "3", 2.5, True), ("<", "3", 3, False), ("<", "3", None, False),
	("contains", "VIP", "a vip customer", True), ("contains", "VIP", "regular", False), ("contains", "", None, True),
])
def test_conditions(operator, value, actual, expected):
	assert Condition("f", operator, value).matches({"f": actual}) is expected


def test_an_unknown_operator_is_an_error():
	with pytest.raises(ValueError, match="unknown operator"):
		Condition("f", "~", "x").matches({"f": "x"})


def test_a_rule_applies_when_all_its_conditions_match():
	rule = Rule("R", er.SLA_BREACH, conditions=(Condition("priority", "=", "HIGH"), Condition("category", "=", "VIP")))
	assert rule.applies_to({"priority": "HIGH", "category": "VIP"})
	assert not rule.applies_to({"priority": "HIGH", "category": "Other"})
	assert Rule("R", er.SLA_BREACH).applies_to({})


def test_sla_breach_fires_after_the_grace_once_the_sla_says_breached():
	rule = Rule("Breach", er.SLA_BREACH, grace_minutes=15)
	breached = Facts({}, breached=True, breached_at=T0)
	assert er.evaluate([rule], breached, set(), T0 + 14 * M) == er.Decision((), T0 + 15 * M)
	assert er.evaluate([rule], breached, set(), T0 + 15 * M) == er.Decision((rule,), None)
	# a due time still ahead: looked at when due plus grace
	ahead = Facts({}, breached=False, breached_at=T0 + H)
	assert er.evaluate([rule], ahead, set(), T0) == er.Decision((), T0 + H + 15 * M)
	# due, but the SLA has not said breached (met in time, or its sweep lags): looked at again in a minute
	assert er.evaluate([rule], ahead, set(), T0 + 2 * H) == er.Decision((), T0 + 2 * H + M)
	assert er.evaluate([rule], Facts({}), set(), T0) == er.Decision((), None)


def test_sentiment_fires_when_the_mean_of_the_last_n_is_below_the_threshold():
	rule = Rule("Angry", er.SENTIMENT, sentiment_messages=3, sentiment_threshold=-0.5)
	assert er.evaluate([rule], Facts({}, customer_scores=scores(-0.9, -0.9)), set(), T0 + H).fire == ()
	assert er.evaluate([rule], Facts({}, customer_scores=scores(0.9, -0.6, -0.6, -0.6)), set(), T0 + H).fire == (rule,)
	assert er.evaluate([rule], Facts({}, customer_scores=scores(-0.6, -0.6, 0.2)), set(), T0 + H).fire == ()
	assert er.evaluate([rule], Facts({}, customer_scores=scores(-0.5, -0.5, -0.5)), set(), T0 + H).fire == ()  # not below


def test_low_sentiment_holds_since_the_last_message_and_waits_for_the_grace():
	rule = Rule("Angry", er.SENTIMENT, grace_minutes=10, sentiment_messages=2, sentiment_threshold=0)
	facts = Facts({}, customer_scores=scores(-0.2, -0.4))
	assert er.low_sentiment_since(rule, facts.customer_scores) == T0 + M
	assert er.evaluate([rule], facts, set(), T0 + 10 * M) == er.Decision((), T0 + 11 * M)
	assert er.evaluate([rule], facts, set(), T0 + 11 * M).fire == (rule,)
	assert er.low_sentiment_since(Rule("One", er.SENTIMENT, sentiment_messages=0, sentiment_threshold=0), scores(-0.1)) == T0


def test_ticket_age_counts_with_the_given_clock():
	rule = Rule("Old", er.TICKET_AGE, age_hours=8, grace_minutes=30, age_in_business_hours=True)
	# business hours: a calendar where an hour takes a day
	facts = Facts({}, age_reached_at=lambda hours, business: T0 + (timedelta(days=hours) if business else hours * H))
	assert er.evaluate([rule], facts, set(), T0) == er.Decision((), T0 + timedelta(days=8) + 30 * M)
	assert er.evaluate([rule], facts, set(), T0 + timedelta(days=8, minutes=30)).fire == (rule,)
	assert er.evaluate([rule], Facts({}), set(), T0 + timedelta(days=99)) == er.Decision((), None)
	wall = Rule("Old", er.TICKET_AGE, age_hours=8)
	assert er.evaluate([wall], facts, set(), T0) == er.Decision((), T0 + 8 * H)


def test_reopened_more_than_n_times():
	rule = Rule("Bouncing", er.REOPENED, reopened_times=2, grace_minutes=5)
	assert er.evaluate([rule], Facts({}, reopen_count=2, last_reopened_at=T0), set(), T0 + H).fire == ()
	facts = Facts({}, reopen_count=3, last_reopened_at=T0)
	assert er.evaluate([rule], facts, set(), T0 + 4 * M) == er.Decision((), T0 + 5 * M)
	assert er.evaluate([rule], facts, set(), T0 + 5 * M).fire == (rule,)
	assert er.evaluate([rule], Facts({}, reopen_count=3), set(), T0 + H).fire == ()


def test_a_rule_fires_once_per_cycle_and_only_when_its_conditions_match():
	rule = Rule("VIP breach", er.SLA_BREACH, conditions=(Condition("category", "=", "VIP"),))
	facts = Facts({"category": "VIP"}, breached=True, breached_at=T0)
	assert er.evaluate([rule], facts, {"VIP breach"}, T0 + H) == er.Decision((), None)
	other = Facts({"category": "Other"}, breached=True, breached_at=T0)
	assert er.evaluate([rule], other, set(), T0 + H) == er.Decision((), None)


def test_agent_requests_are_never_fired_by_the_sweep():
	rule = Rule("Asked", er.AGENT_REQUEST)
	assert er.evaluate([rule], Facts({}, breached=True, breached_at=T0), set(), T0 + H) == er.Decision((), None)
	assert er.trigger_since(rule, Facts({})) == (None, False)


def test_the_next_look_is_the_earliest_pending_rule_and_due_rules_fire_together():
	late = Rule("Late", er.TICKET_AGE, age_hours=5)
	soon = Rule("Soon", er.TICKET_AGE, age_hours=2)
	due = Rule("Due", er.TICKET_AGE, age_hours=1)
	also_due = Rule("Also due", er.TICKET_AGE, age_hours=0)
	facts = Facts({}, age_reached_at=lambda hours, business: T0 + hours * H)
	decision = er.evaluate([late, soon, due, also_due], facts, set(), T0 + H)
	assert decision == er.Decision((due, also_due), T0 + 2 * H)


def test_agent_request_rules():
	asked = Rule("Asked", er.AGENT_REQUEST)
	vip = Rule("VIP asked", er.AGENT_REQUEST, conditions=(Condition("category", "=", "VIP"),))
	breach = Rule("Breach", er.SLA_BREACH)
	assert er.agent_request_rules([asked, vip, breach], {"category": "VIP"}, set()) == (asked, vip)
	assert er.agent_request_rules([asked, vip, breach], {"category": "Other"}, set()) == (asked,)
	assert er.agent_request_rules([asked, vip, breach], {"category": "VIP"}, {"Asked"}) == (vip,)


@pytest.mark.parametrize("before, after", [("LOW", "MEDIUM"), ("MEDIUM", "HIGH"), ("HIGH", "HIGH"), (None, "HIGH"), ("?", "HIGH")])
def test_raised_priority(before, after):
	assert er.raised_priority(before) == after


@pytest.mark.parametrize("text, reason", [
	("/escalate customer threatens to leave", "customer threatens to leave"),
	("/escalate@SupportBot  very angry ", "very angry"),
	("/ESCALATE Angry\nsecond line", "Angry\nsecond line"),
	("/escalate", ""), ("  /escalate   ", ""),
	("/escalated yes", None), ("please /escalate this", None), ("", None), (None, None), ("/status", None),
])
def test_escalate_command_reason(text, reason):
	assert er.escalate_command_reason(text) == reason


def test_triggers_and_operators_are_the_doctypes_vocabulary():
	import json
	from pathlib import Path

	base = Path(__file__).resolve().parents[2] / "tg_tickets/tg_tickets/doctype"
	rule = {f["fieldname"]: f for f in json.loads((base / "escalation_rule/escalation_rule.json").read_text())["fields"]}
	condition = {f["fieldname"]: f for f in json.loads(
		(base / "escalation_rule_condition/escalation_rule_condition.json").read_text())["fields"]}
	assert tuple(rule["trigger"]["options"].split("\n")) == er.TRIGGERS == (
		"SLA breach", "Customer sentiment", "Agent request", "Ticket age", "Reopened")
	assert tuple(condition["operator"]["options"].split("\n")) == er.OPERATORS
	assert er.PRIORITIES == ("LOW", "MEDIUM", "HIGH")
	defaults = Rule("R", er.SLA_BREACH)
	assert (defaults.grace_minutes, defaults.conditions, defaults.sentiment_messages, defaults.sentiment_threshold,
		defaults.age_hours, defaults.age_in_business_hours, defaults.reopened_times) == (0.0, (), 3, -0.5, 0.0, False, 1)
	facts = Facts({})
	assert (facts.breached, facts.breached_at, tuple(facts.customer_scores), facts.reopen_count, facts.last_reopened_at,
		facts.age_reached_at) == (False, None, (), 0, None, None)
