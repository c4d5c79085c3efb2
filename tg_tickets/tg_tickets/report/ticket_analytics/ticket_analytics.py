"""Ticket Analytics: the figures come from tg_tickets/analytics/report.py."""

from tg_tickets.analytics import report


def execute(filters=None):
	return report.run(filters)
