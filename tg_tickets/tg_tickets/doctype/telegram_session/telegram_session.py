"""Telegram Session: a bot's Telethon session in the database. Logic lives in tg_tickets.telegram.session."""

from frappe.model.document import Document


class TelegramSession(Document):
	pass
