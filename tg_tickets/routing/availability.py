"""Agent availability: Online / Away / Offline, switched by the agent from the navbar, Offline after the
configured idle time (the desk's heartbeat stops) or at logout. Coming Online drains the agent's queues."""

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime

from tg_tickets import permissions
from tg_tickets.routing import agents, assign
from tg_tickets.routing.selection import AVAILABILITIES, OFFLINE, ONLINE


def set_availability(user: str, availability: str) -> dict:
	if availability not in AVAILABILITIES:
		frappe.throw(_("Availability must be one of {0}.").format(", ".join(AVAILABILITIES)))
	if permissions.ticket_role(user) is None:
		frappe.throw(_("Only Tickets members, admins and owners have an availability."), frappe.PermissionError)
	agents.ensure_agent(user)
	now = now_datetime()
	previous = frappe.db.get_value("Ticket Agent", user, "availability")
	values = {"availability": availability, "last_seen_at": now}
	if previous != availability:
		values["availability_changed_at"] = now
	frappe.db.set_value("Ticket Agent", user, values, update_modified=False)
	if availability == ONLINE and previous != ONLINE:
		assign.enqueue_drain_for(user)
	agents.publish_queue_changed()
	return {"availability": availability}


def heartbeat(user: str) -> None:
	"""The desk saw activity: the agent is not idle. Cheap (one UPDATE) because every open desk calls it."""
	frappe.db.sql("update `tabTicket Agent` set last_seen_at = %s where name = %s", (now_datetime(), user))


def go_offline_when_idle() -> None:
	"""Scheduler (every minute): agents with no desk activity for the configured minutes go Offline."""
	minutes = permissions.settings().agent_idle_minutes or 0
	if minutes <= 0:
		return
	cutoff = add_to_date(now_datetime(), minutes=-minutes)
	idle = frappe.db.sql_list(
		"""select name from `tabTicket Agent` where availability != 'Offline'
		and (last_seen_at is null or last_seen_at < %s)""", (cutoff,),
	)
	for user in idle:
		frappe.db.set_value("Ticket Agent", user, {"availability": OFFLINE, "availability_changed_at": now_datetime()},
			update_modified=False)
	if idle:
		agents.publish_queue_changed()


def on_logout(login_manager=None) -> None:
	"""Hook on_logout: an agent who logs out takes no new tickets."""
	user = getattr(login_manager, "user", None) or frappe.session.user
	if user and frappe.db.exists("Ticket Agent", user):
		frappe.db.set_value("Ticket Agent", user, {"availability": OFFLINE, "availability_changed_at": now_datetime()},
			update_modified=False)
		agents.publish_queue_changed()
