"""Telegram Update: the listener's durable inbox; `update_key` (bot:chat:message id:kind) is unique."""

import frappe
from frappe.model.document import Document


class TelegramUpdate(Document):
	pass


def on_doctype_update():
	frappe.db.add_index("Telegram Update", ["status", "name"], "status_name_idx")
