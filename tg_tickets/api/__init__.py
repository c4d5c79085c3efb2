"""Whitelisted endpoints, grouped by noun (ticket, chat, telegram); `tg_tickets.api.send_reply` is the
integrations' reply path. Every endpoint checks permissions, then calls the ticket services."""

import frappe
from frappe import _

from tg_tickets import permissions
from tg_tickets.api.telegram import create_ticket_from_message, move_message  # noqa: F401 - endpoints
from tg_tickets.tickets import conversation


@frappe.whitelist(methods=["POST"])
def send_reply(ticket: str, message: str = "", attachments=None):
	"""An agent's reply to the ticket's customer on Telegram: stored Queued now, delivered after commit."""
	if not ticket or not frappe.db.exists("Ticket", ticket):
		frappe.throw(_("Ticket {0} does not exist.").format(ticket or ""), frappe.DoesNotExistError)
	doc = frappe.get_doc("Ticket", ticket)
	# Replying speaks for the team: the same right as editing the ticket (members only with the switch on).
	if not permissions.can_see_tickets() or not frappe.has_permission("Ticket", "write", doc):
		frappe.throw(_("You cannot reply on ticket #{0}.").format(ticket), frappe.PermissionError)
	return conversation.queue_agent_reply(doc, message, attachments, frappe.session.user)
