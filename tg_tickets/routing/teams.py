"""Teams as routing reads them: every enabled team with its rules and members, from Frappe's cache (one
Redis read per decision instead of three queries); a team's save or deletion clears it."""

import frappe

from tg_tickets import permissions
from tg_tickets.routing import selection

CACHE_KEY = "tg_tickets_routing_teams"


def all_teams() -> list[dict]:
	"""Enabled teams in matching order: name, model, supervisor, default capacity, categories, keywords and
	members (user, skills) in rotation order."""
	teams = frappe.cache.get_value(CACHE_KEY)
	if teams is None:
		teams = _load()
		frappe.cache.set_value(CACHE_KEY, teams)
	return teams


def clear_cache(*args, **kwargs) -> None:
	frappe.cache.delete_value(CACHE_KEY)
	frappe.local.cache.pop(permissions.TEAMS_OF_CACHE, None)


def _load() -> list[dict]:
	teams = frappe.get_all(
		"Ticket Team", filters={"enabled": 1},
		fields=["name", "assignment_model", "supervisor", "default_capacity", "is_default", "keywords", "sequence",
			"return_unanswered_after"],
		order_by="sequence asc, name asc",
	)
	categories = frappe.get_all("Ticket Team Category", filters={"parenttype": "Ticket Team"}, fields=["parent", "category"],
		order_by="idx asc")
	members = frappe.get_all("Ticket Team Member", filters={"parenttype": "Ticket Team"}, fields=["parent", "user", "skills"],
		order_by="idx asc")
	out = []
	for team in teams:
		out.append({
			"name": team.name,
			"model": team.assignment_model,
			"supervisor": team.supervisor,
			"default_capacity": team.default_capacity or 0,
			"is_default": bool(team.is_default),
			"return_unanswered_after": team.return_unanswered_after or 0,
			"categories": [c.category for c in categories if c.parent == team.name],
			"keywords": split_list(team.keywords),
			"members": [{"user": m.user, "skills": split_list(m.skills)} for m in members if m.parent == team.name],
		})
	return out


def split_list(text: str | None) -> list[str]:
	"""Keywords/skills typed one per line or comma-separated."""
	return [part.strip() for line in (text or "").splitlines() for part in line.split(",") if part.strip()]


def team(name: str | None) -> dict | None:
	return next((t for t in all_teams() if t["name"] == name), None)


def rules() -> list[selection.Team]:
	return [selection.Team(t["name"], tuple(t["categories"]), tuple(t["keywords"]), t["is_default"]) for t in all_teams()]


def teams_of(user: str) -> list[str]:
	return [t["name"] for t in all_teams() if any(m["user"] == user for m in t["members"])]


def supervised_by(user: str) -> list[str]:
	return [t["name"] for t in all_teams() if t["supervisor"] == user]
