"""Sites from before notification preferences: the admins' defaults start as the settings' own defaults
(urgent notifications pass quiet hours, at most one Telegram DM per ticket every 10 minutes), which Frappe does
not write into an existing Single. Also run on install (after_install), for the same reason."""

import frappe

DEFAULTS = {"default_urgent_overrides_quiet_hours": 1, "default_telegram_burst_minutes": 10}


def execute():
	for field, value in DEFAULTS.items():
		if not frappe.db.exists("Singles", {"doctype": "Tickets Settings", "field": field}):
			frappe.db.set_single_value("Tickets Settings", field, value)
