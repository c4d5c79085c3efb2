"""The member/admin/owner policy for tickets: the one place hooks, controllers and endpoints ask.

Frappe's role permissions in the doctype JSON grant the widest rights a role may ever have; this module
only narrows them (switches, settings), as Frappe's has_permission hooks can only deny. It never writes.
"""

import frappe

from tg_tickets.tickets.list_plan import part_matches, part_sql, visibility_parts

MEMBER = "Tickets Member"
ADMIN = "Tickets Admin"
OWNER = "Tickets Owner"
TICKET_ROLES = (MEMBER, ADMIN, OWNER)
# Doctypes whose records are visible only while tickets are (hooks.py gives each the same gate).
TICKET_DOCTYPES = ("Ticket", "Telegram Message", "SLA Notification", "Ticket Status Log", "Knowledge Base Article Send")

# What a member may do depends on these Tickets Settings switches; admins and owners may always.
MEMBER_SWITCH_FOR_ACTION = {
	"create": "members_can_create_tickets",
	"write": "members_can_edit_tickets",
	"delete": "members_can_delete_tickets",
}


def installation_enabled() -> bool:
	"""The site-config switch `tg_tickets_enabled` (default on); 0 turns tickets off for the whole site."""
	value = frappe.get_conf().get("tg_tickets_enabled", 1)
	return str(value).strip().lower() not in ("0", "false", "no", "off", "")


def settings():
	return frappe.get_cached_doc("Tickets Settings")


def feature_enabled() -> bool:
	return installation_enabled() and bool(settings().enabled)


def ticket_role(user: str | None = None) -> str | None:
	"""The user's highest tickets role, or None. Administrator counts as owner."""
	user = user or frappe.session.user
	if user == "Administrator":
		return OWNER
	roles = set(frappe.get_roles(user))
	for role in (OWNER, ADMIN, MEMBER):
		if role in roles:
			return role
	return None


def is_admin(user: str | None = None) -> bool:
	return ticket_role(user) in (ADMIN, OWNER)


def is_owner(user: str | None = None) -> bool:
	return ticket_role(user) == OWNER


def can_see_tickets(user: str | None = None) -> bool:
	return feature_enabled() and ticket_role(user) is not None


def can(action: str, user: str | None = None) -> bool:
	"""Whether the user may `action` (read/create/write/delete/...) tickets in general."""
	role = ticket_role(user) if feature_enabled() else None
	if role is None:
		return False
	if role == MEMBER and action in MEMBER_SWITCH_FOR_ACTION:
		return bool(settings().get(MEMBER_SWITCH_FOR_ACTION[action]))
	return True


def sees_only_own_and_team_tickets(user: str | None = None) -> bool:
	"""The owner's visibility switch applies to this user: a member (admins and owners always see all)."""
	return bool(settings().get("members_see_own_and_team_tickets")) and ticket_role(user) == MEMBER


def teams_of(user: str) -> list[str]:
	"""The teams the user is a member of (read once per request: permission checks run many times in one;
	a team's save clears it)."""
	return frappe.local_cache(TEAMS_OF_CACHE, user, lambda: frappe.get_all(
		"Ticket Team Member", filters={"user": user, "parenttype": "Ticket Team"}, pluck="parent", distinct=True
	))


TEAMS_OF_CACHE = "tg_tickets_teams_of"


def visible_ticket_condition(user: str, table: str = "`tabTicket`") -> str:
	"""SQL for "assigned to the user, or unassigned in one of the user's teams" (the alternatives of
	tickets/list_plan.py, which the desk's list also reads one by one)."""
	parts = visibility_parts(user, teams_of(user))
	return "(" + " or ".join(part_sql(part, table, frappe.db.escape) for part in parts) + ")"


def may_see_ticket(ticket, user: str | None = None) -> bool:
	"""The visibility switch for one ticket (a document or a dict with assigned_to and team)."""
	user = user or frappe.session.user
	if not sees_only_own_and_team_tickets(user):
		return True
	return any(part_matches(part, ticket) for part in visibility_parts(user, teams_of(user)))


def allowed_actions(user: str | None = None) -> dict:
	"""What the desk shows: every control the user may use, for the UI only (the server re-checks)."""
	return {
		"read": can_see_tickets(user),
		"create": can("create", user),
		"write": can("write", user),
		"delete": can("delete", user),
		"manage_fields": can_see_tickets(user) and is_admin(user),
		"manage_sla": can_see_tickets(user) and is_admin(user),
		"toggle_feature": is_owner(user),
		"role": ticket_role(user),
	}


# --- Frappe hooks ------------------------------------------------------------------------------------


def ticket_query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""Lists, report view, counts and link search: nothing while the feature is off for this user; with the
	visibility switch on, a member's own tickets and the unassigned ones of their teams."""
	user = user or frappe.session.user
	if not can_see_tickets(user):
		return "1=0"
	if sees_only_own_and_team_tickets(user):
		return visible_ticket_condition(user)
	return ""


def has_ticket_permission(doc, ptype: str = "read", user: str | None = None, debug=False) -> bool:
	"""Single documents (form, REST, insert/save/delete): deny what the switches forbid."""
	user = user or frappe.session.user
	if not can_see_tickets(user):
		return False
	is_new = doc.is_new() if hasattr(doc, "is_new") else False
	if ptype != "create" and not is_new and sees_only_own_and_team_tickets(user) and not may_see_ticket(_saved_ticket(doc), user):
		return False
	if ptype in MEMBER_SWITCH_FOR_ACTION:
		if ptype != "create" and not is_new and read_only_after_escalation(doc, user):
			return False
		return can(ptype, user)
	return True


def read_only_after_escalation(doc, user: str | None = None) -> bool:
	"""The agent an escalation took the ticket from (SLA or rule: both leave them a read-only share) may read
	it but not edit it or reply, until it is theirs again or waits in one of their teams' queues. Admins and
	owners are never narrowed."""
	user = user or frappe.session.user
	name = doc if isinstance(doc, str) else doc.get("name")
	if not name or is_admin(user):
		return False
	share = frappe.db.get_value(
		"DocShare", {"share_doctype": "Ticket", "share_name": name, "user": user}, ["read", "write"]
	)
	if not share or not share[0] or share[1]:
		return False
	stored = _saved_ticket(name)
	if stored.get("assigned_to") == user:
		return False
	return not (not stored.get("assigned_to") and stored.get("team") and stored.get("team") in teams_of(user))


def _saved_ticket(doc):
	"""Visibility is judged on the stored assignee and team, not on what an edit proposes (a member cannot
	make a ticket visible by sending assigned_to = self)."""
	name = doc if isinstance(doc, str) else doc.get("name")
	stored = frappe.db.get_value("Ticket", name, ["assigned_to", "team"], as_dict=True) if name else None
	return stored or frappe._dict()


# The doctypes that belong to a ticket, and the field naming it.
TICKET_LINK_FIELD = {
	"Telegram Message": "ticket", "SLA Notification": "ticket", "Ticket Status Log": "ticket", "Ticket Rating": "ticket",
	"Escalation Log": "ticket", "Knowledge Base Article Send": "ticket",
}


def ticket_child_query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""Records that belong to tickets (Telegram messages, ...) vanish with the tickets."""
	user = user or frappe.session.user
	condition = ticket_query_conditions(user)
	if condition and condition != "1=0" and doctype in TICKET_LINK_FIELD:
		field = TICKET_LINK_FIELD[doctype]
		return f"`tab{doctype}`.`{field}` in (select `tabTicket`.name from `tabTicket` where {condition})"
	return condition


def has_ticket_child_permission(doc, ptype: str = "read", user: str | None = None, debug=False) -> bool:
	user = user or frappe.session.user
	if not can_see_tickets(user):
		return False
	field = TICKET_LINK_FIELD.get(doc.doctype) if not isinstance(doc, str) else None
	if field and doc.get(field) and sees_only_own_and_team_tickets(user):
		ticket = frappe.db.get_value("Ticket", doc.get(field), ["assigned_to", "team"], as_dict=True)
		return bool(ticket) and may_see_ticket(ticket, user)
	return True
