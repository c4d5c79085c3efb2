"""Telegram Message: one message in or out of a linked chat (the outbox, too). Logic lives in tg_tickets.telegram."""

import frappe
from frappe.model.document import Document


class TelegramMessage(Document):
	pass


def on_doctype_update():
	# The outbox query (a chat's queued rows in order) and the ticket timeline.
	frappe.db.add_index("Telegram Message", ["chat", "status", "creation"], "chat_status_creation_idx")
	frappe.db.add_index("Telegram Message", ["ticket", "creation"], "ticket_creation_idx")
	frappe.db.add_index("Telegram Message", ["chat", "message_id"], "chat_message_id_idx")
