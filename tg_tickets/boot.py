"""What the desk needs at boot to show each role only the controls it may use (the server re-checks), and,
when the page being loaded is the ticket table, what the table's first render needs (no round trips)."""

import json

import frappe
from frappe.model import default_fields

from tg_tickets import permissions
from tg_tickets.tickets.activity import MAX_FILES_PER_TICKET
from tg_tickets.tickets.fields import DEFAULT_PRIORITY, DEFAULT_STATUS, PRIORITIES, STATUSES

MAX_MEMBERS_IN_BOOT = 500
# The desk asks for 100 rows on a large screen and 20 otherwise (frappe.is_large_screen): boot holds the larger.
FIRST_PAGE_LENGTH = 100


def extend_bootinfo(bootinfo):
	if frappe.session.user == "Guest":
		return
	actions = permissions.allowed_actions()
	bootinfo.tg_tickets = {
		"actions": actions,
		"statuses": STATUSES,
		"priorities": PRIORITIES,
		"default_status": DEFAULT_STATUS,
		"default_priority": DEFAULT_PRIORITY,
		"max_files": MAX_FILES_PER_TICKET,
		"members": ticket_members() if actions["read"] else [],
	}
	if actions["read"]:
		# The ticket table's first load reads its List View Settings from here: one round trip less
		# between the desk's start and the first rows.
		from frappe.desk.listview import get_list_settings

		settings = get_list_settings("Ticket")
		bootinfo.tg_tickets["list_settings"] = settings.as_dict() if settings else None
		route = requested_route()
		if route[:2] == ["app", "ticket"]:
			bootinfo.tg_tickets.update(ticket_table_boot(opens_list=is_plain_list_route(route), list_settings=settings))


def requested_route() -> list[str]:
	request = getattr(frappe.local, "request", None)
	return [part for part in request.path.split("/") if part] if request else []


def is_plain_list_route(route: list[str]) -> bool:
	"""/app/ticket or /app/ticket/view/list without query arguments (which the desk would turn into filters)."""
	return (route[2:] in ([], ["view", "list"])) and not frappe.local.request.args


def ticket_table_boot(opens_list: bool, list_settings) -> dict:
	"""Ticket's meta and the user's list settings (what the desk would fetch with getdoctype) and, for the
	table itself, its first page of rows with their linked chats (what reportview.get and list_extras return)."""
	from frappe.desk.form.load import get_meta_bundle
	from frappe.model.utils.user_settings import get_user_settings

	user_settings = get_user_settings("Ticket")
	out = {"ticket_meta": get_meta_bundle("Ticket"), "ticket_user_settings": user_settings}
	order_by = default_order_by(json.loads(user_settings or "{}").get("List") or {})
	if opens_list and order_by:
		from tg_tickets.api.ticket import chats_of
		from tg_tickets.overrides.reportview import first_page

		with_comment_count = not (list_settings and list_settings.disable_comment_count)
		page = first_page(order_by, FIRST_PAGE_LENGTH, with_comment_count)
		# Rows the user may read (the page went through the list's permission checks).
		data = page["data"]
		page["chats"] = chats_of([row[data["keys"].index("name")] for row in data["values"]] if data else [])
		out["first_page"] = page
	return out


def default_order_by(list_view_state: dict) -> str | None:
	"""The order the table opens with, as the desk writes it: Frappe's sort selector starts from the doctype's
	sort field and order (newest first for Ticket), whatever sort was saved last. None when saved filters would
	make the desk ask for something else."""
	if list_view_state.get("filters"):
		return None
	meta = frappe.get_meta("Ticket")
	sort_by = (meta.sort_field or "modified").split(",")[0].split(" ")[0]
	sort_order = (meta.sort_order or "").lower()
	if not (sort_by in default_fields or meta.has_field(sort_by)) or sort_order not in ("asc", "desc"):
		return None
	return f"`tabTicket`.`{sort_by}` {sort_order}"


def ticket_members() -> list[dict]:
	"""Everyone a ticket may be assigned to: enabled users holding a tickets role."""
	return frappe.db.sql(
		"""select distinct u.name, u.full_name, u.user_image as image
		from `tabUser` u join `tabHas Role` r on r.parent = u.name and r.parenttype = 'User'
		where u.enabled = 1 and r.role in %(roles)s
		order by u.full_name limit %(limit)s""",
		{"roles": permissions.TICKET_ROLES, "limit": MAX_MEMBERS_IN_BOOT},
		as_dict=True,
	)
