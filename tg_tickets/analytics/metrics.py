"""A ticket's support figures from its own facts: pure (no Frappe), so the event handlers, the upgrade patch and
the unit tests share one definition of every metric.

Definitions (README, Analytics):
- first response: the first agent reply sent to the customer (or the SLA's stamp when no message records it);
  its time counts from the ticket's creation;
- resolution: the last time the ticket entered SOLVED or CLOSED, while it is still SOLVED or CLOSED; its time
  counts from the ticket's creation (a reopened ticket is unresolved again until solved again);
- handle time: for every agent reply, the time since the earliest customer message it answers (the earliest
  one since the previous agent reply; the ticket's creation stands for the first request), summed over the
  ticket; a reply that follows another with no customer message between adds nothing;
- reopens: transitions from SOLVED or CLOSED back to an open status (the ticket's own counter when it is higher,
  for tickets older than the status history);
- first-contact resolution: resolved with exactly one agent reply and never reopened;
- SLA: met when the SLA's state is MET, breached when BREACHED (otherwise neither).
Business-time figures count only the SLA policy's business hours; the caller passes `business_seconds`
(None for a ticket without a policy: business time is then wall time).

Never reads or writes the database, never stores personal data (no names, usernames or texts).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, Sequence

RESOLVED_STATUSES = frozenset({"SOLVED", "CLOSED"})
CUSTOMER = "customer"
AGENT = "agent"


@dataclasses.dataclass(frozen=True)
class TicketFacts:
	"""What the ticket row says (naive datetimes, one time zone)."""

	created: datetime
	status: str
	team: str | None = None
	agent: str | None = None
	category: str | None = None
	priority: str | None = None
	chat_type: str | None = None
	closed_at: datetime | None = None
	first_responded_at: datetime | None = None
	reopen_count: int = 0
	rating: int | None = None
	sentiment: float | None = None
	sla_state: str | None = None
	# when it was resolved, for tickets whose status history does not say (older than the history)
	resolved_hint: datetime | None = None


def resolved_at(status: str, history: Sequence[tuple[datetime, str]], fallback: datetime | None = None) -> datetime | None:
	"""When the ticket entered its current resolved run (SOLVED then CLOSED counts from the SOLVED); None when
	it is open. `fallback` (closed_at) serves tickets whose history does not record the resolution."""
	if status not in RESOLVED_STATUSES:
		return None
	found = None
	for at, entered in history:
		if entered in RESOLVED_STATUSES:
			found = found or at
		else:
			found = None
	return found or fallback


def reopens(history: Sequence[tuple[datetime, str]]) -> int:
	"""Transitions from a resolved status to an open one."""
	count, previous = 0, None
	for _at, status in history:
		if previous in RESOLVED_STATUSES and status not in RESOLVED_STATUSES:
			count += 1
		previous = status
	return count


def handle_seconds(created: datetime, messages: Iterable[tuple[datetime, str]]) -> float:
	"""Σ over agent replies of (reply − the earliest customer message it answers); see the module docstring."""
	total, waiting_since = 0.0, created
	for at, kind in sorted(messages, key=lambda item: (item[0], item[1] != CUSTOMER)):
		if kind == CUSTOMER:
			waiting_since = waiting_since or at
		elif kind == AGENT and waiting_since is not None:
			total += max((at - waiting_since).total_seconds(), 0.0)
			waiting_since = None
	return total


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
	if start is None or end is None:
		return None
	return max((end - start).total_seconds(), 0.0)


def week_start(day: date | None) -> date | None:
	return None if day is None else day - timedelta(days=day.weekday())


def compute(
	facts: TicketFacts,
	history: Sequence[tuple[datetime, str]],
	messages: Sequence[tuple[datetime, str]],
	business_seconds: Callable[[datetime, datetime], float] | None = None,
) -> dict:
	"""The Ticket Metrics values of one ticket. `history`: (changed_at, status) oldest first; `messages`:
	(at, CUSTOMER | AGENT) for customer messages received and agent replies sent."""
	agent_times = sorted(at for at, kind in messages if kind == AGENT)
	first_response = agent_times[0] if agent_times else facts.first_responded_at
	if facts.first_responded_at and first_response and facts.first_responded_at < first_response:
		first_response = facts.first_responded_at
	resolved = resolved_at(facts.status, history, facts.closed_at or facts.resolved_hint)
	closed = facts.closed_at if facts.status == "CLOSED" else None
	reopen_count = max(reopens(history), int(facts.reopen_count or 0))
	replies = len(agent_times)

	def business(end):
		if end is None:
			return None
		if business_seconds is None:
			return _seconds(facts.created, end)
		return max(float(business_seconds(facts.created, end)), 0.0)

	rating = int(facts.rating) if facts.rating else None
	return {
		"status": facts.status,
		"team": facts.team or None,
		"agent": facts.agent or None,
		"category": facts.category or None,
		"priority": facts.priority or None,
		"chat_type": facts.chat_type or None,
		"created_on": facts.created,
		"created_date": facts.created.date(),
		"created_week": week_start(facts.created.date()),
		"first_response_on": first_response,
		"first_response_seconds": _seconds(facts.created, first_response),
		"first_response_business_seconds": business(first_response),
		"resolved_on": resolved,
		"resolved_date": resolved.date() if resolved else None,
		"resolution_seconds": _seconds(facts.created, resolved),
		"resolution_business_seconds": business(resolved),
		"closed_on": closed,
		"closed_date": closed.date() if closed else None,
		"open_since": None if resolved else facts.created,
		"handle_seconds": handle_seconds(facts.created, messages),
		"agent_replies": replies,
		"customer_messages": sum(1 for _at, kind in messages if kind == CUSTOMER),
		"reopen_count": reopen_count,
		"first_contact_resolution": 1 if resolved and replies == 1 and reopen_count == 0 else 0,
		"rating": rating,
		"rated": 1 if rating else 0,
		"sentiment": facts.sentiment,
		"sla_met": 1 if facts.sla_state == "MET" else 0,
		"sla_breached": 1 if facts.sla_state == "BREACHED" else 0,
	}

