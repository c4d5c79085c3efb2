"""Agents as routing sees them: availability (Online/Away/Offline), capacity and the open-ticket count.

`Ticket Agent.open_tickets` is the count routing decides on. It is kept in the same transaction as every
ticket change that moves it (Ticket doc events) with atomic `open_tickets = open_tickets ± 1` updates, and
read under the agent row's lock when deciding, so parallel deciders always see each other's committed
assignments (MariaDB's REPEATABLE READ would hide them from a plain COUNT after the snapshot began).
`recount` rebuilds it from the tickets (migrate, benchmark seeds).
"""

import frappe
from frappe import _

from tg_tickets import permissions
from tg_tickets.routing import selection, teams
from tg_tickets.routing.selection import OFFLINE, ONLINE
from tg_tickets.tickets import realtime
from tg_tickets.tickets.fields import UNRESOLVED_STATUSES

class UnavailableAgentError(frappe.ValidationError):
	pass


def ensure_agent(user: str) -> str:
	"""The user's Ticket Agent row (Offline, team-default capacity) with their open tickets counted."""
	if not frappe.db.exists("Ticket Agent", user):
		doc = frappe.get_doc({"doctype": "Ticket Agent", "user": user, "availability": OFFLINE})
		doc.open_tickets = count_open(user)
		doc.insert(ignore_permissions=True)
	return user


def count_open(user: str) -> int:
	return frappe.db.count("Ticket", {"assigned_to": user, "status": ("in", UNRESOLVED_STATUSES)})


def recount(users: list[str] | None = None) -> None:
	"""Open tickets per agent from the tickets themselves (one grouped query on the assignee index)."""
	users = users if users is not None else frappe.get_all("Ticket Agent", pluck="name")
	if not users:
		return
	counts = dict(frappe.db.sql(
		"""select assigned_to, count(*) from `tabTicket` where assigned_to in %(users)s and status in %(open)s
		group by assigned_to""", {"users": users, "open": UNRESOLVED_STATUSES},
	))
	for user in users:
		frappe.db.sql("update `tabTicket Agent` set open_tickets = %s where name = %s", (counts.get(user, 0), user))


def move_open_count(previous: str | None, current: str | None) -> None:
	"""A ticket's hold moved from `previous` to `current` (either None): both counts follow atomically."""
	if previous == current:
		return
	for user, delta in sorted(((previous, -1), (current, 1)), key=lambda pair: pair[0] or ""):
		if user:
			frappe.db.sql(
				"update `tabTicket Agent` set open_tickets = greatest(open_tickets + %s, 0) where name = %s", (delta, user)
			)


def team_defaults_by_user() -> dict[str, list[int]]:
	defaults: dict[str, list[int]] = {}
	for team in teams.all_teams():
		for member in team["members"]:
			defaults.setdefault(member["user"], []).append(team["default_capacity"])
	return defaults


def locked_agents(users: list[str]) -> dict[str, selection.Agent]:
	"""The agents' rows locked until commit, in user order (so two deciders never lock in opposite orders)."""
	if not users:
		return {}
	rows = frappe.db.sql(
		"""select name, availability, capacity, open_tickets from `tabTicket Agent`
		where name in %(users)s order by name for update""", {"users": sorted(set(users))}, as_dict=True,
	)
	defaults = team_defaults_by_user()
	return {
		row.name: selection.Agent(
			row.name, row.availability, selection.capacity_of(row.capacity, defaults.get(row.name, [])), row.open_tickets
		)
		for row in rows
	}


def check_assignee(user: str, purpose: str, ticket_name: str | None = None) -> None:
	"""Hook `tg_tickets_check_assignee`: nobody takes a ticket while Away/Offline or at capacity, and a
	ticket waiting in a team's queue is claimed by that team's members (admins and owners: any). Locks the
	agent's row until commit, so two takers cannot both pass on the last free place."""
	if purpose == "claim" and ticket_name:
		team = frappe.db.get_value("Ticket", ticket_name, "team")
		if team and not permissions.is_admin(user) and team not in teams.teams_of(user):
			frappe.throw(_("Ticket #{0} waits in the {1} team's queue; only its members claim it.").format(
				ticket_name, team), frappe.PermissionError, title=_("Not your team's queue"))
	ensure_agent(user)
	agent = locked_agents([user])[user]
	if agent.availability != ONLINE:
		who = _("You are") if user == frappe.session.user else _("{0} is").format(user)
		frappe.throw(_("{0} {1}: only Online agents take tickets.").format(who, _(agent.availability)),
			UnavailableAgentError, title=_("Not online"))
	if not has_room(agent):
		who = _("You hold") if user == frappe.session.user else _("{0} holds").format(user)
		frappe.throw(_("{0} {1} open tickets, the capacity: close or hand over one first.").format(who, agent.open_tickets),
			UnavailableAgentError, title=_("At capacity"))


def has_room(agent: selection.Agent, tickets: int = 1) -> bool:
	"""Room for `tickets` more. An agent with no capacity of their own and in no team has none configured:
	nothing to exceed (automatic models never pick them: they route to team members only)."""
	return not agent.capacity or agent.open_tickets + tickets <= agent.capacity


def publish_queue_changed() -> None:
	realtime.notify_queue_changed()
