"""Canned Response Usage: the figures come from tg_tickets/replies/reports.py."""

from tg_tickets.replies import reports


def execute(filters=None):
	return reports.response_usage(filters)
