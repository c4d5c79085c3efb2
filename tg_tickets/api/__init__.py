"""Whitelisted endpoints, grouped by domain (ticket, chat, telegram); `tg_tickets.api.send_reply` is the
integrations' reply path. Every endpoint is permission-checked."""

import frappe

from tg_tickets.api.telegram import create_ticket_from_message, move_message  # noqa: F401 - endpoints


@frappe.whitelist(methods=["POST"])
def send_reply(ticket: str, message: str = "", attachments=None):
	"""An agent's reply to the ticket's customer on Telegram: stored Queued now, delivered after commit."""
	from tg_tickets.telegram.outbound import send_reply as queue_reply

	return queue_reply(ticket, message, attachments)
