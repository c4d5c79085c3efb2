"""Auto-close decisions, pure: which rule applies to a ticket, when it is warned and closed, what the warning
says, until when a customer reply reopens it. No Frappe import, no wall clock: `now` is always an argument.

Rules:
- A rule naming the ticket's category wins over one naming its SLA policy, which wins over a rule naming
  neither (the default). No matching rule: the ticket is never closed automatically.
- Hours count from the moment the ticket became SOLVED (a customer message reopens it, so "no customer
  message for N hours" is the same clock). `add_hours` counts them, in business hours when the rule says so.
- The warning goes out `warn_before_hours` before the close; the close never comes sooner than
  `warn_before_hours` after the warning actually went out (a late sweep never shortens the customer's notice).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

WARN = "warn"
CLOSE = "close"
STILL_NEED_HELP = "Still need help"


@dataclasses.dataclass(frozen=True)
class Rule:
	name: str
	close_after_hours: float
	warn_before_hours: float = 24.0
	business_hours: bool = False
	reopen_window_hours: float = 0.0
	category: str | None = None
	sla_policy: str | None = None


AddHours = Callable[[datetime, float], datetime]


def wall_hours(start: datetime, hours: float) -> datetime:
	return start + timedelta(hours=hours)


def choose_rule(rules: Iterable[Rule], category: str | None, sla_policy: str | None) -> Rule | None:
	by_category = by_policy = default = None
	for rule in rules:
		if rule.category:
			if rule.category == category and by_category is None:
				by_category = rule
		elif rule.sla_policy:
			if rule.sla_policy == sla_policy and by_policy is None:
				by_policy = rule
		elif default is None:
			default = rule
	return by_category or by_policy or default


@dataclasses.dataclass(frozen=True)
class Schedule:
	warn_at: datetime
	close_at: datetime

	def next_event_at(self, warned: bool) -> datetime:
		return self.close_at if warned else self.warn_at


def schedule(solved_at: datetime, rule: Rule, add_hours: AddHours = wall_hours) -> Schedule:
	close_at = add_hours(solved_at, rule.close_after_hours)
	warn_at = add_hours(solved_at, max(rule.close_after_hours - rule.warn_before_hours, 0.0))
	return Schedule(min(warn_at, close_at), close_at)


def close_after_warning(close_at: datetime, warned_at: datetime, rule: Rule, add_hours: AddHours = wall_hours) -> datetime:
	"""The close moment once the warning went out at `warned_at`: as planned, or later if the warning was late."""
	return max(close_at, add_hours(warned_at, rule.warn_before_hours))


def due_step(now: datetime, warn_at: datetime | None, close_at: datetime | None, warned_at: datetime | None) -> str | None:
	"""What the sweep does with the ticket now: warn, close, or nothing (not scheduled, or not due yet)."""
	if close_at is None or warn_at is None:
		return None
	if warned_at is None:
		return WARN if now >= warn_at else None
	return CLOSE if now >= close_at else None


def hours_left(now: datetime, close_at: datetime) -> int:
	"""Whole hours (rounded up, at least 1) the customer has before the close, as the warning states them."""
	return max(1, math.ceil((close_at - now).total_seconds() / 3600))


def warning_text(ticket: str, hours: int) -> str:
	unit = "hour" if hours == 1 else "hours"
	return (
		f"We consider ticket #{ticket} solved and will close it in {hours} {unit}. "
		f"Tap “{STILL_NEED_HELP}” or reply here if it isn't."
	)


def close_reason(rule: Rule) -> str:
	hours = f"{rule.close_after_hours:g}"
	kind = " business" if rule.business_hours else ""
	return f"Solved with no customer message for {hours}{kind} hours (auto-close rule {rule.name})"


def reopen_until(closed_at: datetime, rule: Rule | None) -> datetime | None:
	"""Until when a customer reply reopens the closed ticket; None when the rule has no window (or no rule)."""
	if rule is None or rule.reopen_window_hours <= 0:
		return None
	return closed_at + timedelta(hours=rule.reopen_window_hours)
