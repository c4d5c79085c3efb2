"""Who sees which support figures: Tickets admins and owners everyone's, a Tickets member only their own (the
tickets they hold), nobody else any. Every report, card and chart asks `scope`; the Ticket Metrics list (REST,
report view) is narrowed by the same rule through Frappe's permission hooks."""

from __future__ import annotations

import frappe
from frappe import _

from tg_tickets import permissions


def scope(user: str | None = None) -> str | None:
	"""None: every agent's figures; a user id: only that agent's. Raises for users without analytics."""
	user = user or frappe.session.user
	if not permissions.can_see_tickets(user):
		raise frappe.PermissionError(_("You are not permitted to see support figures."))
	return None if permissions.is_admin(user) else user


def query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not permissions.can_see_tickets(user):
		return "1=0"
	if permissions.is_admin(user):
		return ""
	return f"`tabTicket Metrics`.`agent` = {frappe.db.escape(user)}"


def has_permission(doc, ptype: str = "read", user: str | None = None, debug=False) -> bool:
	user = user or frappe.session.user
	if not permissions.can_see_tickets(user):
		return False
	if permissions.is_admin(user) or isinstance(doc, str):
		return True
	return doc.get("agent") == user
