"""Escalation rules, pure: which rules fire for a ticket now, and when to look at it again. No Frappe import,
no wall clock: `now` and the ticket's facts are arguments.

Rules:
- A rule fires when its trigger holds, every condition on the ticket's fields matches, it has not fired in
  the ticket's current cycle (a reopen starts a new one) and its grace period has passed since the trigger
  began to hold.
- Triggers: SLA breach (since the breach), customer sentiment (the mean of the last N scored customer
  messages below the threshold, since the last of them), ticket age (since the ticket reached that age,
  counted by `age_reached_at`, in business hours when the adapter says so), reopened more than N times
  (since the last reopen), agent request (an agent asked; fired at once by the adapter, never by the sweep).
- The next look is the earliest moment a rule that has not fired could fire (a known future breach or age
  plus grace); a trigger that may start to hold later by an event (a message, a reopen) is looked at then.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

SLA_BREACH = "SLA breach"
SENTIMENT = "Customer sentiment"
AGENT_REQUEST = "Agent request"
TICKET_AGE = "Ticket age"
REOPENED = "Reopened"
TRIGGERS = (SLA_BREACH, SENTIMENT, AGENT_REQUEST, TICKET_AGE, REOPENED)

OPERATORS = ("=", "!=", "in", "not in", "is set", "is not set", ">", "<", "contains")
PRIORITIES = ("LOW", "MEDIUM", "HIGH")


@dataclasses.dataclass(frozen=True)
class Condition:
	field: str
	operator: str
	value: str = ""

	def matches(self, fields: dict) -> bool:
		actual = fields.get(self.field)
		text = "" if actual is None else str(actual)
		values = [v.strip() for v in self.value.split(",") if v.strip()]
		if self.operator == "=":
			return text == self.value
		if self.operator == "!=":
			return text != self.value
		if self.operator == "in":
			return text in values
		if self.operator == "not in":
			return text not in values
		if self.operator == "is set":
			return text != ""
		if self.operator == "is not set":
			return text == ""
		if self.operator == "contains":
			return self.value.lower() in text.lower()
		if self.operator in (">", "<"):
			try:
				left, right = float(text), float(self.value)
			except ValueError:
				return False
			return left > right if self.operator == ">" else left < right
		raise ValueError(f"unknown operator {self.operator!r}")


@dataclasses.dataclass(frozen=True)
class Rule:
	name: str
	trigger: str
	grace_minutes: float = 0.0
	conditions: tuple[Condition, ...] = ()
	sentiment_messages: int = 3
	sentiment_threshold: float = -0.5
	age_hours: float = 0.0
	age_in_business_hours: bool = False
	reopened_times: int = 1

	def applies_to(self, fields: dict) -> bool:
		return all(condition.matches(fields) for condition in self.conditions)


@dataclasses.dataclass(frozen=True)
class Facts:
	"""What the rules read about one ticket. `customer_scores`: (at, score) of its scored customer messages,
	oldest first; `breached_at`: when its SLA was or will be breached (None: no SLA or met)."""

	fields: dict
	breached: bool = False
	breached_at: datetime | None = None
	customer_scores: Sequence[tuple[datetime, float]] = ()
	reopen_count: int = 0
	last_reopened_at: datetime | None = None
	age_reached_at: Callable[[float, bool], datetime] | None = None  # (hours, in business hours) → moment


@dataclasses.dataclass(frozen=True)
class Decision:
	fire: tuple[Rule, ...]
	next_check_at: datetime | None


def low_sentiment_since(rule: Rule, scores: Sequence[tuple[datetime, float]]) -> datetime | None:
	"""When the last N scores' mean fell below the threshold: the time of the last of them (None: it holds not)."""
	count = max(int(rule.sentiment_messages), 1)
	last = list(scores)[-count:]
	if len(last) < count:
		return None
	mean = sum(score for _at, score in last) / count
	return last[-1][0] if mean < rule.sentiment_threshold else None


def trigger_since(rule: Rule, facts: Facts) -> tuple[datetime | None, bool]:
	"""(moment the trigger holds from, whether that moment is certain): a known future moment (an SLA due
	time, an age) is not certain until it comes, an SLA due time not even then, until the SLA says breached."""
	if rule.trigger == SLA_BREACH:
		if facts.breached_at is None:
			return None, False
		return facts.breached_at, facts.breached
	if rule.trigger == SENTIMENT:
		return low_sentiment_since(rule, facts.customer_scores), True
	if rule.trigger == TICKET_AGE:
		if facts.age_reached_at is None:
			return None, False
		return facts.age_reached_at(rule.age_hours, rule.age_in_business_hours), True
	if rule.trigger == REOPENED:
		if facts.reopen_count > rule.reopened_times and facts.last_reopened_at is not None:
			return facts.last_reopened_at, True
		return None, False
	return None, False  # AGENT_REQUEST: fired by the adapter when an agent asks


def evaluate(rules: Sequence[Rule], facts: Facts, fired: set[str], now: datetime) -> Decision:
	fire, next_check = [], None
	for rule in rules:
		if rule.name in fired or rule.trigger == AGENT_REQUEST or not rule.applies_to(facts.fields):
			continue
		since, certain = trigger_since(rule, facts)
		if since is None:
			continue
		at = since + timedelta(minutes=rule.grace_minutes)
		if at <= now and certain:
			fire.append(rule)
			continue
		if at <= now:  # due, but the SLA has not said breached yet: look again in a minute
			at = now + timedelta(minutes=1)
		next_check = at if next_check is None else min(next_check, at)
	return Decision(tuple(fire), next_check)


def agent_request_rules(rules: Sequence[Rule], fields: dict, fired: set[str]) -> tuple[Rule, ...]:
	"""The agent-request rules that apply to the ticket and have not fired in its cycle."""
	return tuple(r for r in rules if r.trigger == AGENT_REQUEST and r.name not in fired and r.applies_to(fields))


def raised_priority(priority: str | None) -> str:
	"""One step up (LOW → MEDIUM → HIGH); HIGH stays HIGH; an unknown priority becomes HIGH."""
	if priority not in PRIORITIES:
		return PRIORITIES[-1]
	return PRIORITIES[min(PRIORITIES.index(priority) + 1, len(PRIORITIES) - 1)]


ESCALATE_COMMAND = re.compile(r"^/escalate(?:@\w+)?(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL)


def escalate_command_reason(text: str | None) -> str | None:
	"""`/escalate reason` (or `/escalate@bot reason`) → the reason ("" without one); None: not the command."""
	match = ESCALATE_COMMAND.match((text or "").strip())
	if not match:
		return None
	return (match.group(1) or "").strip()
