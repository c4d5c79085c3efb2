"""Routing endpoints for the desk and integrations: availability (navbar), heartbeat, Claim, the
supervisor's assignment from the queue (single and bulk), and the queue dashboard's figures."""

import frappe
from frappe import _

from tg_tickets import permissions
from tg_tickets.api.ticket import ticket_row
from tg_tickets.routing import agents, assign, queue, selection, teams
from tg_tickets.routing import availability as agent_availability
from tg_tickets.tickets import assignment


def _require_ticket_role():
	if not permissions.can_see_tickets():
		frappe.throw(_("Tickets are not available to you."), frappe.PermissionError)


@frappe.whitelist(methods=["POST"])
def set_availability(availability: str) -> dict:
	"""The navbar's Online / Away / Offline, for the session's user."""
	_require_ticket_role()
	return agent_availability.set_availability(frappe.session.user, availability)


@frappe.whitelist(methods=["POST"])
def heartbeat() -> dict:
	"""The desk was used in the last minutes: keeps an Online/Away agent from going Offline when idle."""
	_require_ticket_role()
	if frappe.db.exists("Ticket Agent", frappe.session.user):
		agent_availability.heartbeat(frappe.session.user)
	return {"availability": frappe.db.get_value("Ticket Agent", frappe.session.user, "availability") or "Offline"}


@frappe.whitelist(methods=["POST"])
def claim(ticket: str) -> dict:
	"""The Claim button: the session's user takes an unassigned ticket they can see. Of simultaneous claimers
	exactly one wins; the others get HTTP 409 with the winner's name."""
	_require_ticket_role()
	frappe.get_doc("Ticket", ticket).check_permission("read")
	return ticket_row(assignment.claim(ticket, frappe.session.user))


@frappe.whitelist(methods=["POST"])
def assign_from_queue(tickets, agent: str) -> dict:
	"""The supervisor's hand: these tickets (one or many) to `agent`, all or nothing."""
	_require_ticket_role()
	names = frappe.parse_json(tickets) if isinstance(tickets, str) and tickets.startswith("[") else tickets
	names = [names] if isinstance(names, str) else list(names or [])
	return {"assigned": assign.supervisor_assign(names, agent), "agent": agent}


@frappe.whitelist()
def queue_dashboard() -> dict:
	"""Figures for supervisors (their teams), admins and owners (all teams)."""
	_require_ticket_role()
	user = frappe.session.user
	if not (permissions.is_admin(user) or teams.supervised_by(user)):
		frappe.throw(_("The queue dashboard is for supervisors, admins and owners."), frappe.PermissionError)
	return queue.dashboard(user)


@frappe.whitelist()
def my_routing() -> dict:
	"""What the navbar and the Claim button need: the user's availability, capacity, open tickets and teams."""
	_require_ticket_role()
	return desk_state(frappe.session.user)


def desk_state(user: str) -> dict:
	row = frappe.db.get_value("Ticket Agent", user, ["availability", "capacity", "open_tickets"], as_dict=True)
	capacity = selection.capacity_of(row.capacity, agents.team_defaults_by_user().get(user, [])) if row else 0
	return {
		"availability": row.availability if row else "Offline",
		"open_tickets": row.open_tickets if row else 0,
		"capacity": capacity,
		"teams": teams.teams_of(user),
		"supervises": teams.supervised_by(user),
		"sees_queue": permissions.is_admin(user) or bool(teams.supervised_by(user)),
	}


def extend_bootinfo(bootinfo):
	"""Boot: the navbar's availability toggle and the dashboard's visibility, without a round trip."""
	if frappe.session.user != "Guest" and permissions.can_see_tickets():
		bootinfo.tg_routing = desk_state(frappe.session.user)
