"""Canned Response Usage: how often an agent sent a response on a day (one row per response, agent and day,
counted by tg_tickets/replies/responses.py in the reply's transaction). Read-only in the desk."""

import frappe
from frappe.model.document import Document


class CannedResponseUsage(Document):
	pass


def on_doctype_update():
	frappe.db.add_index("Canned Response Usage", ["response", "day"], "response_day_idx")
	frappe.db.add_index("Canned Response Usage", ["day"], "day_idx")
