"""The queue dashboard's figures: waiting tickets per team (count, oldest and average wait), each agent's
open tickets against capacity with availability and overload, and the tickets about to breach.

Every number comes with the ticket-table filters that select exactly its rows, so a click opens the table
filtered to them. Reads only waiting rows (index on waiting_since, team), the agent rows and the at-risk
rows (index on sla_state), never the whole ticket table.
"""

import frappe
from frappe.utils import now_datetime

from tg_tickets import permissions
from tg_tickets.routing import selection, teams
from tg_tickets.tickets.fields import UNRESOLVED_STATUSES

ABOUT_TO_BREACH_LIMIT = 10


def visible_teams(user: str) -> list[dict] | None:
	"""Teams whose queue the user may watch: all for admins and owners, the supervised ones otherwise."""
	if permissions.is_admin(user):
		return teams.all_teams()
	return [t for t in teams.all_teams() if t["supervisor"] == user]


def dashboard(user: str) -> dict:
	watched = visible_teams(user)
	everything = permissions.is_admin(user)
	names = [t["name"] for t in watched]
	now = now_datetime()
	rows = frappe.db.sql(
		"""select team, count(*) as waiting, min(waiting_since) as oldest,
		avg(timestampdiff(second, waiting_since, %(now)s)) as average_wait
		from `tabTicket` where waiting_since is not null group by team""",
		{"now": now}, as_dict=True,
	)
	by_team = {row.team: row for row in rows}
	queues = []
	for name in names + ([None] if everything and None in by_team else []):
		row = by_team.get(name) or frappe._dict(waiting=0, oldest=None, average_wait=None)
		team = teams.team(name) if name else None
		queues.append({
			"team": name,
			"model": team["model"] if team else None,
			"supervisor": team["supervisor"] if team else None,
			"waiting": row.waiting,
			"oldest_wait_seconds": int((now - row.oldest).total_seconds()) if row.oldest else None,
			"average_wait_seconds": int(row.average_wait) if row.average_wait is not None else None,
			"filters": [["Ticket", "team", "=", name] if name else ["Ticket", "team", "is", "not set"],
				["Ticket", "waiting_since", "is", "set"]],
		})
	return {
		"generated_at": str(now),
		"queues": queues,
		"agents": agent_loads(watched),
		"about_to_breach": about_to_breach(names if not everything else None),
		"can_assign": bool(watched),
	}


def agent_loads(watched: list[dict]) -> list[dict]:
	members = {}
	for team in watched:
		for member in team["members"]:
			members.setdefault(member["user"], []).append(team["name"])
	if not members:
		return []
	rows = frappe.db.sql(
		"""select a.name, a.availability, a.capacity, a.open_tickets, u.full_name from `tabTicket Agent` a
		join `tabUser` u on u.name = a.name where a.name in %(users)s""",
		{"users": list(members)}, as_dict=True,
	)
	defaults = {}
	for team in teams.all_teams():
		for member in team["members"]:
			defaults.setdefault(member["user"], []).append(team["default_capacity"])
	out = []
	for row in rows:
		agent = selection.Agent(row.name, row.availability, selection.capacity_of(row.capacity, defaults.get(row.name, [])),
			row.open_tickets)
		out.append({
			"user": row.name, "full_name": row.full_name, "teams": members[row.name], "availability": row.availability,
			"open": agent.open_tickets, "capacity": agent.capacity, "load": selection.load_state(agent),
			"filters": [["Ticket", "assigned_to", "=", row.name], ["Ticket", "status", "in", list(UNRESOLVED_STATUSES)]],
		})
	out.sort(key=lambda a: (-(a["open"] - a["capacity"]), a["full_name"] or a["user"]))
	return out


def about_to_breach(team_names: list[str] | None) -> dict:
	"""At-risk open tickets, soonest due first (a page of them; the count is exact)."""
	conditions = "sla_state = 'AT_RISK' and status in %(open)s"
	values = {"open": UNRESOLVED_STATUSES}
	filters = [["Ticket", "sla_state", "=", "AT_RISK"], ["Ticket", "status", "in", list(UNRESOLVED_STATUSES)]]
	if team_names is not None:
		if not team_names:
			return {"count": 0, "tickets": [], "filters": filters}
		conditions += " and team in %(teams)s"
		values["teams"] = team_names
		filters.append(["Ticket", "team", "in", team_names])
	count = frappe.db.sql(f"select count(*) from `tabTicket` where {conditions}", values)[0][0]
	tickets = frappe.db.sql(
		f"""select name, title, team, assigned_to,
		least(coalesce(first_response_due, resolution_due), coalesce(resolution_due, first_response_due)) as due
		from `tabTicket` where {conditions} order by due asc limit {ABOUT_TO_BREACH_LIMIT}""",
		values, as_dict=True,
	)
	return {"count": count, "tickets": tickets, "filters": filters}
