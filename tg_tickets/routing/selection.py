"""Who gets a ticket: the pure choice behind every assignment model (no Frappe, no database, no clock).

The Frappe-facing part (routing/assign.py) reads the team and its agents under row locks, asks this module,
and writes the answer. Everything here is a function of its arguments, so the rules read as prose and are
tested without a site (tests/unit/test_routing_selection.py):

- An agent is *available* when Online and holding fewer open tickets than their capacity. Nobody else is
  ever chosen, whatever the model.
- The team a ticket goes to: the team the creator named; else the first team (in team order) listing the
  ticket's category; else the team whose keywords the ticket's text hits most often (ties: team order);
  else the default team; else none (the ticket is not routed).
- Round-robin: the next available member after the last one the team assigned, in member order, wrapping
  around; members who are away or full are skipped, never lose their turn to a later pass.
- Load-balanced: the available member with the fewest open tickets; ties go to the first in rotation order
  after the last assigned member, so equal loads are shared in turn.
- Skill-based: available members whose skills match the ticket (its category or a keyword in its text) are
  preferred, load-balanced among themselves; with none available, the whole team load-balanced.
- Manual claim and Supervisor: nobody is chosen; the ticket waits in the team's queue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

ONLINE, AWAY, OFFLINE = "Online", "Away", "Offline"
AVAILABILITIES = (ONLINE, AWAY, OFFLINE)

ROUND_ROBIN = "Round-robin"
LOAD_BALANCED = "Load-balanced"
SKILL_BASED = "Skill-based"
MANUAL_CLAIM = "Manual claim"
SUPERVISOR = "Supervisor"
MODELS = (ROUND_ROBIN, LOAD_BALANCED, SKILL_BASED, MANUAL_CLAIM, SUPERVISOR)
# Models under which the server picks the agent; under the others tickets wait for a person.
AUTOMATIC_MODELS = (ROUND_ROBIN, LOAD_BALANCED, SKILL_BASED)


@dataclass(frozen=True)
class Agent:
	user: str
	availability: str = OFFLINE
	capacity: int = 0
	open_tickets: int = 0
	skills: tuple[str, ...] = ()

	@property
	def available(self) -> bool:
		return self.availability == ONLINE and self.open_tickets < self.capacity

	@property
	def free_capacity(self) -> int:
		return max(self.capacity - self.open_tickets, 0)


@dataclass(frozen=True)
class Team:
	name: str
	categories: tuple[str, ...] = ()
	keywords: tuple[str, ...] = ()
	is_default: bool = False


@dataclass(frozen=True)
class TicketFacts:
	"""What the rules may look at: the ticket's category and its text (title, description, first message)."""

	category: str | None = None
	text: str = ""
	team: str | None = None


@dataclass(frozen=True)
class TeamChoice:
	team: str | None
	rule: str


@dataclass(frozen=True)
class Choice:
	agent: str | None
	reason: str
	# Members considered, for the history line ("3 of 5 available").
	available: int = 0
	members: int = 0
	skill: str | None = None


def words(text: str | None) -> list[str]:
	return re.findall(r"\w+", (text or "").lower())


def keyword_hits(keywords, text: str | None) -> list[str]:
	"""The keywords (single words or phrases, any case) found as whole words in the text, in keyword order."""
	haystack = " " + " ".join(words(text)) + " "
	hits = []
	for keyword in keywords:
		needle = " ".join(words(keyword))
		if needle and f" {needle} " in haystack and keyword not in hits:
			hits.append(keyword)
	return hits


def pick_team(teams: list[Team], ticket: TicketFacts) -> TeamChoice:
	"""The team whose queue the ticket enters, and the rule that decided it (see the module docstring)."""
	names = {team.name for team in teams}
	if ticket.team and ticket.team in names:
		return TeamChoice(ticket.team, "team set on the ticket")
	if ticket.category:
		for team in teams:
			if ticket.category in team.categories:
				return TeamChoice(team.name, f"category {ticket.category}")
	best, best_hits = None, []
	for team in teams:
		hits = keyword_hits(team.keywords, ticket.text)
		if len(hits) > len(best_hits):
			best, best_hits = team, hits
	if best is not None:
		return TeamChoice(best.name, "keyword " + ", ".join(repr(h) for h in best_hits))
	for team in teams:
		if team.is_default:
			return TeamChoice(team.name, "the default team, as no category or keyword matched")
	return TeamChoice(None, "no team matched and there is no default team")


def rotation_order(members: list[Agent], last_user: str | None) -> list[Agent]:
	"""Members in turn order: those after the last assigned member first, wrapping around to it last."""
	users = [m.user for m in members]
	if last_user not in users:
		return list(members)
	start = users.index(last_user) + 1
	return members[start:] + members[:start]


def round_robin(members: list[Agent], last_user: str | None) -> Choice:
	available = [m for m in members if m.available]
	for member in rotation_order(members, last_user):
		if member.available:
			return Choice(member.user, "next in rotation", len(available), len(members))
	return Choice(None, "no team member is online with free capacity", 0, len(members))


def load_balanced(members: list[Agent], last_user: str | None) -> Choice:
	ordered = [m for m in rotation_order(members, last_user) if m.available]
	if not ordered:
		return Choice(None, "no team member is online with free capacity", 0, len(members))
	chosen = min(ordered, key=lambda m: m.open_tickets)  # min keeps the first of equals: rotation breaks ties
	return Choice(chosen.user, f"fewest open tickets ({chosen.open_tickets})", len(ordered), len(members))


def skill_based(members: list[Agent], last_user: str | None, ticket: TicketFacts) -> Choice:
	def matching_skill(member: Agent) -> str | None:
		for skill in member.skills:
			if ticket.category and skill.lower() == ticket.category.lower():
				return skill
			if keyword_hits([skill], ticket.text):
				return skill
		return None

	skilled = [m for m in members if m.available and matching_skill(m)]
	if skilled:
		choice = load_balanced(skilled, last_user)
		skill = matching_skill(next(m for m in skilled if m.user == choice.agent))
		return replace(choice, reason=f"skill {skill!r}, " + choice.reason, members=len(members), skill=skill)
	choice = load_balanced(members, last_user)
	if choice.agent:
		return replace(choice, reason="no available member has a matching skill; " + choice.reason)
	return choice


def choose(model: str, members: list[Agent], last_user: str | None, ticket: TicketFacts | None = None) -> Choice:
	"""The agent a team's model picks for one ticket, or None (the ticket waits in the queue) with why."""
	if model == ROUND_ROBIN:
		return round_robin(members, last_user)
	if model == LOAD_BALANCED:
		return load_balanced(members, last_user)
	if model == SKILL_BASED:
		return skill_based(members, last_user, ticket or TicketFacts())
	if model == MANUAL_CLAIM:
		return Choice(None, "waits for an agent to claim it", 0, len(members))
	if model == SUPERVISOR:
		return Choice(None, "waits for the supervisor to assign it", 0, len(members))
	raise ValueError(f"unknown assignment model {model!r}")


@dataclass
class Plan:
	"""Assignments for a queue, oldest ticket first, and the rotation's last member after them."""

	assignments: list[tuple[str, str, str]] = field(default_factory=list)  # (ticket, agent, reason)
	last_user: str | None = None


def plan_queue(model: str, members: list[Agent], last_user: str | None, waiting: list[tuple[str, TicketFacts]]) -> Plan:
	"""Hands out waiting tickets (oldest first, as given) one by one, each choice seeing the loads the earlier
	ones left; stops at the first ticket nobody can take (under these models nobody could take a later one)."""
	plan = Plan(last_user=last_user)
	if model not in AUTOMATIC_MODELS:
		return plan
	members = list(members)
	for ticket_name, facts in waiting:
		choice = choose(model, members, plan.last_user, facts)
		if not choice.agent:
			break
		plan.assignments.append((ticket_name, choice.agent, choice.reason))
		plan.last_user = choice.agent
		members = [replace(m, open_tickets=m.open_tickets + 1) if m.user == choice.agent else m for m in members]
	return plan


def capacity_of(own_capacity: int | None, team_defaults: list[int]) -> int:
	"""An agent's capacity: their own when set (> 0), else the largest default of their teams, else 0."""
	if own_capacity and own_capacity > 0:
		return own_capacity
	return max([d for d in team_defaults if d and d > 0], default=0)


def load_state(agent: Agent) -> str:
	"""How a lead reads an agent's load: "overloaded" past capacity (a manual assignment can do that),
	"full" at capacity, else "ok"."""
	if agent.open_tickets > agent.capacity:
		return "overloaded"
	if agent.open_tickets == agent.capacity:
		return "full"
	return "ok"


def spread(members: list[Agent]) -> int:
	"""Most minus least open tickets among available-by-availability (Online) agents."""
	loads = [m.open_tickets for m in members if m.availability == ONLINE]
	return max(loads) - min(loads) if loads else 0
