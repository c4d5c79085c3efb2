"""Desk endpoints for Telegram messages: move a misplaced message, or make a ticket from it."""

import frappe
from frappe import _

from tg_tickets import permissions


def editable_message(name: str):
	if not frappe.db.exists("Telegram Message", name):
		frappe.throw(_("Telegram message {0} does not exist.").format(name), frappe.DoesNotExistError)
	if not permissions.can("write"):
		frappe.throw(_("You cannot change tickets."), frappe.PermissionError)
	return frappe.get_doc("Telegram Message", name)


@frappe.whitelist(methods=["POST"])
def move_message(message: str, ticket: str):
	"""Moves a message logged on the wrong ticket (or flagged) to `ticket`, its content untouched."""
	doc = editable_message(message)
	if not frappe.db.exists("Ticket", ticket):
		frappe.throw(_("Ticket {0} does not exist.").format(ticket), frappe.DoesNotExistError)
	frappe.has_permission("Ticket", "write", ticket, throw=True)
	if doc.ticket == ticket:
		return {"message": doc.name, "ticket": ticket}
	frappe.db.set_value("Telegram Message", doc.name, {
		"moved_from_ticket": doc.ticket, "ticket": ticket, "flagged": 0, "flag_reason": None,
	})
	from tg_tickets.realtime import notify_ticket_changed

	for name in filter(None, {doc.ticket, ticket}):
		notify_ticket_changed(name)
	return {"message": doc.name, "ticket": ticket}


@frappe.whitelist(methods=["POST"])
def create_ticket_from_message(message: str, title: str | None = None):
	"""A flagged message becomes a new ticket; the message moves to it."""
	from tg_tickets.telegram.inbound import ticket_from_message

	editable_message(message)
	if not permissions.can("create"):
		frappe.throw(_("You cannot create tickets."), frappe.PermissionError)
	ticket = ticket_from_message(message, title)
	from tg_tickets.realtime import notify_ticket_changed

	notify_ticket_changed(ticket)
	return {"ticket": ticket, "message": message}
