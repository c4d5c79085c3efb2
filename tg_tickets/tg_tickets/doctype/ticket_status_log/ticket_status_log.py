"""Ticket Status Log: one row per status a ticket entered, the history the SLA clock is computed from.

Written only by tg_tickets.sla.tracking when a ticket is created or changes status; never edited.
"""

import frappe
from frappe.model.document import Document


class TicketStatusLog(Document):
	pass


def on_doctype_update():
	# The SLA clock reads one ticket's history in order.
	frappe.db.add_index("Ticket Status Log", ["ticket", "changed_at"], "ticket_changed_at_idx")
