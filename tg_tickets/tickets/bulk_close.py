"""The system closes many SOLVED tickets at once (the auto-close sweep), to the same end state as a
`conversation.close_by_system` per ticket (a full Ticket save each), in a few set-based statements.

A save runs the Ticket controller, every domain's doc_events and Frappe's own bookkeeping. Here the hub writes
what the controller writes (status, its rank, the close stamps, modified), announces TICKETS_CLOSED_BY_SYSTEM so
each domain does for all the tickets what its doc_events do on a close (hooks.py: SLA clock and status history,
routing, reopen window, rating request, escalation, forum topic, figures), then writes what Frappe's save writes:
a Version row per ticket with the diff (track_changes), the document cache cleared, `doc_update`/`list_update`
to the desk. benchmarks/lifecycle.py's close round (10,000 due among 1,000,000 tickets, 2 workers): 22.6 s (load 3.7)
against 314 s for a save per ticket (load 5.5), measured in the same sitting.

It stands in for the saves only where it is known to give the same result, else it leaves the ticket to the
caller's save: SOLVED tickets whose assignee may still be assigned (a save would refuse the others), and only
while every doc_events handler a Ticket save runs is one hooks.py declares covered by the event
(`tg_tickets_covered_by_bulk_close`) and none of Frappe's per-document automations (Notification, Webhook, Server
Script, Assignment Rule, Workflow, Energy Point Rule, Milestone Tracker, User Type) watches tickets. Never commits.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model import no_value_fields, table_fields
from frappe.utils import now_datetime

from tg_tickets import permissions
from tg_tickets.tickets import bulk, events
from tg_tickets.tickets.fields import CLOSED, SOLVED, STATUS_RANK

COVERED_HOOK = "tg_tickets_covered_by_bulk_close"
# The document events a Ticket save runs (Frappe's Document.save: before_validate … on_change).
SAVE_EVENTS = ("before_validate", "validate", "before_save", "on_update", "on_change")
# Frappe's per-document automations: a save runs them for the doctype they name (doctype, its field, filters).
AUTOMATIONS = (
	("Notification", "document_type", {"enabled": 1}),
	("Webhook", "webhook_doctype", {"enabled": 1}),
	("Server Script", "reference_doctype", {"disabled": 0, "script_type": "DocType Event"}),
	("Assignment Rule", "document_type", {"disabled": 0}),
	("Workflow", "document_type", {"is_active": 1}),
	("Energy Point Rule", "reference_doctype", {"enabled": 1}),
	("Milestone Tracker", "document_type", {"disabled": 0}),
	("User Type", "apply_user_permission_on", {"is_standard": 0}),
)


def uncovered_handlers() -> list[str]:
	"""Ticket save handlers (doc_events of Ticket and "*") that the bulk close does not stand in for."""
	covered = set(frappe.get_hooks(COVERED_HOOK))
	doc_events = frappe.get_hooks("doc_events")
	found = []
	for doctype in ("Ticket", "*"):
		for event in SAVE_EVENTS:
			handlers = (doc_events.get(doctype) or {}).get(event) or []
			found += [h for h in ([handlers] if isinstance(handlers, str) else handlers) if h not in covered]
	return sorted(set(found))


def watching_automations() -> list[str]:
	return [doctype for doctype, field, filters in AUTOMATIONS
		if frappe.db.exists(doctype, {field: "Ticket", **filters})]


def possible() -> bool:
	return not uncovered_handlers() and not watching_automations()


def close_many_by_system(reasons: dict[str, str]) -> tuple[dict[str, str], list[str]]:
	"""Closes the tickets it can ({ticket: reason}) as the system. Returns ({ticket: its history line} for the
	closed ones — the caller writes the lines, e.g. conversation.history_lines — and the tickets left for a save)."""
	names = sorted(reasons)
	if not names or not possible():
		return {}, names
	before = {row.name: row for row in frappe.db.sql(
		"select * from `tabTicket` where name in %s order by name for update", (tuple(names),), as_dict=True)}
	assignable = assignable_users({row.assigned_to for row in before.values() if row.assigned_to})
	closing = sorted(name for name, row in before.items()
		if row.status == SOLVED and (not row.assigned_to or row.assigned_to in assignable))
	left = [name for name in names if name not in closing]
	if not closing:
		return {}, left
	before = {name: before[name] for name in closing}
	now, user = now_datetime(), frappe.session.user

	# What the controller writes (tickets/lifecycle.py apply_status_rules, set_ranks) and a save's timestamps;
	# Frappe stamps the child rows with the parent's modified as well.
	derived = " union all ".join(["select %s as name, %s as reason"] * len(closing))
	frappe.db.sql(
		f"""update `tabTicket` t join ({derived}) v on v.name = t.name
		set t.status = %s, t.status_rank = %s, t.closed_at = %s, t.closed_by = null, t.closed_by_system = 1,
		t.close_reason = v.reason, t.modified = %s, t.modified_by = %s""",
		[x for name in closing for x in (name, reasons[name])] + [CLOSED, STATUS_RANK[CLOSED], now, now, user],
	)
	frappe.db.sql(
		"update `tabTicket Chat` set modified = %s, modified_by = %s where parenttype = 'Ticket' and parent in %s",
		(now, user, tuple(closing)),
	)
	closed = {name: frappe._dict(row, status=CLOSED, status_rank=STATUS_RANK[CLOSED], closed_at=now, closed_by=None,
		closed_by_system=1, close_reason=reasons[name], modified=now, modified_by=user) for name, row in before.items()}
	events.emit(events.TICKETS_CLOSED_BY_SYSTEM, before, closed, now)

	after = {row.name: row for row in frappe.db.sql(
		"select * from `tabTicket` where name in %s", (tuple(closing),), as_dict=True)}
	write_versions(before, after, user)
	forget_and_announce(closing, now, user)
	return {name: _("Closed by the system: {0}").format(reasons[name]) for name in closing}, left


def assignable_users(users) -> set[str]:
	"""The users a save still accepts as assignee (tickets/lifecycle.py validate_assignee)."""
	enabled = set(frappe.get_all("User", filters={"name": ("in", list(users)), "enabled": 1}, pluck="name")) if users else set()
	return {user for user in enabled if permissions.ticket_role(user) is not None}


def write_versions(before: dict, after: dict, user: str) -> None:
	"""Version rows as Document.save_version writes them (frappe.core.doctype.version.version.get_diff): the
	changed fields in the doctype's order, their values formatted as the desk shows them. Like a save, none
	during an install or a test run (Frappe's Document.save sets ignore_version = frappe.flags.in_test)."""
	if frappe.flags.in_test or frappe.flags.in_install:
		return
	meta = frappe.get_meta("Ticket")
	fields = [df for df in meta.fields if df.fieldtype not in no_value_fields and df.fieldtype not in table_fields]
	formatted: dict[tuple, object] = {}  # the closes share most values (now, the rule's times): formatted once

	def format_value(value, df):
		if not value:
			return value
		key = (df.fieldname, value)
		if key not in formatted:
			formatted[key] = frappe.format_value(value, df=df)
		return formatted[key]

	rows = []
	for name in sorted(after):
		old, new = before[name], after[name]
		changed = []
		for df in fields:
			old_value, new_value = old.get(df.fieldname), new.get(df.fieldname)
			if old_value == new_value:
				continue
			old_value, new_value = format_value(old_value, df), format_value(new_value, df)
			if old_value != new_value:
				changed.append((df.fieldname, old_value, new_value))
		if changed:
			diff = {"changed": changed, "added": [], "removed": [], "row_changed": [], "data_import": None,
				"updater_reference": None}
			rows.append(("Ticket", name, frappe.as_json(diff, indent=None, separators=(",", ":"))))
	bulk.insert_rows("Version", ("ref_doctype", "docname", "data"), rows, user=user)
	if rows and frappe.get_cached_value("User", user, "follow_created_documents"):
		from frappe.desk.form.document_follow import follow_document

		for _doctype, name, _data in rows:
			follow_document("Ticket", name, user)


def forget_and_announce(names: list[str], now, user: str) -> None:
	"""What a save does last: the documents' cache entries dropped (now and after commit), open forms and lists
	told (`doc_update`, `list_update`), the doctype's notification counts refreshed."""
	from frappe.desk.notifications import clear_doctype_notifications

	keys = [frappe.get_document_cache_key("Ticket", name) for name in names]

	def forget():
		frappe.cache.delete_value(keys)

	forget()
	frappe.db.after_commit.add(forget)
	frappe.db.after_rollback.add(forget)
	for name in names:
		frappe.publish_realtime("doc_update", {"modified": now, "doctype": "Ticket", "name": name},
			doctype="Ticket", docname=name, after_commit=True)
		frappe.publish_realtime("list_update", {"doctype": "Ticket", "name": name, "user": user}, after_commit=True)
	clear_doctype_notifications("Ticket")
