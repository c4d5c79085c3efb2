"""The audit trail of tickets: who opened each one (Ticket View rows, written here), who changed what (Frappe's
Version rows, read here, never copied) and who printed or exported tickets (Frappe's Access Log, read here).

Audit rows are immutable: nobody edits or deletes them (System Manager and Administrator included, desk or
REST) — only retention (tg_tickets/privacy/retention.py) removes them, by SQL, with the ticket they belong to.
"""

from __future__ import annotations

import frappe
from frappe import _

from tg_tickets import permissions
from tg_tickets.privacy import rules

VIEW = "Ticket View"
SOURCES = ("Form", "Side sheet")


def record_view(ticket: str, source: str, user: str | None = None) -> bool:
	"""One Ticket View row per visit: a repeat by the same user within minutes is not written again.
	Returns whether a row was written."""
	user = user or frappe.session.user
	if user == "Guest" or source not in SOURCES:
		return False
	now = frappe.utils.now_datetime()
	last = frappe.db.sql(
		"select max(viewed_at) from `tabTicket View` where ticket = %s and user = %s", (ticket, user)
	)[0][0]
	if rules.is_repeat_view(last, now):
		return False
	view = frappe.get_doc({"doctype": VIEW, "ticket": ticket, "user": user, "viewed_at": now, "source": source})
	if frappe.flags.read_only:
		view.deferred_insert()
	else:
		view.insert(ignore_permissions=True)
		# a GET request (the form's getdoc, the side sheet's get_row) is committed only when asked to
		frappe.local.flags.commit = True
	return True


def on_ticket_form_load(doc, method=None):
	"""Ticket doc_event `onload`: Frappe runs it when the full form loads the ticket (desk getdoc)."""
	if frappe.request and frappe.form_dict.get("cmd") == "frappe.desk.form.load.getdoc":
		record_view(doc.name, "Form")


def on_ticket_viewed(ticket: str, user: str, source: str):
	"""The hub's `tg_tickets_on_ticket_viewed` event (the side sheet opened a ticket)."""
	record_view(ticket, source, user)


# --- immutability ------------------------------------------------------------------------------------


def _purging() -> bool:
	return bool(frappe.flags.tg_tickets_purging)


def refuse_change(doc, method=None):
	"""Controllers and doc_events of audit rows: no edit after insert, no delete, whoever asks."""
	if _purging() or (method in ("validate", "before_save") and doc.is_new()):
		return
	frappe.throw(
		_("Audit records cannot be changed or deleted; retention policies remove them with their tickets."),
		frappe.PermissionError,
		title=_("Audit record"),
	)


def refuse_ticket_audit_change(doc, method=None):
	"""Version and Access Log (Frappe's doctypes) rows about tickets are audit rows too."""
	if _is_ticket_audit(doc):
		refuse_change(doc, method)


def _is_ticket_audit(doc) -> bool:
	if doc.get("doctype") == "Version":
		return doc.get("ref_doctype") == "Ticket"
	if doc.get("doctype") == "Access Log":
		return doc.get("export_from") == "Ticket"
	return True


def has_audit_permission(doc, ptype: str = "read", user: str | None = None, debug=False) -> bool:
	"""Version / Access Log rows about tickets: read as Frappe allows, never write or delete."""
	if ptype in ("write", "delete", "cancel", "submit", "amend") and _is_ticket_audit(doc):
		return False
	return True


def can_read_audit(user: str | None = None) -> bool:
	return permissions.can_see_tickets(user) and permissions.is_admin(user)


def check_audit_reader():
	if not can_read_audit():
		frappe.throw(_("Only ticket admins and owners see the audit trail."), frappe.PermissionError)


def audit_query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	return "" if can_read_audit(user) else "1=0"


def has_view_permission(doc, ptype: str = "read", user: str | None = None, debug=False) -> bool:
	return ptype in ("read", "report", "export", "print") and can_read_audit(user)


# --- reading the trail ---------------------------------------------------------------------------------


def trail(ticket: str | None = None, user: str | None = None, kinds=None, since=None, limit: int = 200):
	"""The audit trail of one ticket, or across tickets (the admins' list), newest first."""
	kinds = set(kinds or ("view", "change", "print", "export"))
	limit = max(1, min(int(limit or 200), 1000))
	sources = []
	if "view" in kinds:
		sources.append(_views(ticket, user, since, limit))
	if "change" in kinds:
		sources.append(_changes(ticket, user, since, limit))
	if kinds & {"print", "export"}:
		sources.append([e for e in _accesses(ticket, user, since, limit) if e.kind in kinds])
	return rules.merge_trail(*sources, limit=limit)


def _newest(table: str, columns: str, fixed: str, ticket_column: str, user_column: str, at_column: str,
	ticket, user, since, limit) -> list:
	"""One source's newest rows for a ticket (or all), a user and a start date."""
	conditions, values = [fixed], {"limit": limit}
	for column, key, value, operator in (
		(ticket_column, "ticket", ticket, "="), (user_column, "user", user, "="), (at_column, "since", since, ">=")
	):
		if value:
			conditions.append(f"{column} {operator} %({key})s")
			values[key] = value
	return frappe.db.sql(
		f"""select {columns} from `{table}` where {' and '.join(conditions)}
		order by {at_column} desc limit %(limit)s""",
		values,
		as_dict=True,
	)


def _views(ticket, user, since, limit):
	rows = _newest("tabTicket View", "ticket, user, viewed_at, source", "1=1", "ticket", "user", "viewed_at",
		ticket, user, since, limit)
	return [rules.AuditEntry(r.viewed_at, "view", r.user, r.ticket, _("Opened ({0})").format(_(r.source))) for r in rows]


def _changes(ticket, user, since, limit):
	rows = _newest("tabVersion", "docname, owner, creation, data", "ref_doctype = 'Ticket'", "docname", "owner",
		"creation", ticket, user, since, limit)
	entries = []
	for row in rows:
		changes = rules.version_changes(row.data)
		detail = "; ".join(rules.describe_change(*c) for c in changes) or _("Created")
		entries.append(rules.AuditEntry(row.creation, "change", row.owner, row.docname, detail))
	return entries


def _accesses(ticket, user, since, limit):
	rows = _newest("tabAccess Log", "reference_document, user, creation, method, file_type, report_name",
		"export_from = 'Ticket'", "reference_document", "user", "creation", ticket, user, since, limit)
	entries = []
	for row in rows:
		kind = "print" if (row.method or "").lower() in ("print", "download pdf") or row.reference_document else "export"
		detail = " ".join(filter(None, (row.method, row.file_type, row.report_name)))
		entries.append(rules.AuditEntry(row.creation, kind, row.user, row.reference_document, detail))
	return entries


def as_dicts(entries) -> list[dict]:
	return [
		{"at": e.at, "kind": e.kind, "user": e.user, "ticket": e.ticket, "detail": e.detail} for e in entries
	]
