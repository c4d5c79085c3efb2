"""Ticket rules that hold whoever saves: closing stamps, the read-only closed ticket, valid assignees.

Pure checks on a Ticket document and its saved version; they raise with a message the agent can act on.
"""

import frappe
from frappe import _
from frappe.utils import now_datetime

from tg_tickets import permissions
from tg_tickets.tickets.fields import CLOSED, PRIORITY_RANK, STATUS_RANK

# Fields maintained by the server; a closed ticket's other fields are frozen.
SERVER_MAINTAINED = {
	"closed_at", "closed_by", "file_count", "comment_count", "last_comment", "status_rank", "priority_rank",
	"waiting_since", "held_since",
	# lifecycle automation (tg_tickets/lifecycle/): auto-close, follow-ups, ratings, sentiment
	"auto_close_rule", "auto_close_at", "auto_close_warned_at", "next_auto_close_event_at", "closed_by_system",
	"close_reason", "reopen_until", "follow_up_of", "reopen_count", "rating", "rating_comment", "rated_assignee",
	"rated_at", "rating_request_at", "sentiment", "sentiment_trend", "escalated_at", "last_reopened_at",
	"next_escalation_at",
}


class ClosedTicketError(frappe.ValidationError):
	pass


def set_ranks(ticket) -> None:
	ticket.status_rank = STATUS_RANK.get(ticket.status)
	ticket.priority_rank = PRIORITY_RANK.get(ticket.priority)


def validate_assignee(ticket) -> None:
	user = ticket.assigned_to
	if not user:
		return
	enabled = frappe.db.get_value("User", user, "enabled")
	if not enabled or permissions.ticket_role(user) is None:
		frappe.throw(
			_("{0} is not a Tickets member and cannot be assigned.").format(frappe.bold(user)),
			title=_("Invalid assignee"),
		)


def changed_fields(ticket, before) -> list[str]:
	"""Editable fields whose value differs from the saved version (child rows compared by chat)."""
	changed = []
	for df in ticket.meta.fields:
		if df.fieldname in SERVER_MAINTAINED or df.fieldtype in frappe.model.no_value_fields:
			continue
		if df.fieldtype in frappe.model.table_fields:
			if [row.chat for row in ticket.get(df.fieldname)] != [row.chat for row in before.get(df.fieldname)]:
				changed.append(df.fieldname)
		elif (ticket.get(df.fieldname) or None) != (before.get(df.fieldname) or None):
			changed.append(df.fieldname)
	return changed


def apply_status_rules(ticket) -> None:
	"""Closing stamps closed_at/by; a closed ticket accepts only a status change back (a reopen)."""
	before = None if ticket.is_new() else ticket.get_doc_before_save()
	was_closed = before is not None and before.status == CLOSED

	if was_closed:
		changed = changed_fields(ticket, before)
		if ticket.status == CLOSED and changed:
			frappe.throw(
				_("Ticket #{0} is closed and read-only. Reopen it by changing its status first.").format(ticket.name),
				ClosedTicketError,
				title=_("Closed ticket"),
			)
		if ticket.status != CLOSED and set(changed) - {"status"}:
			frappe.throw(
				_("Reopening a closed ticket changes only its status; save the other edits afterwards."),
				ClosedTicketError,
				title=_("Closed ticket"),
			)
		# The close stamps stay as history after a reopen.
		return

	if ticket.status == CLOSED:
		ticket.closed_at = now_datetime()
		# The system (auto-close) closes with its reason; a person's close clears a reason left from before.
		ticket.closed_by_system = 1 if ticket.flags.closed_by_system else 0
		ticket.closed_by = None if ticket.flags.closed_by_system else frappe.session.user
		if not ticket.flags.closed_by_system:
			ticket.close_reason = None


def assert_open_for_activity(ticket_name: str, what: str) -> None:
	"""New comments and files are refused on a closed ticket; locks the ticket row for the counters."""
	row = frappe.db.sql(
		"select status from `tabTicket` where name = %s for update", (ticket_name,), as_dict=True
	)
	if not row:
		frappe.throw(_("Ticket #{0} does not exist.").format(ticket_name), frappe.DoesNotExistError)
	if row[0].status == CLOSED:
		frappe.throw(
			_("Ticket #{0} is closed: no new {1}. Reopen it first.").format(ticket_name, what),
			ClosedTicketError,
			title=_("Closed ticket"),
		)
