"""Demo SLA data for the Run command: one default policy (office hours with a lunch break). Idempotent."""

import frappe
from frappe.utils import get_system_timezone

DEFAULT_POLICY = "Standard Support"

# priority: (first response, resolution) in business minutes
TARGETS = {"HIGH": (30, 4 * 60), "MEDIUM": (2 * 60, 2 * 8 * 60), "LOW": (8 * 60, 5 * 8 * 60)}


def make_default_policy():
	if frappe.db.exists("SLA Policy", DEFAULT_POLICY):
		return
	windows = [("09:00:00", "12:30:00"), ("13:30:00", "18:00:00")]
	frappe.get_doc(
		{
			"doctype": "SLA Policy",
			"policy_name": DEFAULT_POLICY,
			"enabled": 1,
			"is_default": 1 if not frappe.db.exists("SLA Policy", {"is_default": 1}) else 0,
			"timezone": get_system_timezone() or "UTC",
			"description": "Office hours Monday to Friday with a lunch break; PENDING pauses the clock.",
			"targets": [
				{"priority": p, "first_response_minutes": fr, "resolution_minutes": res} for p, (fr, res) in TARGETS.items()
			],
			"business_hours": [
				{"weekday": day, "start_time": start, "end_time": end}
				for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
				for start, end in windows
			],
			"paused_statuses": "PENDING",
			"reminder_thresholds": [{"percent": 75}],
			"escalation_enabled": 1,
			"escalate_to": "owner@demo.tg-tickets.test" if frappe.db.exists("User", "owner@demo.tg-tickets.test") else None,
			"escalation_grace_percent": 50,
		}
	).insert(ignore_permissions=True)
