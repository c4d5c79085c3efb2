"""Tickets from before analytics get their Ticket Metrics row (in batches, committed as they go)."""

from tg_tickets.analytics import tracking


def execute():
	tracking.backfill()
