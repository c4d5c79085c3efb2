"""Endpoints of the privacy domain: a ticket's audit trail (admins and owners), retention's dry run and run,
erasure requests (owners only). Each checks the role on the server; REST callers get the same answers."""

import frappe
from frappe import _

from tg_tickets.privacy import audit, erasure, retention


@frappe.whitelist()
def ticket_audit(ticket: str, limit: int = 200) -> list[dict]:
	"""The Audit tab: views, field changes, prints and exports of one ticket, newest first."""
	audit.check_audit_reader()
	frappe.get_doc("Ticket", ticket).check_permission("read")
	return audit.as_dicts(audit.trail(ticket=ticket, limit=limit))


@frappe.whitelist()
def audit_trail(ticket: str | None = None, user: str | None = None, kind: str | None = None, since=None, limit: int = 200):
	"""The admins' list across tickets (also the Ticket Audit Trail report)."""
	audit.check_audit_reader()
	kinds = [k.strip() for k in kind.split(",")] if kind else None
	return audit.as_dicts(audit.trail(ticket=ticket or None, user=user or None, kinds=kinds, since=since or None, limit=limit))


@frappe.whitelist(methods=["POST"])
def retention_dry_run(policy: str) -> dict:
	"""How many tickets the policy would delete or anonymise now; recorded as a dry-run Retention Run."""
	retention.check_owner()
	return {"count": retention.dry_run(policy)}


@frappe.whitelist(methods=["POST"])
def retention_run_now(policy: str) -> dict:
	"""Runs the policy in a background job (as the nightly run does)."""
	retention.check_owner()
	frappe.get_doc(retention.POLICY, policy)  # exists
	retention.enqueue_run(policy, frappe.session.user)
	return {"queued": True}


@frappe.whitelist(methods=["POST"])
def erase_customer(request: str) -> dict:
	"""Carries out an erasure request now."""
	retention.check_owner()
	return {"retention_run": erasure.erase(request)}
