"""Telegram Session Entity: a peer a bot's session has seen. Logic lives in tg_tickets.telegram.session."""

import frappe
from frappe.model.document import Document


class TelegramSessionEntity(Document):
	pass


def on_doctype_update():
	frappe.db.add_index("Telegram Session Entity", ["bot_id", "username"], "bot_username_idx")
