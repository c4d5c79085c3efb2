"""Realtime events for the desk: a ticket changed outside a normal save (counters, sync jobs)."""

import frappe


def notify_ticket_changed(ticket_name: str) -> None:
	"""Same event a Document save publishes, so open list views and forms refresh the row."""
	frappe.publish_realtime(
		"list_update",
		{"doctype": "Ticket", "name": ticket_name, "user": frappe.session.user},
		after_commit=True,
	)
	frappe.publish_realtime(
		"tg_ticket_changed",
		{"name": ticket_name, "user": frappe.session.user},
		doctype="Ticket",
		docname=ticket_name,
		after_commit=True,
	)


def notify_conversation_changed(tickets) -> None:
	"""Telegram messages of these tickets were added or changed: open side sheets reload their conversation."""
	tickets = sorted({t for t in tickets if t})
	if tickets:
		frappe.publish_realtime("tg_telegram_messages", {"tickets": tickets}, after_commit=True)
