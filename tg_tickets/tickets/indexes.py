"""Ticket's purpose-built indexes (see benchmarks/ticket_list.py), created by the doctype's sync and again on
every migrate (frappe only syncs a doctype whose JSON changed; add_index skips an index that exists)."""

import frappe

from tg_tickets.tickets import search

TICKET_INDEXES = {
	# the desk's list queries
	"creation_idx": ["creation"],
	"status_creation_idx": ["status", "creation"],
	"assignee_status_creation_idx": ["assigned_to", "status", "creation"],
	"status_rank_creation_idx": ["status_rank", "creation"],
	"priority_rank_creation_idx": ["priority_rank", "creation"],
	# the visibility switch's alternatives, each read newest first (tickets/list_plan.py): a member's own
	# tickets, and a team's unassigned ones (assigned_to NULL or '')
	"assignee_creation_idx": ["assigned_to", "creation"],
	"team_assignee_creation_idx": ["team", "assigned_to", "creation"],
	# Routing (tg_tickets/routing/): the queue dashboard groups the waiting rows by team, a team's queue is
	# drained oldest first; both read only waiting tickets (waiting_since is empty for all others).
	"waiting_since_team_idx": ["waiting_since", "team"],
	"team_waiting_since_idx": ["team", "waiting_since"],
	"held_since_idx": ["held_since"],
}


def ensure_ticket_indexes() -> None:
	for name, columns in TICKET_INDEXES.items():
		frappe.db.add_index("Ticket", columns, name)
	search.ensure_fulltext_index()
