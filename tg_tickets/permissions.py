"""The member/admin/owner policy for tickets: the one place hooks, controllers and endpoints ask.

Frappe's role permissions in the doctype JSON grant the widest rights a role may ever have; this module
only narrows them (switches, settings), as Frappe's has_permission hooks can only deny. It never writes.
"""

import frappe

MEMBER = "Tickets Member"
ADMIN = "Tickets Admin"
OWNER = "Tickets Owner"
TICKET_ROLES = (MEMBER, ADMIN, OWNER)
# Doctypes whose records are visible only while tickets are (hooks.py gives each the same gate).
TICKET_DOCTYPES = ("Ticket", "Telegram Message", "SLA Notification", "Ticket Status Log")

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
	"""Lists, report view, counts and link search: nothing while the feature is off for this user."""
	return "" if can_see_tickets(user) else "1=0"


def has_ticket_permission(doc, ptype: str = "read", user: str | None = None, debug=False) -> bool:
	"""Single documents (form, REST, insert/save/delete): deny what the switches forbid."""
	if not can_see_tickets(user):
		return False
	if ptype in MEMBER_SWITCH_FOR_ACTION:
		return can(ptype, user)
	return True


def ticket_child_query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""Records that belong to tickets (Telegram messages, ...) vanish with the tickets."""
	return ticket_query_conditions(user)


def has_ticket_child_permission(doc, ptype: str = "read", user: str | None = None, debug=False) -> bool:
	return can_see_tickets(user)
