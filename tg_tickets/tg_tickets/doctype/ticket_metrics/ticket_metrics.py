"""One ticket's support figures, written by the server only (tg_tickets/analytics/tracking.py); named after its
ticket. Holds no personal data, so anonymising a ticket keeps it; deleting the ticket deletes it."""

import frappe
from frappe.model.document import Document


class TicketMetrics(Document):
	pass


def on_doctype_update():
	# Every report reads a date range (tg_tickets/analytics/figures.py): created, resolved or closed in the period,
	# for everyone or for one agent (a member's own figures). The open_since index serves the backlog.
	for column in ("created_date", "resolved_date", "closed_date"):
		frappe.db.add_index("Ticket Metrics", [column], f"{column}_idx")
		frappe.db.add_index("Ticket Metrics", ["agent", column], f"agent_{column}_idx")
	frappe.db.add_index("Ticket Metrics", ["open_since"], "open_since_idx")
