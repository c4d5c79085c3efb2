"""Delivery of agent notifications by each user's preferences: the desk bell (Notification Log rows, when
Frappe's own Notification Settings leave the bell on), e-mail (Frappe's notification e-mail), Telegram DMs
(the ALERT_AGENTS event, to agents who linked an account). Quiet hours and bursts hold e-mail and Telegram in
an Agent Notification Burst row per user and ticket; a minute job sends what waited as one summary.

Runs in the caller's transaction (never commits, except the minute job): a rolled-back caller leaves no
notification behind.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import send_notification_email, set_notifications_as_unseen
from frappe.desk.doctype.notification_settings.notification_settings import is_notifications_enabled
from frappe.utils import get_datetime, get_system_timezone, now_datetime

from tg_tickets import permissions
from tg_tickets.notify import preferences, rules
from tg_tickets.tickets import bulk, events, realtime

BURST = "Agent Notification Burst"


def local_now(user: str, now: datetime) -> datetime:
	system = ZoneInfo(get_system_timezone())
	zone = frappe.db.get_value("User", user, "time_zone") or get_system_timezone()
	return now.replace(tzinfo=system).astimezone(ZoneInfo(zone))


def to_system(moment: datetime) -> datetime:
	return moment.astimezone(ZoneInfo(get_system_timezone())).replace(tzinfo=None)


def channels(kind: str, users) -> dict[str, frozenset]:
	"""NOTIFICATION_CHANNELS: per user, the channels this kind of notification may use now (for domains that
	deliver their own, e.g. the SLA's digests)."""
	now = now_datetime()
	return {user: rules.plan(preferences.load(user), kind, local_now(user, now)).now for user in users if user}


def hold_for_later(kind: str, alerts: list[tuple[str | None, str, str]]) -> None:
	"""HOLD_FOR_LATER: of notifications another domain delivered itself on the channels allowed now, what each
	user's quiet hours hold waits in their burst row for the summary when the quiet hours end."""
	now = now_datetime()
	plans = {}
	for ticket, user, text in alerts:
		if user not in plans:
			plans[user] = rules.plan(preferences.load(user), kind, local_now(user, now))
		plan = plans[user]
		if plan.held:
			hold_back(burst_row(user, ticket), kind, text, to_system(plan.held_until), email=rules.EMAIL in plan.held,
				telegram=rules.TELEGRAM in plan.held)


def notify_agents(kind: str, ticket: str | None, messages: dict, from_user: str | None = None, log_type: str = "Alert") -> None:
	"""NOTIFY_AGENTS: {user: text} of one kind about one ticket, each by the user's preferences."""
	now = now_datetime()
	bell, dms = [], {}
	for user, text in sorted(messages.items()):
		if not user or not text or permissions.ticket_role(user) is None:
			continue
		prefs = preferences.load(user)
		plan = rules.plan(prefs, kind, local_now(user, now))
		if rules.DESK in plan.now and is_notifications_enabled(user):
			bell.append((user, text))
		if rules.EMAIL in plan.now:
			email(user, ticket, text, from_user)
		if rules.TELEGRAM in plan.now:
			burst = burst_row(user, ticket)
			hold = rules.burst_hold_until(get_datetime(burst.last_sent_at) if burst.last_sent_at else None, now,
				prefs.burst_minutes) if ticket else None
			if hold:
				hold_back(burst, kind, text, hold, email=False)
			else:
				dms[user] = text
				if ticket:
					burst.last_sent_at = now
					save_burst(burst)
		if plan.held:
			hold_back(burst_row(user, ticket), kind, text, to_system(plan.held_until), email=rules.EMAIL in plan.held,
				telegram=rules.TELEGRAM in plan.held)
	if bell:
		ring(bell, kind, ticket, from_user, log_type, now)
	if dms:
		events.emit(events.ALERT_AGENTS, dms)


def ring(bell: list[tuple[str, str]], kind: str, ticket: str | None, from_user: str | None, log_type: str, now) -> None:
	who = from_user or "Administrator"
	bulk.insert_rows(
		"Notification Log",
		["name", "creation", "modified", "owner", "modified_by", "for_user", "type", "subject", "document_type",
		 "document_name", "from_user", "read"],
		[(frappe.generate_hash(length=12), now, now, who, who, user, log_type, frappe.utils.escape_html(text),
		  "Ticket" if ticket else None, ticket, who, 0) for user, text in bell],
	)
	for user, _text in bell:
		set_notifications_as_unseen(user)
		realtime.notify_bell(user)


def email(user: str, ticket: str | None, text: str, from_user: str | None = None) -> None:
	"""Frappe's own notification e-mail (template new_notification), queued."""
	# not stored (the bell is its own channel); no type, so Frappe's e-mail has its default header
	doc = frappe.get_doc({
		"doctype": "Notification Log", "for_user": user, "subject": frappe.utils.escape_html(text),
		"document_type": "Ticket" if ticket else None, "document_name": ticket, "from_user": from_user,
	})
	if not ticket:
		doc.link = "/app/tickets"
	try:
		send_notification_email(doc)
	except frappe.OutgoingEmailError:  # no outgoing account: as Frappe's own notifications, logged, not fatal
		frappe.clear_last_message()
		frappe.log_error(title="Notification e-mail not sent (no outgoing e-mail account)")


# --- bursts and quiet hours -----------------------------------------------------------------------------------


def burst_name(user: str, ticket: str | None) -> str:
	return hashlib.sha1(f"{user}\n{ticket or ''}".encode()).hexdigest()[:20]


def burst_row(user: str, ticket: str | None):
	name = burst_name(user, ticket)
	if frappe.db.exists(BURST, name):
		return frappe.get_doc(BURST, name, for_update=True)
	doc = frappe.new_doc(BURST)
	doc.update({"user": user, "ticket": ticket, "pending": "[]"})
	doc.name = name
	return doc


def save_burst(doc) -> None:
	if doc.is_new():
		doc.insert(ignore_permissions=True, set_name=doc.name)
	else:
		doc.save(ignore_permissions=True)


def hold_back(doc, kind: str, text: str, until: datetime, email: bool, telegram: bool = True) -> None:
	pending = json.loads(doc.pending or "[]")
	pending.append({"kind": kind, "text": text, "telegram": telegram})
	doc.pending = json.dumps(pending, ensure_ascii=False)
	doc.pending_email = 1 if (email or doc.pending_email) else 0
	doc.flush_at = max(get_datetime(doc.flush_at), until) if doc.flush_at else until
	save_burst(doc)


def flush(now=None) -> int:
	"""Scheduler entry point (every minute): what waited goes out as one summary per user and ticket."""
	now = now or now_datetime()
	names = frappe.db.sql(f"select name from `tab{BURST}` where flush_at <= %s order by flush_at limit 1000", (now,), pluck=True)
	dms = {}
	for name in names:
		doc = frappe.get_doc(BURST, name, for_update=True)
		if not doc.flush_at or get_datetime(doc.flush_at) > now:
			continue
		pending = json.loads(doc.pending or "[]")
		lines = [p["text"] for p in pending]
		if lines:
			text = rules.summary(doc.ticket, lines)
			if any(p.get("telegram", True) for p in pending):
				dms[doc.user] = text if doc.user not in dms else dms[doc.user] + "\n\n" + text
				doc.last_sent_at = now
			if doc.pending_email:
				email(doc.user, doc.ticket, text)
		doc.pending, doc.pending_email, doc.flush_at = "[]", 0, None
		doc.save(ignore_permissions=True)
	if dms:
		events.emit(events.ALERT_AGENTS, dms)
	frappe.db.commit()  # a scheduled job
	return len(names)


# --- notifications this domain raises itself -----------------------------------------------------------------


def on_customer_messages(scores: dict) -> None:
	"""CUSTOMER_MESSAGES_STORED: the assignee hears of new customer messages on their ticket (bursts apply)."""
	for name, title, user in frappe.db.sql(
		"select name, title, assigned_to from `tabTicket` where name in %s and assigned_to is not null", (tuple(scores),)
	) if scores else []:
		notify_agents(rules.CUSTOMER_MESSAGE, name, {user: _("New customer message on ticket #{0}: {1}").format(name, title)})


def before_mention_insert(log, method=None) -> None:
	"""Notification Log before_insert: Frappe's own mention on a ticket (its comment's @user) follows the user's
	tickets preferences for mentions. Frappe's after_insert e-mails a Mention at once when its Notification
	Settings allow, and never an Alert; so while the preferences say "no e-mail now" (switched off, or quiet
	hours: then it is held for the summary) the row is inserted as an Alert and turned back into a Mention by
	on_mention, right after Frappe's after_insert, in the same transaction."""
	if log.type != "Mention" or log.document_type != "Ticket" or not log.for_user:
		return
	if permissions.ticket_role(log.for_user) is None:
		return
	plan = rules.plan(preferences.load(log.for_user), rules.MENTION, local_now(log.for_user, now_datetime()))
	log.flags.tg_mention_plan = plan
	log.flags.tg_bell_seen = frappe.db.get_value("Notification Settings", log.for_user, "seen")
	if rules.EMAIL not in plan.now:
		log.type = "Alert"


def on_mention(log, method=None) -> None:
	"""Notification Log after_insert (after Frappe's own): a ticket mention becomes a Mention again, leaves the
	bell when the user switched mentions' bell off, and reaches Telegram (now or after quiet hours) and the
	held e-mail summary as the preferences say."""
	plan = log.flags.pop("tg_mention_plan", None)
	if plan is None:
		return
	if log.type != "Mention":
		log.type = "Mention"
		frappe.db.set_value("Notification Log", log.name, "type", "Mention", update_modified=False)
	text = frappe.utils.strip_html(log.subject or "")
	if rules.DESK not in plan.now:
		# the bell is off for mentions: the row goes in the transaction that made it (nobody saw it), and the
		# bell's unseen mark Frappe just set goes back to what it was
		frappe.db.delete("Notification Log", log.name)
		if log.flags.tg_bell_seen:
			frappe.db.set_value("Notification Settings", log.for_user, "seen", 1, update_modified=False)
	if rules.TELEGRAM in plan.now:
		events.emit(events.ALERT_AGENTS, {log.for_user: text})
	if plan.held:
		hold_back(burst_row(log.for_user, log.document_name), rules.MENTION, text, to_system(plan.held_until),
			email=rules.EMAIL in plan.held, telegram=rules.TELEGRAM in plan.held)


def on_ticket_trash(ticket, method=None) -> None:
	frappe.db.delete(BURST, {"ticket": ticket.name})
