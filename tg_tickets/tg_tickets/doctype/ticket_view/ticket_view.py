"""Ticket View: who opened a ticket, and how (form or side sheet). Written by tg_tickets.privacy.audit;
immutable — only retention removes rows, with their ticket."""

import frappe
from frappe.model.document import Document

from tg_tickets.privacy import audit


class TicketView(Document):
	def validate(self):
		audit.refuse_change(self, "validate")

	def on_trash(self):
		audit.refuse_change(self, "on_trash")


def on_doctype_update():
	# a user's last view of a ticket (collapsing repeats) and the admins' list, newest first
	frappe.db.add_index("Ticket View", ["ticket", "user", "viewed_at"], "ticket_user_viewed_at_idx")
	frappe.db.add_index("Ticket View", ["viewed_at"], "viewed_at_idx")
