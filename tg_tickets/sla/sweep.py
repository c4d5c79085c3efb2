"""The minute job: finds tickets whose next SLA event is due and hands them to RQ jobs that act on them.

The sweep reads only `next_sla_event_at <= now` through its index, so its cost follows the number of due
tickets, never the number of open ones. It never sends anything itself. The jobs are safe to run twice or in
parallel: the due ticket rows are locked while processed and each notification is claimed by a unique key
(tg_tickets.sla.notify). A lost job is harmless: the ticket stays due and the next sweep enqueues it again.
A job reads its tickets, histories and sent events in a few queries and writes its desk notifications in
bulk; e-mail follows as one digest per recipient (tg_tickets.sla.notify.send_email_digests).
"""

from __future__ import annotations

import hashlib

import frappe
from frappe.utils import now_datetime

from tg_tickets.sla import clock, notify, policy, tracking

BATCH = 5000  # due tickets per sweep; more wait for the next minute
TICKETS_PER_JOB = 500  # an RQ job forks and sets Frappe up (~2 s here): fewer, bigger jobs

TICKET_FIELDS = [
	"name", "title", "status", "priority", "assigned_to", "creation", "sla_policy", "sla_escalation_disabled",
	"first_responded_at", "first_response_due_override", "resolution_due_override", *tracking.COMPUTED_FIELDS,
]


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
	if notify.emails_pending():
		notify.enqueue_email_digests()  # picks up digests a lost job left behind
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
	"""RQ job: the due events of these tickets, committed together (a failing ticket is skipped and logged)."""
	fired = process_batch(names, now)
	frappe.db.commit()  # a background job, not a controller
	return fired


def process_ticket(name: str, now=None) -> list[str]:
	"""One ticket's due events, in the caller's transaction. Returns the keys of the events it sent."""
	return process_batch([name], now).get(name, [])


def process_batch(names: list[str], now=None) -> dict[str, list[str]]:
	now = now or now_datetime()
	if not names:
		return {}
	# Lock the rows still due; a ticket another worker already handled is no longer due and is skipped.
	due = frappe.db.sql(
		"""select name from `tabTicket` where name in %(names)s and next_sla_event_at <= %(now)s
		order by name for update""",
		{"names": tuple(names), "now": now},
		pluck=True,
	)
	if not due:
		return {}
	tickets = {t.name: t for t in frappe.get_all("Ticket", filters={"name": ("in", due)}, fields=TICKET_FIELDS)}
	histories = tracking.histories(due)
	sent = tracking.sent_events_of(due)
	outbox = notify.Outbox()
	recipients = notify.Recipients()
	rules_cache: dict[str, policy.PolicyRules] = {}
	fired: dict[str, list[str]] = {}
	for name in due:
		frappe.db.savepoint("tg_sla_ticket")
		try:
			fired[name] = _process(
				tickets[name], histories.get(name), sent.get(name, set()), now, outbox, recipients, rules_cache
			)
		except Exception:
			frappe.db.rollback(save_point="tg_sla_ticket")
			outbox.discard(name)
			frappe.log_error(title=f"SLA events of ticket {name}", reference_doctype="Ticket", reference_name=name)
	outbox.flush()
	return fired


def _process(ticket, status_history, done: set[str], now, outbox, recipients, rules_cache) -> list[str]:
	rules = None
	if ticket.sla_policy:
		rules = rules_cache.get(ticket.sla_policy) or rules_cache.setdefault(ticket.sla_policy, policy.load(ticket.sla_policy))
	# No log rows (a ticket from before SLA tracking): its current status since creation, as tracking.history does.
	status_history = status_history or [(tracking.to_aware(ticket.creation), ticket.status)]
	result, rules, done = tracking.evaluate(ticket, now, status_history, done, rules)
	fired, escalate = [], False
	if result is not None:
		for event in result.due_events(tracking.to_aware(now), done):
			users = recipients.for_event(ticket, event, rules)
			if not notify.claim(ticket.name, event, users):
				continue
			done.add(event.key)
			fired.append(event.key)
			clock_result = result.first_response if event.clock == clock.FIRST_RESPONSE else result.resolution
			outbox.add(ticket, event, users, tracking.to_naive(clock_result.due))
			escalate = escalate or event.kind == "escalation"
	if escalate:
		# A full save: reassignment, version, realtime; it recomputes every SLA field, next event included.
		notify.escalate(frappe.get_doc("Ticket", ticket.name), rules)
	else:
		tracking.store(ticket, tracking.computed_values(result, done))
	return fired
