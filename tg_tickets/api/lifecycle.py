"""Desk endpoints for lifecycle automation: an agent's Escalate (with its required reason)."""

import frappe
from frappe import _

from tg_tickets.lifecycle import escalation


@frappe.whitelist(methods=["POST"])
def escalate(ticket: str, reason: str | None = None) -> dict:
	"""The agent-request escalation rules that apply to `ticket` fire now; 417 with the reason when refused
	(no reason, no rule, switched off, not open), and nothing stored."""
	doc = frappe.get_doc("Ticket", ticket)
	if not frappe.has_permission("Ticket", "write", doc):
		frappe.throw(_("You cannot change ticket #{0}.").format(ticket), frappe.PermissionError)
	fired = escalation.request(ticket, frappe.session.user, reason or "")
	return {"ticket": ticket, "rules": fired}
