"""Routing applied: which team's queue a ticket enters and which agent the team's model picks, when a ticket
is created (every creation path ends in a Ticket insert: desk, REST, bot intake, broadcast follow-up), when
it enters a queue, and when capacity frees or an agent comes online (the queue is drained oldest first).

The choice itself is tg_tickets/routing/selection.py; this module reads its inputs under row locks (the
team's row for the rotation, then the agents' rows in user order) and writes the answer, with the reason, in
the caller's transaction. Jobs commit per batch; doc events never commit.
"""

import frappe
from frappe import _
from frappe.utils import now_datetime

from tg_tickets import permissions
from tg_tickets.routing import agents, selection, teams
from tg_tickets.routing.selection import AUTOMATIC_MODELS, TicketFacts
from tg_tickets.tickets import assignment
from tg_tickets.tickets.fields import UNRESOLVED_STATUSES

DRAIN_BATCH = 25


def facts(ticket) -> TicketFacts:
	"""What the rules read: category, team, and the text (title, description — the bot's first message)."""
	text = "\n".join(str(part) for part in (ticket.get("title"), ticket.get("description")) if part)
	return TicketFacts(category=ticket.get("category"), text=text, team=ticket.get("team"))


def reason_line(model: str, team: str, rule: str, choice: selection.Choice) -> str:
	return _("{model} in team {team} (team: {rule}); {why}").format(
		model=model, team=team, rule=rule, why=choice.reason
	) + (_(", {0} of {1} members available").format(choice.available, choice.members) if choice.agent else "")


def locked_rotation(team_name: str) -> str | None:
	row = frappe.db.sql("select last_assigned_to from `tabTicket Team` where name = %s for update", (team_name,))
	return row[0][0] if row else None


def set_rotation(team_name: str, user: str) -> None:
	frappe.db.sql("update `tabTicket Team` set last_assigned_to = %s where name = %s", (user, team_name))


def decide(ticket) -> tuple[str | None, str | None, str]:
	"""(team, agent, reason) for a ticket, under locks held until the caller's commit. Reads: the teams from
	cache, the team row and its agents' rows (two locking SELECTs); writes the rotation (one UPDATE)."""
	ticket_facts = facts(ticket)
	team_choice = selection.pick_team(teams.rules(), ticket_facts)
	if not team_choice.team:
		return None, None, team_choice.rule
	team = teams.team(team_choice.team)
	model = team["model"]
	if model not in AUTOMATIC_MODELS:
		choice = selection.choose(model, [], None)
		return team["name"], None, reason_line(model, team["name"], team_choice.rule, choice)
	last_user = locked_rotation(team["name"])
	locked = agents.locked_agents([m["user"] for m in team["members"]])
	members = members_in_order(team, locked)
	choice = selection.choose(model, members, last_user, ticket_facts)
	if choice.agent:
		set_rotation(team["name"], choice.agent)
	return team["name"], choice.agent, reason_line(model, team["name"], team_choice.rule, choice)


def members_in_order(team: dict, locked: dict[str, selection.Agent]) -> list[selection.Agent]:
	"""Team members in rotation order with their locked state and skills; members without an agent row
	(never set up) count as Offline."""
	out = []
	for member in team["members"]:
		agent = locked.get(member["user"]) or selection.Agent(member["user"])
		out.append(selection.Agent(agent.user, agent.availability, agent.capacity, agent.open_tickets, tuple(member["skills"])))
	return out


# --- Ticket doc events (hooks.py) ----------------------------------------------------------------------


def before_ticket_insert(ticket, method=None) -> None:
	"""A new ticket enters a team's queue and, under an automatic model, gets its agent in the same insert."""
	if ticket.assigned_to or ticket.status not in UNRESOLVED_STATUSES:
		if not ticket.team:
			ticket.team = selection.pick_team(teams.rules(), facts(ticket)).team
		return
	team, agent, reason = decide(ticket)
	ticket.team = team
	if agent:
		ticket.assigned_to = agent
		ticket.flags.assignment_reason = reason
		ticket.flags.assignee_checked = True  # decided under the agent's lock
	elif team:
		ticket.flags.queue_reason = reason


def keep_waiting_since(ticket, method=None) -> None:
	"""Ticket before_validate: `waiting_since` is set while the ticket is open and unassigned, `held_since`
	while it is open and assigned (reset when the assignee changes); each is empty otherwise."""
	unresolved = ticket.status in UNRESOLVED_STATUSES
	if not unresolved or ticket.assigned_to:
		ticket.waiting_since = None
	elif not ticket.waiting_since:
		ticket.waiting_since = now_datetime()
	before = None if ticket.is_new() else ticket.get_doc_before_save()
	if not unresolved or not ticket.assigned_to:
		ticket.held_since = None
	elif not ticket.held_since or (before is not None and before.assigned_to != ticket.assigned_to):
		ticket.held_since = now_datetime()


def check_new_holder(ticket, method=None) -> None:
	"""Ticket validate: whoever hands a ticket to an agent (a field edit, Frappe's Assign To, an import), the
	agent must be Online with room, as under the models; users never set up as agents (no Ticket Agent row)
	are not routed and not checked. A reopen keeps its holder, and an SLA escalation to the policy's
	supervisor (a server update, flagged by sla/) is the policy's explicit override."""
	if ticket.flags.assignee_checked or ticket.flags.sla_server_update:
		return
	if not ticket.assigned_to or ticket.status not in UNRESOLVED_STATUSES:
		return
	before = None if ticket.is_new() else ticket.get_doc_before_save()
	if before is not None and before.assigned_to == ticket.assigned_to:
		return
	if frappe.db.exists("Ticket Agent", ticket.assigned_to):
		agents.check_assignee(ticket.assigned_to, "assign", ticket.name)


def after_ticket_change(ticket, method=None) -> None:
	"""Ticket on_update: the open counts follow the holder; freed capacity or a ticket entering a queue
	drains that queue (a job after commit); the reason a ticket waits goes into its history."""
	before = ticket.get_doc_before_save()
	holder_before = held_by(before)
	holder_now = held_by(ticket)
	agents.move_open_count(holder_before, holder_now)
	if ticket.flags.queue_reason:
		ticket.add_comment("Info", _("Waiting in the queue: {0}").format(ticket.flags.queue_reason))
	drain = set()
	if holder_before and holder_before != holder_now:
		drain.update(teams.teams_of(holder_before))
	if before and ticket.waiting_since and ticket.team and (before.team != ticket.team or not before.waiting_since):
		drain.add(ticket.team)
	if drain:
		enqueue_drain(sorted(drain))
	if holder_before != holder_now or (before is None) or bool(before.waiting_since) != bool(ticket.waiting_since):
		agents.publish_queue_changed()


def on_tickets_closed(before: dict, closed: dict, now) -> None:
	"""TICKETS_CLOSED_BY_SYSTEM: `keep_waiting_since` for closed tickets — neither waiting nor held. A SOLVED
	ticket was neither already and held nobody's capacity, so no count moves and no queue drains."""
	frappe.db.sql(
		"""update `tabTicket` set waiting_since = null, held_since = null
		where name in %s and (waiting_since is not null or held_since is not null)""",
		(tuple(before),),
	)


def on_ticket_trash(ticket, method=None) -> None:
	holder = held_by(ticket)
	if holder:
		agents.move_open_count(holder, None)
		enqueue_drain(teams.teams_of(holder))


def held_by(ticket) -> str | None:
	if ticket is None or ticket.status not in UNRESOLVED_STATUSES:
		return None
	return ticket.assigned_to or None


# --- the queue -------------------------------------------------------------------------------------------


def enqueue_drain(team_names) -> None:
	for name in team_names:
		team = teams.team(name)
		if team and team["model"] in AUTOMATIC_MODELS:
			frappe.enqueue(
				"tg_tickets.routing.assign.drain", team_name=name, queue="short", enqueue_after_commit=True,
				job_id=f"tg_tickets_drain::{frappe.local.site}::{name}", deduplicate=True,
			)


def enqueue_drain_for(user: str) -> None:
	enqueue_drain(teams.teams_of(user))


def drain(team_name: str) -> int:
	"""Assigns the team's waiting tickets, oldest first, while its members have room; commits per batch so
	locks are short. Returns how many were assigned."""
	total = 0
	while True:
		assigned = drain_batch(team_name)
		frappe.db.commit()
		total += assigned
		if assigned < DRAIN_BATCH:
			return total


def drain_batch(team_name: str) -> int:
	team = teams.team(team_name)
	if not team or team["model"] not in AUTOMATIC_MODELS:
		return 0
	last_user = locked_rotation(team_name)
	members = members_in_order(team, agents.locked_agents([m["user"] for m in team["members"]]))
	room = sum(m.free_capacity for m in members if m.available)
	if not room:
		return 0
	waiting = frappe.db.sql(
		"""select name, title, description, category, team from `tabTicket`
		where team = %s and waiting_since is not null order by waiting_since asc, name asc limit %s
		for update""",  # the latest rows, locked: a ticket claimed meanwhile is not taken back
		(team_name, min(room, DRAIN_BATCH)), as_dict=True,
	)
	plan = selection.plan_queue(team["model"], members, last_user, [(row.name, facts(row)) for row in waiting])
	for ticket_name, agent, why in plan.assignments:
		reason = reason_line(team["model"], team_name, _("the queue, oldest first"), selection.Choice(agent, why))
		try:
			assignment.assign(ticket_name, agent, reason, check=False)
		except assignment.AlreadyClaimedError:
			continue
	if plan.last_user and plan.last_user != last_user:
		set_rotation(team_name, plan.last_user)
	return len(plan.assignments)


def drain_all() -> None:
	"""Scheduler (every minute): each automatic team with waiting tickets and a member with room."""
	waiting_teams = frappe.db.sql_list(
		"select distinct team from `tabTicket` where waiting_since is not null and team is not null"
	)
	for name in waiting_teams:
		team = teams.team(name)
		if team and team["model"] in AUTOMATIC_MODELS:
			drain(name)


def return_unanswered() -> None:
	"""Scheduler (every minute): under teams that ask for it, a ticket whose assignee has not replied to the
	customer (no first response yet) within the team's minutes goes back to the team's queue. Reads only
	held tickets older than the shortest limit (index on held_since)."""
	limits = {t["name"]: t["return_unanswered_after"] for t in teams.all_teams() if t.get("return_unanswered_after")}
	if not limits:
		return
	now = now_datetime()
	oldest_allowed = frappe.utils.add_to_date(now, minutes=-min(limits.values()))
	rows = frappe.db.sql(
		"""select name, team, assigned_to, held_since from `tabTicket` where held_since < %s
		and first_responded_at is null and team in %s""", (oldest_allowed, list(limits)), as_dict=True,
	)
	for row in rows:
		if row.held_since >= frappe.utils.add_to_date(now, minutes=-limits[row.team]):
			continue
		assignment.release(row.name, row.assigned_to, _("no reply within {0} minutes, back to the {1} queue").format(
			limits[row.team], row.team))
		frappe.db.commit()


# --- the supervisor's hand -----------------------------------------------------------------------------


def may_assign_from_queue(team_names, user: str | None = None) -> bool:
	user = user or frappe.session.user
	if permissions.is_admin(user):
		return True
	supervised = set(teams.supervised_by(user))
	return bool(team_names) and all(name in supervised for name in team_names)


def supervisor_assign(ticket_names: list[str], agent: str) -> list[str]:
	"""A supervisor (of every ticket's team) or an admin gives these tickets to `agent`, who must be Online
	with room for all of them. All or nothing."""
	ticket_names = list(dict.fromkeys(ticket_names))
	if not ticket_names:
		frappe.throw(_("Choose at least one ticket."))
	rows = frappe.get_list("Ticket", filters={"name": ("in", ticket_names)}, fields=["name", "team"], limit=len(ticket_names))
	if len(rows) != len(ticket_names):
		frappe.throw(_("Some of these tickets do not exist or are not visible to you."), frappe.PermissionError)
	if not may_assign_from_queue({row.team for row in rows}):
		frappe.throw(_("Only the supervisor of the tickets' team, an admin or an owner assigns from the queue."),
			frappe.PermissionError)
	agents.ensure_agent(agent)
	locked = agents.locked_agents([agent])[agent]
	if locked.availability != selection.ONLINE:
		frappe.throw(_("{0} is {1}: only Online agents take tickets.").format(agent, _(locked.availability)),
			agents.UnavailableAgentError)
	if not agents.has_room(locked, len(ticket_names)):
		frappe.throw(_("{0} has room for {1} more tickets, not {2}.").format(agent, locked.free_capacity, len(ticket_names)),
			agents.UnavailableAgentError)
	reason = _("assigned from the queue by {0}").format(frappe.utils.get_fullname(frappe.session.user))
	for name in ticket_names:
		assignment.assign(name, agent, reason, check=False)
	return ticket_names
