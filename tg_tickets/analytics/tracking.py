"""Ticket Metrics kept current: each event that can change a ticket's figures recomputes that ticket's row from
the ticket's own records (its row, status history, Telegram messages, ratings) with tg_tickets.analytics.metrics.

Events (hooks.py): the ticket saved or inserted (doc_events on_update), an agent's reply sent (AGENT_REPLY_SENT,
after the SLA stamped the first response), a rating stored or removed (doc_events on Ticket Rating), an inbox
batch's messages stored (TICKET_MESSAGES_STORED: one recompute for all the batch's tickets, so the inbound hot
path pays a few statements per batch, not per message). Recomputing reads a handful of rows per ticket by indexed
ticket; nothing here scans the tables, and a recompute is idempotent (a retried event writes the same row).

Business hours come from the SLA domain through BUSINESS_SECONDS_BETWEEN; analytics never imports sla/.
Never commits (but for the backfill, a patch's batches).
"""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe.utils import get_datetime

from tg_tickets.analytics import days, metrics
from tg_tickets.tickets import bulk, events

DOCTYPE = "Ticket Metrics"
FIELDS = (
	"status", "team", "agent", "category", "priority", "chat_type", "created_on", "created_date", "created_week",
	"first_response_on", "first_response_seconds", "first_response_business_seconds", "resolved_on", "resolved_date",
	"resolution_seconds", "resolution_business_seconds", "closed_on", "closed_date", "open_since", "handle_seconds",
	"agent_replies", "customer_messages", "reopen_count", "first_contact_resolution", "rating", "rated", "sentiment",
	"sla_met", "sla_breached",
)
TICKET_COLUMNS = (
	"name", "creation", "status", "team", "assigned_to", "category", "priority", "closed_at", "first_responded_at",
	"reopen_count", "sentiment", "sla_state", "sla_policy", "resolved_at", "modified",
)


# --- reading one batch of tickets' records ------------------------------------------------------------------


def _histories(names: list[str]) -> dict[str, list]:
	found = defaultdict(list)
	for ticket, at, status in frappe.db.sql(
		"""select ticket, changed_at, status from `tabTicket Status Log` where ticket in %s
		order by ticket, changed_at, creation""",
		(tuple(names),),
	):
		found[ticket].append((get_datetime(at), status))
	return found


def _messages(names: list[str]) -> dict[str, list]:
	"""Customer messages received and agent replies sent (the first Telegram message of each reply: a long text or
	several files go out as parts of one reply)."""
	found = defaultdict(list)
	for ticket, at, kind in frappe.db.sql(
		"""select ticket, ifnull(telegram_date, creation), %s from `tabTelegram Message`
		where ticket in %s and direction = 'Incoming' and is_agent_reply = 0 and message_kind = 'Message'
		union all
		select ticket, sent_at, %s from `tabTelegram Message`
		where ticket in %s and direction = 'Outgoing' and is_agent_reply = 1 and status = 'Sent'
		and sent_at is not null and ifnull(part, 0) = 0""",
		(metrics.CUSTOMER, tuple(names), metrics.AGENT, tuple(names)),
	):
		found[ticket].append((get_datetime(at), kind))
	return found


def _ratings(names: list[str]) -> dict[str, int]:
	"""The rating of each ticket's latest rated closing."""
	return {
		ticket: rating
		for ticket, rating in frappe.db.sql(
			"""select r.ticket, r.rating from `tabTicket Rating` r
			join (select ticket, max(cycle) as cycle from `tabTicket Rating` where ticket in %s group by ticket) l
			on l.ticket = r.ticket and l.cycle = r.cycle""",
			(tuple(names),),
		)
	}


def _chat_types(names: list[str]) -> dict[str, str]:
	"""The kind of chat each ticket talks in: Private when any of its chats is, else its first chat's type
	(the agents' forum topic group is not the customer's chat)."""
	found: dict[str, list[str]] = defaultdict(list)
	for ticket, chat_type in frappe.db.sql(
		"""select tc.parent, lc.chat_type from `tabTicket Chat` tc join `tabLinked Chat` lc on lc.name = tc.chat
		where tc.parenttype = 'Ticket' and tc.parent in %s and ifnull(lc.chat_type, '') != 'Forum'
		order by tc.parent, tc.idx""",
		(tuple(names),),
	):
		found[ticket].append(chat_type)
	return {t: ("Private" if "Private" in types else types[0]) for t, types in found.items() if types}


def business_seconds_between(policy: str | None, start, end) -> float | None:
	"""Seconds of the policy's business hours between two naive datetimes (None: no policy, count wall time)."""
	if not policy:
		return None
	for answer in events.emit(events.BUSINESS_SECONDS_BETWEEN, policy, start, end):
		if answer is not None:
			return float(answer)
	return None


def compute_rows(names: list[str]) -> dict[str, dict]:
	"""{ticket: Ticket Metrics values} for existing tickets, in a few queries for the whole batch."""
	names = sorted(set(names))
	if not names:
		return {}
	columns = ", ".join(f"`{c}`" for c in TICKET_COLUMNS)
	tickets = frappe.db.sql(f"select {columns} from `tabTicket` where name in %s", (tuple(names),), as_dict=True)
	if not tickets:
		return {}
	names = [t.name for t in tickets]
	histories, messages, ratings, chat_types = _histories(names), _messages(names), _ratings(names), _chat_types(names)
	rows = {}
	for t in tickets:
		facts = metrics.TicketFacts(
			created=get_datetime(t.creation), status=t.status, team=t.team, agent=t.assigned_to, category=t.category,
			priority=t.priority, chat_type=chat_types.get(t.name), closed_at=t.closed_at and get_datetime(t.closed_at),
			first_responded_at=t.first_responded_at and get_datetime(t.first_responded_at),
			reopen_count=t.reopen_count or 0, rating=ratings.get(t.name), sentiment=t.sentiment,
			sla_state=t.sla_state, resolved_hint=get_datetime(t.resolved_at or t.modified),
		)
		policy = t.sla_policy

		def business(start, end, policy=policy):
			seconds = business_seconds_between(policy, start, end)
			return (end - start).total_seconds() if seconds is None else seconds

		rows[t.name] = metrics.compute(facts, histories.get(t.name, []), messages.get(t.name, []), business)
	return rows


# Frappe makes Int, Check and Float columns NOT NULL: no rating is 0 there (`rated` says whether there is one).
NOT_NULL = frozenset({"agent_replies", "customer_messages", "reopen_count", "first_contact_resolution", "rating",
	"rated", "sentiment", "sla_met", "sla_breached"})


def store(rows: dict[str, dict]) -> None:
	"""Upserts the rows (one statement per 2,000); the days they counted in and count in now are changed."""
	if rows:
		changed = days.stored_days(list(rows)) | days.days_of(rows.values())
		bulk.insert_rows(
			DOCTYPE, ("name", "ticket", *FIELDS),
			[(name, name, *((values[f] or 0) if f in NOT_NULL else values[f] for f in FIELDS))
				for name, values in sorted(rows.items())],
			update_on_duplicate=(*FIELDS, "modified"),
		)
		days.count_changes(changed)


def refresh(names) -> None:
	"""Recomputes the tickets' rows (names that are no ticket are ignored)."""
	if isinstance(names, str):
		names = [names]
	store(compute_rows(list(names)))


# --- event handlers (hooks.py) ------------------------------------------------------------------------------


def on_ticket_update(ticket, method=None) -> None:
	"""doc_events Ticket.on_update (insert and every save): after the SLA wrote the status history."""
	refresh(ticket.name)


def on_ticket_trash(ticket, method=None) -> None:
	"""doc_events Ticket.on_trash: the ticket's figures go with it."""
	changed = days.stored_days([ticket.name])
	frappe.db.delete(DOCTYPE, {"ticket": ticket.name})
	days.count_changes(changed)


def on_tickets_deleting(tickets: list[str]) -> None:
	"""TICKETS_DELETING (retention, erasure): their rows go with them; the days they counted in change."""
	days.count_changes(days.stored_days(tickets))


def on_agent_reply_sent(ticket: str, sent_at) -> None:
	"""AGENT_REPLY_SENT: first response, replies, handle time and FCR follow (after the SLA's handler)."""
	refresh(ticket)


def on_rating_change(rating, method=None) -> None:
	"""doc_events Ticket Rating after_insert / on_trash."""
	if rating.ticket:
		refresh(rating.ticket)


def on_sla_fields_stored(tickets: list[str]) -> None:
	"""SLA_FIELDS_STORED: the sweep moved these tickets' SLA state without a save (a breach, a met deadline)."""
	refresh(tickets)


def on_tickets_closed(before: dict, closed: dict, now) -> None:
	"""TICKETS_CLOSED_BY_SYSTEM: the closed tickets' figures, once for all (after the SLA wrote their history)."""
	refresh(sorted(before))


def on_ticket_messages_stored(tickets: list[str]) -> None:
	"""TICKET_MESSAGES_STORED: an inbox batch's tickets (message counts, sentiment after lifecycle's trend), in one
	recompute for the batch (a few queries, whatever its size)."""
	refresh(tickets)


# --- upgrade: tickets from before analytics -----------------------------------------------------------------

BATCH = 1000


def backfill(batch: int = BATCH, commit: bool = True) -> int:
	"""Every ticket without a metrics row gets one, in primary-key batches (a patch; `commit` after each batch so
	what is done stays done). Returns the number of rows written; a second run writes none."""
	done, last = 0, ""
	while True:
		names = frappe.db.sql(
			"""select t.name from `tabTicket` t left join `tabTicket Metrics` m on m.name = t.name
			where t.name > %s and m.name is null order by t.name limit %s""",
			(last, batch),
			pluck=True,
		)
		if not names:
			return done
		last = names[-1]
		rows = compute_rows(names)
		store(rows)
		done += len(rows)
		if commit:
			frappe.db.commit()  # a migration patch's batch
