"""SLA reminders, breach notices and escalation: each happens once per ticket and event.

Once: `claim` inserts an SLA Notification named "<ticket>:<event>" before anything is sent, in the same
transaction as the sending (Notification Log rows and queued e-mail are rows too). A second worker or a re-run
hits the primary key and sends nothing; a failed job rolls back its claim with its messages.

Escalation, the way helpdesks do it (Zendesk, Freshdesk): the ticket is reassigned to the policy's supervisor,
every member of the policy's team is notified, and the original agent gets an explicit read share and a notice,
so they keep the ticket in sight. Without a supervisor the ticket stays with the agent and the team is notified.

This module never decides *when* (tg_tickets.sla.clock does) and never commits (the sweep's job does).
"""

from __future__ import annotations

import importlib
import importlib.util

import frappe
from frappe import _
from frappe.utils import format_datetime, get_url_to_form, now_datetime

from tg_tickets import permissions
from tg_tickets.sla import clock, policy, tracking

CLOCK_LABELS = {clock.FIRST_RESPONSE: "first response", clock.RESOLUTION: "resolution"}


def claim(ticket_name: str, event: clock.Event, recipients: list[str]) -> bool:
	"""True for the one caller that gets to send this event for this ticket."""
	try:
		frappe.get_doc(
			{
				"doctype": "SLA Notification",
				"ticket": ticket_name,
				"event": event.key,
				"kind": event.kind,
				"event_at": tracking.to_naive(event.at),
				"recipients": "\n".join(recipients),
			}
		).insert(ignore_permissions=True)
	except frappe.DuplicateEntryError:
		frappe.clear_last_message()
		return False
	return True


def recipients_for(ticket, event: clock.Event, rules: policy.PolicyRules) -> list[str]:
	supervisors = ([rules.escalate_to] if rules.escalate_to else []) + policy.team_members(rules.escalation_team)
	if event.kind == "escalation":
		users = supervisors + ([ticket.assigned_to] if ticket.assigned_to else [])
	else:
		users = [ticket.assigned_to] if ticket.assigned_to else supervisors
	enabled = set(frappe.get_all("User", filters={"name": ("in", users), "enabled": 1}, pluck="name")) if users else set()
	return list(dict.fromkeys(u for u in users if u in enabled))


def subject_for(ticket, event: clock.Event, due) -> str:
	what = CLOCK_LABELS[event.clock]
	ref = f"#{ticket.name} {ticket.title}"
	if event.kind == "reminder":
		return _("SLA reminder: {0} % of the {1} time used on {2} (due {3})").format(event.percent, what, ref, due)
	if event.kind == "breach":
		return _("SLA breached: the {0} target of {1} was due {2}").format(what, ref, due)
	return _("SLA escalation: {0} breached its {1} target (due {2}) and was escalated").format(ref, what, due)


def send(ticket, event: clock.Event, recipients: list[str], due) -> None:
	"""Desk notification, queued e-mail and, where the Telegram sync offers it, a Telegram message."""
	if not recipients:
		return
	subject = subject_for(ticket, event, format_datetime(due) if due else "—")
	for user in recipients:
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": "Alert",
				"subject": subject,
				"document_type": "Ticket",
				"document_name": ticket.name,
				"from_user": "Administrator",
			}
		).insert(ignore_permissions=True)
	emails = [e for e in frappe.get_all("User", filters={"name": ("in", recipients)}, pluck="email") if e]
	if emails:
		send_email(emails, subject, ticket)
	notify_agent = telegram_notifier()
	if notify_agent:
		for user in recipients:
			notify_agent(user, subject)


def send_email(emails: list[str], subject: str, ticket) -> bool:
	"""Queued e-mail (sent by Frappe's e-mail queue). A site without an outgoing account gets none: the desk
	notification still stands, so the SLA event is not lost over a missing mail setup."""
	try:
		frappe.sendmail(
			recipients=emails,
			subject=subject,
			message=f'<p>{frappe.utils.escape_html(subject)}</p><p><a href="{get_url_to_form("Ticket", ticket.name)}">'
			f"{frappe.utils.escape_html(ticket.title)}</a></p>",
			reference_doctype="Ticket",
			reference_name=ticket.name,
			now=False,
		)
	except frappe.OutgoingEmailError:
		frappe.clear_last_message()
		frappe.logger("tg_tickets.sla").warning(f"SLA e-mail for ticket {ticket.name} skipped: no outgoing e-mail account")
		return False
	return True


def telegram_notifier():
	"""tg_tickets.telegram.outbound.notify_agent(user, text), once the Telegram sync (built separately)
	provides it; it knows which agents linked a Telegram account. Until then: desk and e-mail only."""
	# Guarded import: the module may not exist yet; an error *inside* it must still surface.
	if importlib.util.find_spec("tg_tickets.telegram.outbound") is None:
		return None
	outbound = importlib.import_module("tg_tickets.telegram.outbound")
	return getattr(outbound, "notify_agent", None)


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
