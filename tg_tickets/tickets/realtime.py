"""Every realtime event the app publishes to the desk, in one place (after commit, so a client that reacts
reads what the event announces). Frappe publishes `list_update` itself on a normal save; these cover the
changes made outside one (counters, sync jobs, the SLA sweep)."""

import frappe


def notify_ticket_changed(ticket_name: str) -> None:
	"""Same event a Document save publishes, so open list views and forms refresh the row; plus ours for the
	side sheet."""
	frappe.publish_realtime(
		"list_update", {"doctype": "Ticket", "name": ticket_name, "user": frappe.session.user}, after_commit=True
	)
	frappe.publish_realtime(
		"tg_ticket_changed",
		{"name": ticket_name, "user": frappe.session.user},
		doctype="Ticket",
		docname=ticket_name,
		after_commit=True,
	)


def notify_ticket_row(ticket_name: str) -> None:
	"""Only the ticket lists' row refresh, to the clients watching Ticket lists (the SLA sweep writes
	thousands of rows a minute: no side sheet reloads, no broadcast to every desk)."""
	frappe.publish_realtime("list_update", {"doctype": "Ticket", "name": ticket_name}, doctype="Ticket", after_commit=True)


def notify_conversation_changed(tickets) -> None:
	"""Telegram messages of these tickets were added or changed: open side sheets reload their conversation.
	One event for many tickets (an inbox batch), not one per message."""
	tickets = sorted({t for t in tickets if t})
	if tickets:
		frappe.publish_realtime("tg_telegram_messages", {"tickets": tickets}, after_commit=True)


def notify_message_status(ticket: str, message: str, status: str) -> None:
	"""An outgoing message became Sent or Failed. Published at once: delivery commits before it calls this."""
	frappe.publish_realtime(
		"tg_telegram_message",
		{"ticket": ticket, "name": message, "status": status},
		doctype="Ticket",
		docname=ticket,
		after_commit=False,
	)


def notify_flagged_message(message: str, chat: str, reason: str) -> None:
	"""A message arrived outside any ticket: agents are told where it is and why."""
	frappe.publish_realtime(
		"tg_flagged_message", {"message": message, "chat": chat, "reason": reason}, after_commit=True
	)


def notify_bell(user: str) -> None:
	"""The desk's notification bell of `user` fetches its new rows (Frappe's own event name)."""
	frappe.publish_realtime("notification", after_commit=True, user=user)


QUEUE_CHANGED = "tg_queue_changed"


def notify_queue_changed() -> None:
	"""Who holds or waits for tickets changed (an assignment, a claim, an agent's availability): open queue
	dashboards reload their figures (they coalesce bursts)."""
	frappe.publish_realtime(QUEUE_CHANGED, {}, after_commit=True)
