"""Who holds a ticket: assign, claim and release as ticket operations, and the mirror of the assignee in
Frappe's ToDo (the "Assigned To" sidebar, the ToDo list and the notification bell).

Any domain may call these (the desk API, Telegram's Claim button); none of them knows about teams or
capacity. Before an agent is given a ticket the `tg_tickets_check_assignee` hooks run (routing/ refuses an
agent who is not Online or is full and holds that agent's row lock until commit); after it, the
`tg_tickets_on_ticket_assigned` hooks (ticket doc, previous assignee, reason). Never commits.
"""

import frappe
from frappe import _
from frappe.desk.doctype.notification_log.notification_log import set_notifications_as_unseen
from frappe.utils import now_datetime

from tg_tickets.tickets import bulk, events, realtime
from tg_tickets.tickets.fields import UNRESOLVED_STATUSES

# (user, purpose, ticket name): raise to refuse; purpose is "claim" or "assign".
CHECK_ASSIGNEE = "tg_tickets_check_assignee"
# (ticket doc, previous assignee or None, reason): after the assignment is saved, in the same transaction.
TICKET_ASSIGNED = "tg_tickets_on_ticket_assigned"


class AlreadyClaimedError(frappe.ValidationError):
	"""Someone else holds the ticket: the message names them (HTTP 409 Conflict over REST)."""

	http_status_code = 409


def is_unresolved(ticket) -> bool:
	return ticket.status in UNRESOLVED_STATUSES


def claim(ticket_name: str, user: str) -> "frappe.model.document.Document":
	"""`user` takes an unassigned ticket. Exactly one of several simultaneous claimers wins: the ticket row is
	locked, and whoever finds it already held gets AlreadyClaimedError naming the holder."""
	events.emit(CHECK_ASSIGNEE, user, "claim", ticket_name)
	holder = _locked_holder(ticket_name)
	if holder:
		frappe.throw(
			_("{0} already took ticket #{1}.").format(_user_name(holder) if holder != user else _("You"), ticket_name),
			AlreadyClaimedError, title=_("Already claimed"),
		)
	ticket = frappe.get_doc("Ticket", ticket_name)
	if not is_unresolved(ticket):
		frappe.throw(_("Ticket #{0} is {1}: there is nothing to claim.").format(ticket_name, ticket.status))
	return _assign(ticket, user, _("claimed by {0}").format(_user_name(user)))


def assign(ticket_name: str, user: str, reason: str, *, check: bool = True):
	"""Gives the ticket to `user` (a supervisor's choice, a queue job's): the ticket row is locked first so a
	simultaneous claim cannot slip in between. `check=False` when the caller already ran the checks under
	its own locks (routing/ does, for many tickets at once)."""
	if check:
		events.emit(CHECK_ASSIGNEE, user, "assign", ticket_name)
	_locked_holder(ticket_name)
	ticket = frappe.get_doc("Ticket", ticket_name)
	if ticket.assigned_to == user:
		return ticket
	if not is_unresolved(ticket):
		frappe.throw(_("Ticket #{0} is {1}: it cannot be assigned.").format(ticket_name, ticket.status))
	return _assign(ticket, user, reason)


def release(ticket_name: str, holder: str, reason: str):
	"""The ticket goes back to its queue, if `holder` still holds it (checked under the row lock)."""
	if _locked_holder(ticket_name) != holder:
		return None
	ticket = frappe.get_doc("Ticket", ticket_name)
	ticket.assigned_to = None
	ticket.flags.assignment_reason = reason
	ticket.save(ignore_permissions=True)
	return ticket


def _locked_holder(ticket_name: str) -> str | None:
	row = frappe.db.sql("select assigned_to from `tabTicket` where name = %s for update", (ticket_name,))
	if not row:
		frappe.throw(_("Ticket #{0} does not exist.").format(ticket_name), frappe.DoesNotExistError)
	return row[0][0] or None


def _assign(ticket, user: str, reason: str):
	ticket.assigned_to = user
	ticket.flags.assignment_reason = reason
	ticket.flags.assignee_checked = True  # the check above (or the caller's, under its locks) already ran
	ticket.save(ignore_permissions=True)  # the caller checked who may do this
	return ticket


def _user_name(user: str) -> str:
	return frappe.utils.get_fullname(user) or user


def after_ticket_save(ticket, method=None) -> None:
	"""Ticket on_update (every path that changes the assignee ends here): the history line, ToDo and bell
	follow the assignee, and the `tg_tickets_on_ticket_assigned` hooks run."""
	before = ticket.get_doc_before_save()
	previous = before.assigned_to if before else None
	if (previous or None) == (ticket.assigned_to or None):
		return
	reason = ticket.flags.assignment_reason
	if ticket.assigned_to:
		line = _("Assigned to {0}").format(_user_name(ticket.assigned_to))
		ticket.add_comment("Info", f"{line}: {reason}" if reason else line)
	elif previous:
		ticket.add_comment("Info", _("Unassigned from {0}").format(_user_name(previous)) + (f": {reason}" if reason else ""))
	if not ticket.flags.from_todo:
		mirror_in_todo(ticket, previous)
	events.emit(TICKET_ASSIGNED, ticket, previous, reason)


# --- Frappe's ToDo, both ways ----------------------------------------------------------------------------


def mirror_in_todo(ticket, previous: str | None) -> None:
	"""The assignee's open ToDo (the sidebar's "Assigned To", the ToDo list, the bell); the previous one's is
	cancelled. Written as ToDo documents so Frappe keeps `_assign` itself."""
	for name in frappe.get_all(
		"ToDo", filters={"reference_type": "Ticket", "reference_name": ticket.name, "status": "Open",
		"allocated_to": ("!=", ticket.assigned_to or "")}, pluck="name",
	):
		todo = frappe.get_doc("ToDo", name)
		todo.flags.from_ticket = True
		todo.status = "Cancelled"
		todo.save(ignore_permissions=True)
	if ticket.assigned_to and not frappe.db.exists(
		"ToDo", {"reference_type": "Ticket", "reference_name": ticket.name, "status": "Open", "allocated_to": ticket.assigned_to}
	):
		todo = frappe.get_doc({
			"doctype": "ToDo", "allocated_to": ticket.assigned_to, "reference_type": "Ticket",
			"reference_name": ticket.name, "description": frappe.utils.escape_html(ticket.title or ticket.name),
			"status": "Open", "date": now_datetime().date(), "assigned_by": frappe.session.user,
			"priority": {"HIGH": "High", "LOW": "Low"}.get(ticket.priority, "Medium"),
		})
		todo.flags.from_ticket = True
		todo.insert(ignore_permissions=True)
		if ticket.assigned_to != frappe.session.user:
			ring_bell(ticket, todo.assigned_by)


def ring_bell(ticket, assigned_by: str) -> None:
	"""The assignee's bell: an Assignment row in Notification Log, written in this transaction (the way
	sla/notify.py writes its alerts). Frappe's notify_assignment would queue a job per assignment that also
	e-mails, which a burst of routed tickets turns into a queue of jobs ahead of the Telegram deliveries."""
	now = now_datetime()
	subject = _("{0} assigned you ticket #{1}: {2}").format(_user_name(assigned_by), ticket.name, ticket.title or "")
	if frappe.get_hooks(events.NOTIFY_AGENTS):
		# the assignee's preferences decide: bell, e-mail, Telegram DM (tg_tickets/notify/)
		events.emit(events.NOTIFY_AGENTS, "Assigned to me", ticket.name, {ticket.assigned_to: subject},
			from_user=assigned_by, log_type="Assignment")
		return
	bulk.insert_rows(
		"Notification Log",
		["name", "creation", "modified", "owner", "modified_by", "for_user", "type", "subject", "document_type",
		 "document_name", "from_user", "read"],
		[(frappe.generate_hash(length=12), now, now, assigned_by, assigned_by, ticket.assigned_to, "Assignment",
		  frappe.utils.escape_html(subject), "Ticket", ticket.name, assigned_by, 0)],
	)
	set_notifications_as_unseen(ticket.assigned_to)
	realtime.notify_bell(ticket.assigned_to)


def after_todo_insert(todo, method=None) -> None:
	"""Someone used Frappe's "Assign To" on a ticket: the ticket's assignee follows (the last one wins)."""
	if todo.reference_type != "Ticket" or todo.flags.from_ticket or todo.status != "Open":
		return
	ticket = frappe.get_doc("Ticket", todo.reference_name)
	if ticket.assigned_to != todo.allocated_to:
		ticket.assigned_to = todo.allocated_to
		ticket.flags.from_todo = True
		ticket.flags.assignment_reason = _("assigned with Frappe's Assign To by {0}").format(_user_name(frappe.session.user))
		ticket.save()


def after_todo_update(todo, method=None) -> None:
	"""Removing the assignee in Frappe's sidebar (the ToDo is cancelled) unassigns the ticket."""
	if todo.reference_type != "Ticket" or todo.flags.from_ticket or todo.status != "Cancelled":
		return
	ticket = frappe.get_doc("Ticket", todo.reference_name)
	if ticket.assigned_to == todo.allocated_to:
		ticket.assigned_to = None
		ticket.flags.from_todo = True
		ticket.flags.assignment_reason = _("removed with Frappe's Assign To by {0}").format(_user_name(frappe.session.user))
		ticket.save()
