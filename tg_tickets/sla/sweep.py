"""The minute job: finds tickets whose next SLA event is due and hands them to RQ jobs that act on them.

The sweep reads only `next_sla_event_at <= now` through its index, so its cost follows the number of due
tickets, never the number of open ones. It never sends anything itself. The jobs are safe to run twice or in
parallel: the due ticket rows are locked while processed and each notification is claimed by a unique key
(tg_tickets.sla.notify). A lost job is harmless: the ticket stays due and the next sweep enqueues it again.
A job reads its tickets, histories and sent events in a few queries, claims its events in one insert and
writes its SLA fields, desk notifications, e-mail digests and Telegram messages in bulk, in one transaction.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math

import frappe
from frappe.utils import now_datetime
from frappe.utils.background_jobs import get_queue, get_workers

from tg_tickets.sla import clock, notify, policy, tracking

BATCH = 5000  # due tickets per sweep; more wait for the next minute
# A job's set-up (RQ forks, Frappe connects) costs a fixed part; a job holds its tickets' row locks.
MIN_TICKETS_PER_JOB = 100
MAX_TICKETS_PER_JOB = 500

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
	size = tickets_per_job(len(names)) if names else 0
	for start in range(0, len(names), size or 1):
		chunk = names[start : start + size]
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


def tickets_per_job(due: int, workers: int | None = None) -> int:
	"""The due tickets spread evenly over the workers listening on the queue, so that every one (every core)
	takes a share, within MIN/MAX_TICKETS_PER_JOB."""
	if workers is None:
		workers = len(get_workers(get_queue("short")))
	return max(MIN_TICKETS_PER_JOB, min(MAX_TICKETS_PER_JOB, math.ceil(due / max(workers, 1))))


def process_tickets(names: list[str], now=None, attempts: int = 3) -> dict[str, list[str]]:
	"""RQ job: the due events of these tickets, committed together (a failing ticket is skipped and logged).
	A deadlock with a parallel job (both write desk notification settings, e-mail and Telegram rows) rolls the
	whole run back and tries again at once, rather than leaving the tickets to the next minute's sweep."""
	for attempt in range(1, attempts + 1):
		try:
			fired = process_batch(names, now)
			frappe.db.commit()  # a background job, not a controller
			return fired
		except frappe.QueryDeadlockError:
			frappe.db.rollback()
			if attempt == attempts:
				raise
	return {}


def process_ticket(name: str, now=None) -> list[str]:
	"""One ticket's due events, in the caller's transaction. Returns the keys of the events it sent."""
	return process_batch([name], now).get(name, [])


def process_batch(names: list[str], now=None) -> dict[str, list[str]]:
	"""The due events of these tickets in three steps: plan (pure arithmetic per ticket), claim (one insert for
	all), write (desk notifications, e-mail, Telegram, SLA fields, each in bulk). A failing ticket is skipped
	and logged; the others go on."""
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
	plans = plan(tickets, tracking.histories(due), tracking.sent_events_of(due), now)
	won = notify.claim_all([(name, event, users) for name, p in plans.items() for event, users in p.events])

	outbox = notify.Outbox()
	fired: dict[str, list[str]] = {}
	values: dict[str, dict] = {}
	for name, p in plans.items():
		fired[name] = [event.key for event, _users in p.events if (name, event.key) in won]
		for event, users in p.events:
			p.done.add(event.key)  # sent now, or by the worker that claimed it first
			if (name, event.key) in won:
				outbox.add(tickets[name], event, users, p.due_of(event))
		if any(event.kind == "escalation" for event, _users in p.events if event.key in fired[name]):
			_escalate(tickets[name], p.rules, fired, outbox)
		else:
			values[name] = tracking.computed_values(p.result, p.done)
	tracking.store_many(tickets, values)
	outbox.flush()
	return fired


@dataclasses.dataclass
class Plan:
	result: clock.SLAResult | None
	rules: policy.PolicyRules | None
	done: set[str]
	events: list[tuple[clock.Event, list[str]]]  # due now, with their recipients

	def due_of(self, event: clock.Event):
		clock_result = self.result.first_response if event.clock == clock.FIRST_RESPONSE else self.result.resolution
		return tracking.to_naive(clock_result.due)


def plan(tickets: dict, histories: dict, sent: dict, now) -> dict[str, Plan]:
	"""Each ticket's due events and who hears of them; pure arithmetic plus cached reads."""
	recipients = notify.Recipients()
	rules_cache: dict[str, policy.PolicyRules] = {}
	plans = {}
	for name, ticket in tickets.items():
		try:
			rules = None
			if ticket.sla_policy:
				rules = rules_cache.get(ticket.sla_policy) or rules_cache.setdefault(
					ticket.sla_policy, policy.load(ticket.sla_policy)
				)
			# No log rows (a ticket from before SLA tracking): its current status since creation, as tracking.history does.
			status_history = histories.get(name) or [(tracking.to_aware(ticket.creation), ticket.status)]
			result, rules, done = tracking.evaluate(ticket, now, status_history, sent.get(name, set()), rules)
			events = result.due_events(tracking.to_aware(now), done) if result is not None else []
			plans[name] = Plan(result, rules, done, [(e, recipients.for_event(ticket, e, rules)) for e in events])
		except Exception:
			frappe.log_error(title=f"SLA events of ticket {name}", reference_doctype="Ticket", reference_name=name)
	return plans


def _escalate(ticket, rules, fired: dict[str, list[str]], outbox) -> None:
	"""A full save (reassignment, version, realtime) that also recomputes every SLA field. Should it fail,
	the ticket's claims and messages of this run go too, and the next sweep tries again."""
	frappe.db.savepoint("tg_sla_escalation")
	try:
		notify.escalate(frappe.get_doc("Ticket", ticket.name), rules)
	except Exception:
		frappe.db.rollback(save_point="tg_sla_escalation")
		notify.unclaim(ticket.name, fired.pop(ticket.name))
		outbox.discard(ticket.name)
		frappe.log_error(title=f"SLA escalation of ticket {ticket.name}", reference_doctype="Ticket", reference_name=ticket.name)
