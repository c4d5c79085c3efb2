"""The first-day setup checklist (Module Onboarding "Tickets Setup", shown on the Tickets workspace to admins,
owners and System Managers). Each step is done when the site really is in that state — never because someone
clicked it: the states are read whenever the workspace is loaded, and a click that would mark a step done is
answered with the real state instead (both through hooks.py's override_whitelisted_methods, delegating to
Frappe's own endpoints).
"""

import json

import frappe
from frappe.desk import desktop

from tg_tickets import permissions

ONBOARDING = "Tickets Setup"
WORKSPACE = "Tickets"


def bot_connected() -> bool:
	"""The last Test connection passed (Tickets Settings forgets it when the credentials or the group change)."""
	return frappe.db.get_single_value("Tickets Settings", "connection_status") == "OK"


def topic_group_chosen() -> bool:
	return bool(frappe.db.get_single_value("Tickets Settings", "topic_group_chat"))


def default_sla_policy() -> bool:
	return bool(frappe.db.exists("SLA Policy", {"is_default": 1, "enabled": 1}))


def team_created() -> bool:
	return bool(frappe.db.exists("Ticket Team", {}))


def agents_invited() -> bool:
	"""Someone besides the owner can work tickets: an enabled user with the member or admin role."""
	return bool(frappe.db.sql(
		"""select 1 from `tabUser` u join `tabHas Role` r on r.parent = u.name and r.parenttype = 'User'
		where u.enabled = 1 and u.name not in ('Administrator', 'Guest') and r.role in %s limit 1""",
		((permissions.MEMBER, permissions.ADMIN),),
	))


def test_ticket_sent() -> bool:
	"""A ticket came from Telegram (it is linked to a chat)."""
	return bool(frappe.db.sql("select 1 from `tabTicket Chat` limit 1"))


STEPS = {
	"Connect the Telegram Bot": bot_connected,
	"Choose the Topic Group": topic_group_chosen,
	"Set a Default SLA Policy": default_sla_policy,
	"Create a Ticket Team": team_created,
	"Invite Agents": agents_invited,
	"Send a Test Ticket": test_ticket_sent,
}


def states() -> dict[str, bool]:
	return {step: check() for step, check in STEPS.items()}


def refresh() -> dict[str, bool]:
	"""Writes each step's real state (and the checklist's: done when every step is done or skipped)."""
	found = states()
	if not frappe.db.exists("Module Onboarding", ONBOARDING):
		return found
	changed = False
	for step, done in found.items():
		if frappe.db.exists("Onboarding Step", step) and bool(frappe.db.get_value("Onboarding Step", step, "is_complete")) != done:
			frappe.db.set_value("Onboarding Step", step, "is_complete", int(done), update_modified=False)
			changed = True
	skipped = set(frappe.get_all("Onboarding Step", {"name": ("in", list(STEPS)), "is_skipped": 1}, pluck="name"))
	all_done = all(done or step in skipped for step, done in found.items())
	if bool(frappe.db.get_value("Module Onboarding", ONBOARDING, "is_complete")) != all_done:
		frappe.db.set_value("Module Onboarding", ONBOARDING, "is_complete", int(all_done), update_modified=False)
		changed = True
	if changed:
		frappe.db.commit()  # the workspace endpoint may run on a read-only request
	return found


@frappe.whitelist()
def get_desktop_page(page):
	"""Frappe's workspace endpoint; for the Tickets workspace, the checklist's states are read first."""
	if _page_name(page) == WORKSPACE:
		refresh()
	return desktop.get_desktop_page(page)


@frappe.whitelist()
def update_onboarding_step(name, field, value):
	"""Frappe's endpoint behind the checklist's clicks. Our steps' done/undone is the site's state: a click
	does not set it (skipping a step stays the user's choice)."""
	if name in STEPS and field == "is_complete":
		refresh()
		return
	return desktop.update_onboarding_step(name, field, value)


def _page_name(page) -> str | None:
	try:
		return (json.loads(page) if isinstance(page, str) else page).get("name")
	except (ValueError, AttributeError):
		return None
