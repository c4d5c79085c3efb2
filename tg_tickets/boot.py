"""What the desk needs at boot to show each role only the controls it may use (the server re-checks)."""

import frappe

from tg_tickets import permissions
from tg_tickets.tickets.activity import MAX_FILES_PER_TICKET
from tg_tickets.tickets.fields import DEFAULT_PRIORITY, DEFAULT_STATUS, PRIORITIES, STATUSES

MAX_MEMBERS_IN_BOOT = 500


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
