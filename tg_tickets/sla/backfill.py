"""Backfill: SLA policy and fields for open tickets from before SLA tracking (the post-model-sync patch).

Tickets are read in primary-key batches as plain rows (never one document at a time), their policy chosen
and clocks computed by the same code as a save (tg_tickets.sla.policy, tracking, clock), and each batch is
written in one UPDATE and committed. Thresholds already crossed before tracking began are recorded as
handled without notifying anyone (an SLA Notification with no recipients): the first sweep must not bury
agents, nor escalate, over tickets that breached before there was an SLA. Later thresholds notify as usual.

Solved and closed tickets are left without an SLA: when they were solved is unknown. Running it again only
touches open tickets that still have no SLA state.
"""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

from tg_tickets.sla import clock, policy, tracking
from tg_tickets.tickets import bulk, queries

BATCH = 2000
FIELDS = ("sla_policy", *tracking.COMPUTED_FIELDS)
ROW_FIELDS = (
	"name", "title", "status", "priority", "assigned_to", "creation", "sla_escalation_disabled", "first_responded_at",
	"first_response_due_override", "resolution_due_override", *FIELDS,
)


def backfill_open_tickets(now=None, batch: int = BATCH, commit: bool = True) -> int:
	"""Returns the number of tickets that got an SLA policy. `commit`: after each batch (tests pass False)."""
	now = now or now_datetime()
	choices = policy.policy_choices()
	if not choices.policies:
		return 0  # no policy at all: no ticket has an SLA, nothing to compute
	meta = frappe.get_meta("Ticket")
	extra = sorted(f for f in choices.ticket_fields if f not in ROW_FIELDS and meta.get_field(f))
	columns = ", ".join(f"`{field}`" for field in (*ROW_FIELDS, *extra))  # names from the doctype, not input
	rules_cache: dict[str, policy.PolicyRules] = {}
	done, last = 0, ""
	while True:
		rows = frappe.db.sql(
			f"""select {columns} from `tabTicket`
			where name > %s and sla_state is null and status not in %s order by name limit %s""",
			(last, tuple(clock.STOPPING_STATUSES), batch),
			as_dict=True,
		)
		if not rows:
			return done
		last = rows[-1].name
		done += _backfill_batch(rows, choices, rules_cache, now)
		if commit:
			frappe.db.commit()  # a migration patch's batch: what is done stays done if a later batch fails


def _backfill_batch(rows, choices: policy.PolicyChoices, rules_cache: dict, now) -> int:
	names = [row.name for row in rows]
	if choices.needs_chats:
		chats = queries.chats_of_tickets(names)
		for row in rows:
			row.chats = [frappe._dict(chat=chat) for chat in chats.get(row.name, [])]
	histories = tracking.histories(names)
	values, unannounced = {}, []
	for row in rows:
		row_policy = policy.choose_policy(row, choices)
		if not row_policy:
			continue
		rules = rules_cache.get(row_policy) or rules_cache.setdefault(row_policy, policy.load(row_policy))
		ticket = frappe._dict(row, sla_policy=row_policy)
		status_history = histories.get(row.name) or [(tracking.to_aware(row.creation), row.status)]
		result, _rules, _done = tracking.evaluate(ticket, now, status_history, set(), rules)
		past = result.due_events(tracking.to_aware(now)) if result is not None else []
		unannounced += [(row.name, event) for event in past]
		values[row.name] = {"sla_policy": row_policy, **tracking.computed_values(result, {e.key for e in past})}
	record_unannounced(unannounced)
	tracking.store_many({row.name: row for row in rows}, values, fields=FIELDS, tell_desk=False)
	return len(values)


def record_unannounced(events: list[tuple[str, clock.Event]]) -> None:
	"""Claims without recipients: handled, nobody told. INSERT IGNORE keeps a re-run (or a sweep that got
	there first) from failing on claims that exist."""
	if not events:
		return
	now = now_datetime()
	bulk.insert_rows(
		"SLA Notification",
		["name", "ticket", "event", "kind", "event_at", "recipients", "emailed_at"],
		[
			(f"{ticket}:{event.key}", ticket, event.key, event.kind, tracking.to_naive(event.at), "", now)
			for ticket, event in events
		],
		ignore_duplicates=True,
	)
