"""Sites that skipped Frappe's setup wizard (ours never show it) have Frappe's onboarding off: turn it on once,
so admins see the first-day checklist on the Tickets workspace. An admin may turn it off again (System
Settings → Enable Onboarding); this runs once per site."""

import frappe


def execute():
	frappe.db.set_single_value("System Settings", "enable_onboarding", 1)
