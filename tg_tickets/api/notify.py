"""Desk endpoints for notification preferences: the current user's own preferences document."""

import frappe

from tg_tickets.notify import preferences


@frappe.whitelist(methods=["POST"])
def my_preferences() -> str:
	"""The name of the current user's Agent Notification Preferences, made from the defaults when missing."""
	if frappe.session.user == "Guest":
		frappe.throw("Log in first.", frappe.PermissionError)
	return preferences.ensure_own(frappe.session.user)
