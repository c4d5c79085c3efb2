"""The minute job: finds tickets whose next SLA event is due and hands them to RQ jobs that act on them.

The sweep reads only `next_sla_event_at <= now` through its index, so its cost follows the number of due
tickets, never the number of open ones. It never sends anything itself. The jobs are safe to run twice or in
parallel: the ticket row is locked while it is processed and each notification is claimed by a unique key
(tg_tickets.sla.notify). A lost job is harmless: the ticket stays due and the next sweep enqueues it again.
"""

from __future__ import annotations

import hashlib

import frappe
from frappe.utils import now_datetime

from tg_tickets.sla import notify, tracking

BATCH = 5000  # due tickets per sweep; more wait for the next minute
TICKETS_PER_JOB = 100


def due_tickets(now=None, limit: int = BATCH) -> list[str]:
	return frappe.db.sql(
		"""select name from `tabTicket`
		where next_sla_event_at <= %s order by next_sla_event_at limit %s""",
		(now or now_datetime(), limit),
		pluck=True,
	)


def run(now=None) -> int:
	"""Scheduler entry point (every minute). Returns the number of due tickets handed to jobs."""
	names = due_tickets(now)
	for start in range(0, len(names), TICKETS_PER_JOB):
		chunk = names[start : start + TICKETS_PER_JOB]
		# Same chunk, same id: a re-run while the job still waits does not queue it twice.
		digest = hashlib.sha1(",".join(chunk).encode()).hexdigest()[:16]
		frappe.enqueue(
			"tg_tickets.sla.sweep.process_tickets",
			queue="short",
			names=chunk,
			job_id=f"tg-sla-sweep:{digest}",
			deduplicate=True,
			enqueue_after_commit=True,
		)
	return len(names)


def process_tickets(names: list[str], now=None) -> dict[str, list[str]]:
	"""RQ job: each ticket in its own transaction, so one failure does not hold back the others."""
	fired = {}
	for name in names:
		try:
			fired[name] = process_ticket(name, now)
			frappe.db.commit()
		except Exception:
			frappe.db.rollback()
			frappe.log_error(title=f"SLA events of ticket {name}", reference_doctype="Ticket", reference_name=name)
	return fired


def process_ticket(name: str, now=None) -> list[str]:
	"""Sends the ticket's due SLA events that nobody sent yet and schedules its next one. Returns their keys."""
	now = now or now_datetime()
	row = frappe.db.sql(
		"select next_sla_event_at from `tabTicket` where name = %s for update", (name,), as_dict=True
	)
	if not row or not row[0].next_sla_event_at or row[0].next_sla_event_at > now:
		return []  # another worker got here first, or the ticket changed since the sweep
	ticket = frappe.get_doc("Ticket", name)
	result, rules, done = tracking.evaluate(ticket, now)
	fired = []
	escalate = False
	if result is not None:
		for event in result.due_events(tracking.to_aware(now), done):
			clock_result = result.first_response if event.clock == "first_response" else result.resolution
			recipients = notify.recipients_for(ticket, event, rules)
			if not notify.claim(name, event, recipients):
				continue
			done.add(event.key)
			fired.append(event.key)
			notify.send(ticket, event, recipients, tracking.to_naive(clock_result.due))
			escalate = escalate or event.kind == "escalation"
	if escalate:
		notify.escalate(ticket, rules)  # a full save: recomputes every SLA field, next event included
	else:
		tracking.store(ticket, tracking.computed_values(result, done))
	return fired
