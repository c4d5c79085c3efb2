"""Retention policies at work: the dry run's count, the nightly run, and the record of each run.

A run walks the policy's tickets by key range — (closed_at, name) on the `closed_at` index, a batch of
`batch_size` tickets per transaction — and hands each batch to the hub (tickets/purge.py), committing after
each one: row locks are held on one batch's rows for a moment, never on the ticket table, and the desk's list
queries (consistent reads) never wait. A run that dies midway leaves a Failed record; the next run selects what
is left (a purged ticket no longer matches), so nothing is done twice and nothing is skipped.
"""

from __future__ import annotations

import json
from collections import Counter

import frappe
from frappe import _

from tg_tickets import permissions
from tg_tickets.privacy import rules
from tg_tickets.tickets import purge

POLICY = "Retention Policy"
RUN = "Retention Run"


def check_owner():
	if not (permissions.feature_enabled() and permissions.is_owner()):
		frappe.throw(_("Only ticket owners manage retention."), frappe.PermissionError)


def owner_query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""Retention policies, runs and erasure requests: owners only, in lists and counts too."""
	return "" if permissions.feature_enabled() and permissions.is_owner(user) else "1=0"


def has_owner_permission(doc, ptype: str = "read", user: str | None = None, debug=False) -> bool:
	return permissions.feature_enabled() and permissions.is_owner(user)


def policy_values(policy) -> dict:
	return {
		"action": policy.action,
		"closed_for_days": frappe.utils.cint(policy.closed_for_days) if policy.closed_for_days not in (None, "") else None,
		"statuses": policy.statuses,
		"category": policy.category,
		"chat": policy.chat,
		"batch_size": frappe.utils.cint(policy.batch_size) if policy.batch_size not in (None, "") else None,
	}


def selection_of(policy) -> rules.Selection:
	try:
		return rules.selection(policy_values(policy), frappe.utils.now_datetime())
	except rules.PolicyError as e:
		frappe.throw(str(e), title=_("Retention policy"))


def validate_policy(policy):
	"""Retention Policy controller: refuse a policy that cannot run; remember who configured it."""
	selection_of(policy)
	if policy.has_value_changed("action") or policy.is_new() or any(
		policy.has_value_changed(f) for f in ("closed_for_days", "statuses", "category", "chat", "enabled")
	):
		policy.configured_by = frappe.session.user
		policy.configured_at = frappe.utils.now_datetime()


def next_batch(selection: rules.Selection, after: tuple | None) -> list[tuple]:
	"""The next `batch_size` tickets of the selection after the key `after` = (closed_at, name)."""
	conditions = ["t.closed_at < %(cutoff)s", "t.status in %(statuses)s"]
	values = {"cutoff": selection.cutoff, "statuses": selection.statuses, "limit": selection.batch_size}
	if selection.category:
		conditions.append("t.category = %(category)s")
		values["category"] = selection.category
	if selection.chat:
		conditions.append(
			"exists (select 1 from `tabTicket Chat` tc where tc.parent = t.name and tc.parenttype = 'Ticket' and tc.chat = %(chat)s)"
		)
		values["chat"] = selection.chat
	if selection.skips_anonymised:
		conditions.append("t.anonymised_at is null")
	if after:
		conditions.append("(t.closed_at > %(after_at)s or (t.closed_at = %(after_at)s and t.name > %(after_name)s))")
		values["after_at"], values["after_name"] = after
	return frappe.db.sql(
		f"""select t.closed_at, t.name from `tabTicket` t force index (closed_at)
		where {' and '.join(conditions)} order by t.closed_at, t.name limit %(limit)s""",
		values,
	)


def count(selection: rules.Selection) -> int:
	"""How many tickets the selection holds now (the dry run's figure): the same walk, without the purge."""
	total, after = 0, None
	walk = rules.Selection(**{**selection.__dict__, "batch_size": rules.MAX_BATCH})
	while rows := next_batch(walk, after):
		total += len(rows)
		after = tuple(rows[-1])
	return total


def dry_run(policy_name: str) -> int:
	policy = frappe.get_doc(POLICY, policy_name)
	matched = count(selection_of(policy))
	policy.db_set({"last_dry_run_count": matched, "last_dry_run_at": frappe.utils.now_datetime()}, update_modified=False)
	_record(policy, dry_run=True, matched=matched, processed=0, counts=Counter(), status="Done")
	return matched


def run_policy(policy_name: str, run_by: str | None = None) -> str:
	"""Applies the policy now, batch by batch (commits between batches); returns the Retention Run's name."""
	policy = frappe.get_doc(POLICY, policy_name)
	selection = selection_of(policy)
	run = _record(policy, dry_run=False, matched=0, processed=0, counts=Counter(), status="Running", run_by=run_by)
	frappe.db.commit()
	counts, processed, after = Counter(), 0, None
	ensure_link_indexes()  # an unindexed link would make a batch scan (and lock) a whole table
	plan = purge.make_plan()
	try:
		while rows := next_batch(selection, after):
			after = tuple(rows[-1])
			names = [name for _closed_at, name in rows]
			counts += apply(selection.action, names, plan)
			processed += len(names)
			frappe.db.commit()
	except Exception as e:
		frappe.db.rollback()
		_finish(run, processed, processed, counts, "Failed", error=str(e))
		frappe.db.commit()
		raise
	_finish(run, processed, processed, counts, "Done")
	frappe.db.commit()
	return run


def apply(action: str, names: list[str], plan=None) -> Counter:
	"""One batch through the hub; audit rows may go only inside this."""
	frappe.flags.tg_tickets_purging = True
	try:
		return purge.delete_tickets(names, plan) if action == "Delete" else purge.anonymise_tickets(names)
	finally:
		frappe.flags.tg_tickets_purging = False


def _record(policy, *, dry_run, matched, processed, counts, status, run_by=None, kind="Policy") -> str:
	doc = frappe.get_doc(
		{
			"doctype": RUN,
			"policy": policy.name,
			"kind": kind,
			"action": policy.action,
			"dry_run": 1 if dry_run else 0,
			"status": status,
			"started_at": frappe.utils.now_datetime(),
			"finished_at": frappe.utils.now_datetime() if status != "Running" else None,
			"run_by": run_by or frappe.session.user,
			"configured_by": policy.get("configured_by") or policy.get("requested_by"),
			"tickets_matched": matched,
			"tickets_processed": processed,
			"rows_removed": sum(counts.values()),
			"details": json.dumps(dict(sorted(counts.items())), indent=1),
			"policy_settings": json.dumps(_settings_of(policy), indent=1, default=str),
		}
	)
	doc.insert(ignore_permissions=True)
	return doc.name


def _settings_of(policy) -> dict:
	if policy.doctype == POLICY:
		return policy_values(policy)
	return {"telegram_user_id": policy.get("telegram_user_id"), "action": policy.action}


def _finish(run: str, matched: int, processed: int, counts: Counter, status: str, error: str | None = None):
	frappe.flags.tg_tickets_purging = True  # the run record is written by retention only
	try:
		frappe.db.set_value(
			RUN,
			run,
			{
				"status": status,
				"finished_at": frappe.utils.now_datetime(),
				"tickets_matched": matched,
				"tickets_processed": processed,
				"rows_removed": sum(counts.values()),
				"details": json.dumps(dict(sorted(counts.items())), indent=1),
				"error": error,
			},
			update_modified=False,
		)
	finally:
		frappe.flags.tg_tickets_purging = False


def run_nightly():
	"""Scheduler (daily): each enabled policy in its own RQ job (one at a time per policy)."""
	if not permissions.feature_enabled():
		return
	for name in frappe.get_all(POLICY, filters={"enabled": 1}, pluck="name", order_by="name"):
		enqueue_run(name, "Scheduler")


def enqueue_run(policy_name: str, run_by: str):
	"""A policy's run in the long queue, after commit; at most one queued or running per policy."""
	frappe.enqueue(
		"tg_tickets.privacy.retention.run_policy",
		queue="long",
		timeout=6 * 3600,
		job_id=f"tg_tickets_retention::{policy_name}",
		deduplicate=True,
		enqueue_after_commit=True,
		policy_name=policy_name,
		run_by=run_by,
	)


def ensure_link_indexes():
	"""after_migrate: every per-ticket Link column indexed (tickets/purge.py says why), Frappe's Access Log by
	the document it is about (the audit tab and the purge read it that way), and the columns an erasure
	request finds a Telegram user's traces by."""
	purge.ensure_link_indexes()
	for doctype, columns in (
		("Access Log", ["export_from", "reference_document"]),
		("Telegram Message", ["sender_id"]),
		("Ticket", ["customer_telegram_id"]),
		("Telegram Update", ["chat_id", "message_id"]),
		("Telegram Session Entity", ["entity_id"]),
	):
		purge.ensure_index(doctype, columns)
