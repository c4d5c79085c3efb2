"""Open tickets from before SLA tracking get their policy, due times, state and next SLA event (in batches)."""

from tg_tickets.sla import backfill


def execute():
	backfill.backfill_open_tickets()
