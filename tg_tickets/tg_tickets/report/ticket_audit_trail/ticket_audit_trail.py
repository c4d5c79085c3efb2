"""Ticket Audit Trail: the admins' list across tickets — views, field changes (Frappe's Version history),
prints and exports (Frappe's Access Log) — from tg_tickets/privacy/audit.py."""

import frappe
from frappe import _

from tg_tickets.privacy import audit


def execute(filters=None):
	audit.check_audit_reader()
	filters = frappe._dict(filters or {})
	kinds = [filters.kind] if filters.get("kind") else None
	entries = audit.trail(
		ticket=filters.get("ticket"), user=filters.get("user"), kinds=kinds, since=filters.get("since"),
		limit=frappe.utils.cint(filters.get("limit")) or 500,
	)
	columns = [
		{"fieldname": "at", "label": _("When"), "fieldtype": "Datetime", "width": 170},
		{"fieldname": "kind", "label": _("What"), "fieldtype": "Data", "width": 90},
		{"fieldname": "ticket", "label": _("Ticket"), "fieldtype": "Link", "options": "Ticket", "width": 110},
		{"fieldname": "user", "label": _("Who"), "fieldtype": "Link", "options": "User", "width": 200},
		{"fieldname": "detail", "label": _("Details"), "fieldtype": "Data", "width": 420},
	]
	return columns, audit.as_dicts(entries)
