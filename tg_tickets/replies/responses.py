"""Canned responses: who sees and manages which (scope Everyone / Team / Personal), what a body may hold, the
reply box's `/` picker, filling a response for a ticket, and counting each send that used one.

Rights: everyone with a tickets role sees Everyone responses; a team's responses are seen by its members and by
admins and owners; a personal response only by the agent who wrote it. Admins and owners manage shared
responses, members too while *members can edit tickets* is on; everyone manages their own personal ones.
Never talks to Telegram; never commits.
"""

import hashlib
import re

import frappe
from frappe import _
from frappe.utils import format_date, format_datetime, now_datetime, nowdate

from tg_tickets import permissions
from tg_tickets.replies import placeholders
from tg_tickets.tickets import formatting, queries

EVERYONE, TEAM, PERSONAL = "Everyone", "Team", "Personal"
SHORTCUT = re.compile(r"^/[\w-]{1,40}$", re.UNICODE)
PICKER_LIMIT = 10


# --- rights (hooks.py: permission_query_conditions / has_permission) --------------------------------------


def query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""The responses a user sees in lists, link search, reports and the picker."""
	user = user or frappe.session.user
	if not permissions.can_see_tickets(user):
		return "1=0"
	table = "`tabCanned Response`"
	mine = f"({table}.`scope` = 'Personal' and {table}.`owner` = {frappe.db.escape(user)})"
	if permissions.is_admin(user):
		return f"({table}.`scope` != 'Personal' or {mine})"
	condition = f"{table}.`scope` = 'Everyone' or {mine}"
	teams = permissions.teams_of(user)
	if teams:
		team_list = ", ".join(frappe.db.escape(team) for team in teams)
		condition += f" or ({table}.`scope` = 'Team' and {table}.`team` in ({team_list}))"
	return f"({condition})"


def may_see(doc, user: str) -> bool:
	scope = doc.get("scope") or PERSONAL
	if scope == PERSONAL:
		return (doc.get("owner") or user) == user
	if scope == TEAM:
		return permissions.is_admin(user) or doc.get("team") in permissions.teams_of(user)
	return True


def may_manage(doc, user: str) -> bool:
	if not may_see(doc, user):
		return False
	if (doc.get("scope") or PERSONAL) == PERSONAL:
		return True
	return permissions.is_admin(user) or permissions.can("write", user)


def has_permission(doc, ptype: str = "read", user: str | None = None, debug=False) -> bool:
	user = user or frappe.session.user
	if not permissions.can_see_tickets(user):
		return False
	if isinstance(doc, str) or doc is None:
		return True
	if ptype in ("write", "create", "delete", "submit", "cancel", "amend"):
		return may_manage(_as_stored(doc), user) and may_manage(doc, user)
	return may_see(doc, user)


def _as_stored(doc):
	"""Rights are judged on what is stored as well as on what an edit proposes: a member who may not manage
	shared responses cannot make one theirs by switching it to Personal."""
	if doc.is_new() if hasattr(doc, "is_new") else not doc.get("name"):
		return doc
	stored = frappe.db.get_value("Canned Response", doc.name, ["scope", "team", "owner"], as_dict=True)
	return stored or doc


# --- validation (the controller delegates) --------------------------------------------------------------


def custom_ticket_fields() -> list[str]:
	return [df.fieldname for df in frappe.get_meta("Ticket").get_custom_fields() if df.fieldname]


def validate(doc) -> None:
	"""Refuses, with nothing stored, an empty body, placeholders not on the list, template code, formatting
	Telegram would not accept, a malformed shortcut, and a shortcut already used in the same scope."""
	doc.title = (doc.title or "").strip()
	doc.body = (doc.body or "").strip()
	if not doc.body:
		frappe.throw(_("The body is empty: write what the customer should receive."), title=_("Empty body"))
	shortcut = (doc.shortcut or "").strip().lower()
	if shortcut and not shortcut.startswith("/"):
		shortcut = "/" + shortcut
	if not SHORTCUT.match(shortcut):
		frappe.throw(
			_("The shortcut {0} is not valid: a / followed by up to 40 letters, digits, - or _ (e.g. /refund).").format(
				frappe.bold(doc.shortcut or "")
			),
			title=_("Invalid shortcut"),
		)
	doc.shortcut = shortcut
	if doc.scope not in (EVERYONE, TEAM, PERSONAL):
		frappe.throw(_("Scope must be Everyone, Team or Personal."))
	if doc.scope == TEAM and not doc.team:
		frappe.throw(_("Choose the team this response belongs to."), title=_("Team missing"))
	if doc.scope != TEAM:
		doc.team = None
	found = placeholders.problems(doc.body, custom_ticket_fields())
	if found:
		allowed = ", ".join("{{" + name + "}}" for name in placeholders.FIXED) + ", {{ticket.<custom field>}}"
		frappe.throw(
			"<br>".join(frappe.utils.escape_html(p) for p in found) + "<br>" + _("Placeholders you may use: {0}").format(
				frappe.utils.escape_html(allowed)
			),
			title=_("Unknown placeholder"),
		)
	sample = placeholders.render(doc.body, {name: "x" for name in placeholders.slot_names(doc.body)})
	try:
		formatting.parse(sample.text)
	except formatting.FormattingError as error:
		frappe.throw(_("The body's formatting is not valid Telegram HTML: {0}").format(frappe.utils.escape_html(str(error))))
	owner = doc.owner or frappe.session.user
	doc.scope_key = f"{doc.scope}:{doc.team if doc.scope == TEAM else owner if doc.scope == PERSONAL else ''}:{shortcut}"
	clash = frappe.db.get_value("Canned Response", {"scope_key": doc.scope_key, "name": ("!=", doc.name or "")}, "title")
	if clash:
		frappe.throw(
			_("The shortcut {0} is already used by «{1}» in this scope.").format(frappe.bold(shortcut), clash),
			frappe.DuplicateEntryError,
			title=_("Duplicate shortcut"),
		)


# --- the picker and filling a response ------------------------------------------------------------------


def search(query: str = "", user: str | None = None, limit: int = PICKER_LIMIT) -> list[dict]:
	"""Responses the user sees whose shortcut starts with, or whose title contains, what follows the `/`:
	shortcut matches first (the exact one on top), then shorter shortcuts, then by title."""
	user = user or frappe.session.user
	term = (query or "").strip().lstrip("/").lower()
	conditions = query_conditions(user)
	prefix = frappe.db.escape("/" + _like(term) + "%")
	contains = frappe.db.escape("%" + _like(term) + "%")
	exact = frappe.db.escape("/" + term)
	return frappe.db.sql(
		f"""select name, title, shortcut, scope, team, category, left(body, 160) as excerpt
		from `tabCanned Response`
		where {conditions} and (shortcut like {prefix} or title like {contains})
		order by shortcut = {exact} desc, shortcut like {prefix} desc, char_length(shortcut), title
		limit {int(limit)}""",
		as_dict=True,
	)


def _like(term: str) -> str:
	return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def ticket_values(ticket, agent: str) -> dict:
	"""Every placeholder's value for this ticket and agent (None where the ticket has none)."""
	customer = queries.customer_chat(ticket)
	username = (customer or {}).get("username")
	values = {
		"customer_name": (customer or {}).get("title"),
		"customer_username": f"@{username.lstrip('@')}" if username else None,
		"ticket_id": ticket.name,
		"ticket_title": ticket.title,
		"agent_name": frappe.utils.get_fullname(agent) if agent and agent != "Guest" else None,
		"team": ticket.get("team"),
	}
	for df in frappe.get_meta("Ticket").get_custom_fields():
		values[placeholders.CUSTOM_FIELD_PREFIX + df.fieldname] = _display(ticket.get(df.fieldname), df)
	return values


def _display(value, df):
	if value in (None, ""):
		return None
	if df.fieldtype == "Check":
		return _("Yes") if value else _("No")
	if df.fieldtype == "Date":
		return format_date(value)
	if df.fieldtype == "Datetime":
		return format_datetime(value)
	return str(value)


def fill(response, ticket, agent: str) -> dict:
	"""A response filled for a ticket: the text for the reply box (Telegram HTML, missing slots kept) and the
	names of the placeholders still without a value."""
	rendered = placeholders.render(response.body, ticket_values(ticket, agent))
	return {
		"response": response.name,
		"title": response.title,
		"shortcut": response.shortcut,
		"text": rendered.text,
		"missing": list(rendered.missing),
		"labels": {name: placeholders.FIXED.get(name, name) for name in rendered.missing},
	}


def visible_responses(names, user: str) -> list[str]:
	"""The named responses the user may use (each once); anything else is refused."""
	found = []
	for name in names or []:
		if name in found:
			continue
		if not frappe.db.exists("Canned Response", name):
			frappe.throw(_("Canned response {0} does not exist.").format(name), frappe.DoesNotExistError)
		if not frappe.has_permission("Canned Response", "read", name, user=user):
			frappe.throw(_("You cannot use canned response {0}.").format(name), frappe.PermissionError)
		found.append(name)
	return found


# --- usage ----------------------------------------------------------------------------------------------


def count_uses(responses, agent: str, day: str | None = None) -> None:
	"""One more use per response for (response, agent, day), in the reply's transaction. One row per key
	(its name is derived from the key), so parallel sends add up instead of racing."""
	day = day or nowdate()
	now = now_datetime()
	for response in dict.fromkeys(responses or []):
		name = hashlib.sha1(f"{response}|{agent}|{day}".encode()).hexdigest()[:20]
		frappe.db.sql(
			"""insert into `tabCanned Response Usage`
				(name, creation, modified, owner, modified_by, docstatus, response, agent, day, uses)
			values (%(name)s, %(now)s, %(now)s, %(agent)s, %(agent)s, 0, %(response)s, %(agent)s, %(day)s, 1)
			on duplicate key update uses = uses + 1, modified = %(now)s""",
			{"name": name, "now": now, "agent": agent, "response": response, "day": day},
		)
