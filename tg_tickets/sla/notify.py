"""SLA reminders, breach notices and escalation: each happens once per ticket and event.

Once: `claim` inserts an SLA Notification named "<ticket>:<event>" before anything is sent, in the same
transaction as the sending (Notification Log rows, queued e-mail and queued Telegram messages are rows too,
written by `Outbox`). A second worker or a re-run hits the primary key and sends nothing; a failed job rolls
back its claims with their messages. Event keys carry the clock's cycle (tg_tickets.sla.clock), so a reopened
ticket is notified again for thresholds its resumed clock crosses.

Escalation, the way helpdesks do it (Zendesk, Freshdesk): the ticket is reassigned to the policy's supervisor,
every member of the policy's team is notified, and the original agent gets an explicit read share and a notice,
so they keep the ticket in sight. Without a supervisor the ticket stays with the agent and the team is notified.

This module never decides *when* (tg_tickets.sla.clock does) and never commits (the sweep's job does).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import set_notifications_as_unseen
from frappe.utils import format_datetime, now_datetime

from tg_tickets import permissions
from tg_tickets.sla import clock, email_digest, policy, tracking
from tg_tickets.tickets import bulk, events, realtime

CLOCK_LABELS = {clock.FIRST_RESPONSE: "first response", clock.RESOLUTION: "resolution"}


CLAIM_FIELDS = ("name", "ticket", "event", "kind", "event_at", "recipients", "emailed_at")


def claim_row(ticket_name: str, event: clock.Event, recipients: list[str], now) -> tuple:
	return (f"{ticket_name}:{event.key}", ticket_name, event.key, event.kind, tracking.to_naive(event.at),
		"\n".join(recipients), now)


def claim(ticket_name: str, event: clock.Event, recipients: list[str]) -> bool:
	"""True for the one caller that gets to send this event for this ticket (the primary key decides).
	`emailed_at` is set with the claim: the caller's Outbox queues the e-mail in the same transaction.

	A plain INSERT rather than a document insert: the sweep claims up to thousands a minute, and a
	duplicate must cost one failed statement, not a rolled-back transaction."""
	try:
		bulk.insert_rows("SLA Notification", CLAIM_FIELDS, [claim_row(ticket_name, event, recipients, now_datetime())])
	except Exception as exc:
		if frappe.db.is_primary_key_violation(exc):
			return False
		raise
	return True


def claim_all(claims: list[tuple[str, clock.Event, list[str]]]) -> set[tuple[str, str]]:
	"""(ticket, event key) of the claims this caller won: all of them in one insert, the usual case; when
	another worker or an earlier run holds some (the insert fails as a whole), one by one."""
	if not claims:
		return set()
	now = now_datetime()
	try:
		bulk.insert_rows("SLA Notification", CLAIM_FIELDS, [claim_row(ticket, event, users, now) for ticket, event, users in claims])
	except Exception as exc:
		if not frappe.db.is_primary_key_violation(exc):
			raise
		return {(ticket, event.key) for ticket, event, users in claims if claim(ticket, event, users)}
	return {(ticket, event.key) for ticket, event, _users in claims}


def unclaim(ticket_name: str, event_keys: list[str]) -> None:
	"""Gives claims back (their notifications were not written): the next sweep claims them again."""
	if event_keys:
		frappe.db.delete("SLA Notification", {"name": ("in", [f"{ticket_name}:{key}" for key in event_keys])})


class Recipients:
	"""Who hears about an event; users and teams are read once per job, not once per event."""

	def __init__(self):
		self.enabled: dict[str, bool] = {}
		self.teams: dict[str, list[str]] = {}

	def _enabled(self, users: list[str]) -> list[str]:
		unknown = [u for u in users if u not in self.enabled]
		if unknown:
			found = set(frappe.db.sql("select name from `tabUser` where name in %s and enabled = 1", (tuple(unknown),), pluck=True))
			self.enabled.update({u: u in found for u in unknown})
		return [u for u in dict.fromkeys(users) if self.enabled[u]]

	def _team(self, team: str | None) -> list[str]:
		if team and team not in self.teams:
			self.teams[team] = policy.team_members(team)
		return self.teams.get(team, []) if team else []

	def for_event(self, ticket, event: clock.Event, rules: policy.PolicyRules) -> list[str]:
		supervisors = ([rules.escalate_to] if rules.escalate_to else []) + self._team(rules.escalation_team)
		if event.kind == "escalation":
			users = supervisors + ([ticket.assigned_to] if ticket.assigned_to else [])
		else:
			users = [ticket.assigned_to] if ticket.assigned_to else supervisors
		return self._enabled(users) if users else []


def subject_for(ticket, event: clock.Event, due) -> str:
	what = CLOCK_LABELS[event.clock]
	ref = f"#{ticket.name} {ticket.title}"
	if event.kind == "reminder":
		return _("SLA reminder: {0} % of the {1} time used on {2} (due {3})").format(event.percent, what, ref, due)
	if event.kind == "breach":
		return _("SLA breached: the {0} target of {1} was due {2}").format(what, ref, due)
	return _("SLA escalation: {0} breached its {1} target (due {2}) and was escalated").format(ref, what, due)


class Outbox:
	"""A job's notifications, written in the transaction of their claims when the job flushes: desk
	notifications in one insert, one e-mail digest per recipient (tg_tickets.sla.email_digest), one Telegram
	message per agent who linked an account. A dying job rolls back claims and messages together."""

	def __init__(self):
		self.alerts: list[tuple[str, str, str]] = []  # (ticket, user, subject)
		self.kinds: dict[tuple[str, str, str], str] = {}  # alert → the kind of notification it is

	def add(self, ticket, event: clock.Event, recipients: list[str], due) -> None:
		subject = subject_for(ticket, event, format_datetime(due) if due else "—")
		for user in recipients:
			self.alerts.append((ticket.name, user, subject))
			self.kinds[(ticket.name, user, subject)] = NOTIFICATION_KINDS[event.kind]

	def discard(self, ticket_name: str) -> None:
		self.alerts = [a for a in self.alerts if a[0] != ticket_name]

	def flush(self) -> None:
		"""Each channel gets the alerts its recipients take on it now (their notification preferences)."""
		if not self.alerts:
			return
		allowed = channels_by_kind(self.alerts, self.kinds)
		takes = lambda alert, channel: channel in allowed.get((self.kinds[alert], alert[1]), ALL_CHANNELS)  # noqa: E731
		desk = [a for a in self.alerts if takes(a, "desk")]
		if desk:
			desk_notifications(desk)
		by_user: dict[str, list[tuple[str, str]]] = {}
		direct: dict[str, list[tuple[str, str]]] = {}
		for alert in self.alerts:
			ticket, user, subject = alert
			if takes(alert, "email"):
				by_user.setdefault(user, []).append((ticket, subject))
			if takes(alert, "telegram"):
				direct.setdefault(user, []).append((ticket, subject))
		email_digest.queue_digests(by_user)
		direct_alerts(direct)
		# what a recipient's quiet hours keep from e-mail and Telegram now is held for later, not dropped
		by_kind: dict[str, list[tuple[str, str, str]]] = {}
		for alert in self.alerts:
			by_kind.setdefault(self.kinds[alert], []).append(alert)
		for kind, alerts in sorted(by_kind.items()):
			events.emit(events.HOLD_FOR_LATER, kind, alerts)
		self.alerts = []


NOTIFICATION_KINDS = {"reminder": "SLA reminder", "breach": "SLA breach", "escalation": "Escalation"}
ALL_CHANNELS = frozenset({"desk", "email", "telegram"})


def channels_by_kind(alerts, kinds) -> dict[tuple[str, str], frozenset]:
	"""(kind, user) → the channels the user takes that kind on now (NOTIFICATION_CHANNELS); all when no
	domain answers."""
	users_by_kind: dict[str, set[str]] = {}
	for alert in alerts:
		users_by_kind.setdefault(kinds[alert], set()).add(alert[1])
	found = {}
	for kind, users in users_by_kind.items():
		for answer in events.emit(events.NOTIFICATION_CHANNELS, kind, sorted(users)):
			if answer is not None:
				found.update({(kind, user): frozenset(channels) for user, channels in answer.items()})
				break
	return found


def desk_notifications(alerts: list[tuple[str, str, str]]) -> None:
	"""(ticket, user, subject) as Notification Log rows in one insert, then what Notification Log's own
	after_insert does, once per user instead of once per row."""
	bulk.insert_rows(
		"Notification Log",
		["name", "for_user", "type", "subject", "document_type", "document_name", "from_user", "read"],
		[
			(frappe.generate_hash(length=12), user, "Alert", subject, "Ticket", ticket, "Administrator", 0)
			for ticket, user, subject in alerts
		],
	)
	users = sorted({user for _ticket, user, _subject in alerts})
	# The bell's "unseen" flag is written only where it is not set yet (parallel jobs notifying the same
	# agents would otherwise queue up on those rows' locks), in one order (or they could deadlock).
	seen = frappe.db.sql(
		"select name from `tabNotification Settings` where name in %s and seen = 1", (tuple(users),), pluck=True
	)
	for user in seen:
		set_notifications_as_unseen(user)
	for user in users:
		realtime.notify_bell(user)


def direct_alerts(alerts_by_user: dict[str, list[tuple[str, str]]]) -> None:
	"""One direct message per agent through every channel that reaches agents directly (ALERT_AGENTS: a
	Telegram DM to agents who linked an account): an agent never gets a burst of hundreds of messages, and
	the bot stays within Telegram's rate limits."""
	if alerts_by_user:
		events.emit(
			events.ALERT_AGENTS,
			{user: direct_alert_text([subject for _ticket, subject in alerts]) for user, alerts in alerts_by_user.items()},
		)


def direct_alert_text(subjects: list[str], limit: int = 4000) -> str:
	"""The alerts, one a line, within one Telegram message (4,096 characters); the rest is counted, as the
	desk notifications and the e-mail list them all."""
	if len(subjects) == 1:
		return subjects[0]
	lines = [_("{0} SLA alerts on your tickets:").format(len(subjects))]
	for index, subject in enumerate(subjects):
		more = _("… and {0} more in the desk's notifications").format(len(subjects) - index)
		if sum(len(line) + 1 for line in lines) + len(subject) + 3 + len(more) > limit:
			lines.append(more)
			break
		lines.append(f"• {subject}")
	return "\n".join(lines)


def enqueue_email_digests() -> None:
	frappe.enqueue(
		"tg_tickets.sla.notify.send_email_digests",
		queue="short",
		job_id="tg-sla-email-digests",
		deduplicate=True,
		enqueue_after_commit=True,
	)


def emails_pending() -> bool:
	return bool(frappe.db.sql("select 1 from `tabSLA Notification` where emailed_at is null limit 1"))


def send_email_digests(limit: int = 2000) -> int:
	"""RQ job: the e-mail of claims that have none yet, committed."""
	sent = email_digests(limit)
	frappe.db.commit()  # a background job, not a controller
	return sent


def email_digests(limit: int = 2000) -> int:
	"""Queues the e-mail of claims not e-mailed yet (claims recorded before e-mail was written with them, by
	the SLA jobs' Outbox); returns e-mails queued. The rows are locked (SKIP LOCKED: parallel runs split the
	work) and stamped in the same transaction as the queued e-mail: once each."""
	rows = frappe.db.sql(
		"""select name, ticket, event, event_at, recipients from `tabSLA Notification`
		where emailed_at is null order by creation limit %s for update skip locked""",
		(limit,),
		as_dict=True,
	)
	if not rows:
		return 0
	titles = dict(frappe.db.sql("select name, title from `tabTicket` where name in %s", (tuple({r.ticket for r in rows}),)))
	by_user: dict[str, list[tuple[str, str]]] = {}
	for row in rows:
		ticket = frappe._dict(name=row.ticket, title=titles.get(row.ticket) or row.ticket)
		subject = subject_for(ticket, clock.Event.from_key(row.event, row.event_at), format_datetime(row.event_at))
		for user in (row.recipients or "").splitlines():
			by_user.setdefault(user, []).append((row.ticket, subject))
	sent = email_digest.queue_digests(by_user)
	frappe.db.sql(
		"update `tabSLA Notification` set emailed_at = %s where name in %s",
		(now_datetime(), tuple(r.name for r in rows)),
	)
	return sent


def escalate(ticket, rules: policy.PolicyRules) -> None:
	"""Reassigns to the supervisor (sharing read access with the original agent) and stamps the ticket."""
	agent = ticket.assigned_to
	supervisor = rules.escalate_to
	if agent:
		frappe.share.add_docshare(
			"Ticket", ticket.name, agent, read=1, flags={"ignore_share_permission": True}
		)
	ticket.flags.sla_server_update = True
	ticket.sla_escalated_at = now_datetime()
	if supervisor and supervisor != agent and permissions.ticket_role(supervisor):
		ticket.assigned_to = supervisor
	ticket.save(ignore_permissions=True)
