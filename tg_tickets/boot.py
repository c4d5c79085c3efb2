"""What the desk needs at boot to show each role only the controls it may use (the server re-checks), and the
ticket field lists the desk's JS shares with the server (defined once, in tickets/)."""

import frappe

from tg_tickets import permissions
from tg_tickets.tickets import outage
from tg_tickets.tickets.activity import MAX_FILES_PER_TICKET
from tg_tickets.tickets.fields import DEFAULT_PRIORITY, DEFAULT_STATUS, PRIORITIES, ROW_FIELDS, STATUSES
from tg_tickets.tickets.lifecycle import SERVER_MAINTAINED

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
		# The table's row fields (fetched with the list) and the fields no one edits by hand.
		"row_fields": list(ROW_FIELDS),
		"server_maintained": sorted(SERVER_MAINTAINED),
		# outage mode: the banner's state at load (tg_tickets.api.telegram.status refreshes it)
		"telegram_status": outage.status() if actions["read"] else {"active": False},
	}


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
