"""One ticket's support figures, written by the server only (tg_tickets/analytics/tracking.py); named after its
ticket. Holds no personal data, so anonymising a ticket keeps it; deleting the ticket deletes it."""

import frappe
from frappe.model.document import Document

from tg_tickets.analytics.figures import COVERING_INDEXES


class TicketMetrics(Document):
	pass


def on_doctype_update():
	# Every report reads one date range (created, resolved or closed in the period; open now for the backlog), for
	# everyone or for one agent (a member's own figures). Each index holds every column its query reads, so a range
	# is read from the index alone: at 1M rows the row lookups of plain date indexes cost seconds
	# (scripts/benchmark analytics: 4.5 s for the 30-day summary; see figures.py for the figures with these).
	for name, columns in COVERING_INDEXES.items():
		frappe.db.add_index("Ticket Metrics", list(columns), name)
