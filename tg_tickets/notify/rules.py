"""Which channels a notification takes now and which wait, pure: no Frappe import, no wall clock.

Rules:
- Each type (assigned to me, new customer message, mention, SLA reminder, SLA breach, escalation, rating
  received) goes to the channels the user switched on for it: desk bell, e-mail, Telegram DM.
- Quiet hours (from–to in the user's local time; from > to crosses midnight; from = to or either unset: none)
  hold e-mail and Telegram until they end; the desk bell rings as usual. SLA breaches and escalations
  (URGENT) pass through when the user lets urgent ones override quiet hours.
- Bursts: at most one Telegram DM per ticket every N minutes; what comes in between waits and goes out as one
  summary when the N minutes are over.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta

ASSIGNED = "Assigned to me"
CUSTOMER_MESSAGE = "New customer message"
MENTION = "Mention"
SLA_REMINDER = "SLA reminder"
SLA_BREACH = "SLA breach"
ESCALATION = "Escalation"
RATING = "Rating received"
KINDS = (ASSIGNED, CUSTOMER_MESSAGE, MENTION, SLA_REMINDER, SLA_BREACH, ESCALATION, RATING)
URGENT = frozenset({SLA_BREACH, ESCALATION})

DESK, EMAIL, TELEGRAM = "desk", "email", "telegram"
CHANNELS = (DESK, EMAIL, TELEGRAM)

# What a user gets until an admin sets other defaults or the user their own: what the app did before
# preferences existed (SLA alerts and escalations on every channel, assignments and the rest in the bell).
DEFAULT_CHANNELS = {
	ASSIGNED: frozenset({DESK}),
	CUSTOMER_MESSAGE: frozenset({DESK}),
	MENTION: frozenset({DESK}),
	SLA_REMINDER: frozenset({DESK, EMAIL, TELEGRAM}),
	SLA_BREACH: frozenset({DESK, EMAIL, TELEGRAM}),
	ESCALATION: frozenset({DESK, EMAIL, TELEGRAM}),
	RATING: frozenset({DESK}),
}
SUMMARY_LINES = 10


@dataclasses.dataclass(frozen=True)
class Preferences:
	channels: dict  # kind → frozenset of channels
	quiet_from: time | None = None
	quiet_to: time | None = None
	urgent_overrides_quiet_hours: bool = True
	burst_minutes: int = 10

	def wants(self, kind: str, channel: str) -> bool:
		return channel in self.channels.get(kind, frozenset())


@dataclasses.dataclass(frozen=True)
class Plan:
	now: frozenset  # channels to use at once
	held: frozenset  # channels that wait for the quiet hours' end
	held_until: datetime | None


def in_quiet_hours(prefs: Preferences, local: datetime) -> bool:
	start, end = prefs.quiet_from, prefs.quiet_to
	if start is None or end is None or start == end:
		return False
	moment = local.time()
	if start < end:
		return start <= moment < end
	return moment >= start or moment < end


def quiet_hours_end(prefs: Preferences, local: datetime) -> datetime:
	"""The next moment the quiet hours end after `local` (which is inside them)."""
	end = datetime.combine(local.date(), prefs.quiet_to, tzinfo=local.tzinfo)
	return end if end > local else end + timedelta(days=1)


def plan(prefs: Preferences, kind: str, local: datetime) -> Plan:
	wanted = frozenset(c for c in CHANNELS if prefs.wants(kind, c))
	push = wanted - {DESK}
	if push and in_quiet_hours(prefs, local) and not (kind in URGENT and prefs.urgent_overrides_quiet_hours):
		return Plan(wanted & {DESK}, push, quiet_hours_end(prefs, local))
	return Plan(wanted, frozenset(), None)


def burst_hold_until(last_sent_at: datetime | None, now: datetime, minutes: int) -> datetime | None:
	"""When a Telegram DM on this ticket may go out, if not now (None: now)."""
	if not last_sent_at or minutes <= 0:
		return None
	free_at = last_sent_at + timedelta(minutes=minutes)
	return free_at if now < free_at else None


def summary(ticket: str | None, lines: list[str]) -> str:
	"""One message for what waited: the lines themselves when one, else a count and the last lines."""
	if len(lines) == 1:
		return lines[0]
	about = f" on ticket #{ticket}" if ticket else ""
	shown = lines[-SUMMARY_LINES:]
	more = len(lines) - len(shown)
	head = f"{len(lines)} notifications{about}" + (f" (the last {len(shown)})" if more else "") + ":"
	return "\n".join([head] + [f"• {line}" for line in shown])
