"""A ticket's SLA fields: recomputed from its policy and status history whenever the ticket changes.

Ticket's doc_events (hooks.py) call `before_save` (validate) and `after_save` (on_update); the
AGENT_REPLY_SENT event calls `record_first_response` when an agent's reply was actually sent; the sweep
calls `evaluate`/`store`. The
arithmetic itself is tg_tickets.sla.clock. This module never sends notifications and never commits (but for
`refresh_policy_tickets`, a background job).

Times: the database holds naive datetimes in the system timezone (Frappe's convention); the clock gets
aware ones. Rights: only Tickets admins and owners pick a policy or a deadline by hand; supervisors (admins,
owners, the policy's supervisor) switch escalation off for a ticket. Everything else here is server-maintained.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.utils import get_datetime, get_system_timezone, now_datetime

from tg_tickets import permissions
from tg_tickets.sla import clock, policy
from tg_tickets.tickets import bulk, events, queries, realtime

# Recomputed on every save, whatever the client sends.
COMPUTED_FIELDS = (
	"sla_state", "first_response_due", "resolution_due", "resolved_at", "sla_paused_seconds", "next_sla_event_at",
)
# Written only by the server (first reply, escalation, policy choice); a client's value is ignored.
SERVER_FIELDS = ("first_responded_at", "sla_escalated_at", "sla_policy_overridden")
ADMIN_ONLY_FIELDS = ("sla_policy", "first_response_due_override", "resolution_due_override")


class SLAOverrideError(frappe.PermissionError):
	pass


# --- time conversions ------------------------------------------------------------------------------------


def _system_tz() -> ZoneInfo:
	return ZoneInfo(get_system_timezone())


def to_aware(value) -> datetime | None:
	if not value:
		return None
	value = get_datetime(value)
	return value if value.tzinfo else value.replace(tzinfo=_system_tz())


def to_naive(value: datetime | None) -> datetime | None:
	"""Aware → naive in the system timezone (how Frappe stores Datetime fields)."""
	if value is None:
		return None
	return value.astimezone(_system_tz()).replace(tzinfo=None)


# --- reading the ticket's history ------------------------------------------------------------------------


def history(ticket_name: str, creation=None, status=None) -> list[tuple[datetime, str]]:
	rows = frappe.get_all(
		"Ticket Status Log",
		filters={"ticket": ticket_name},
		fields=["changed_at", "status"],
		order_by="changed_at asc, creation asc",
	)
	entries = [(to_aware(r.changed_at), r.status) for r in rows]
	if not entries and creation is not None:
		# A ticket from before SLA tracking: its current status since creation is all we know.
		entries = [(to_aware(creation), status)]
	return entries


def sent_events(ticket_name: str) -> set[str]:
	return set(frappe.get_all("SLA Notification", filters={"ticket": ticket_name}, pluck="event"))


def histories(ticket_names: list[str]) -> dict[str, list[tuple[datetime, str]]]:
	"""Several tickets' status histories in one query (the sweep's jobs)."""
	result: dict[str, list] = {}
	for row in frappe.get_all(
		"Ticket Status Log",
		filters={"ticket": ("in", ticket_names)},
		fields=["ticket", "changed_at", "status"],
		order_by="ticket asc, changed_at asc, creation asc",
	):
		result.setdefault(row.ticket, []).append((to_aware(row.changed_at), row.status))
	return result


def sent_events_of(ticket_names: list[str]) -> dict[str, set[str]]:
	result: dict[str, set] = {}
	for row in frappe.get_all("SLA Notification", filters={"ticket": ("in", ticket_names)}, fields=["ticket", "event"]):
		result.setdefault(row.ticket, set()).add(row.event)
	return result


# --- computing -------------------------------------------------------------------------------------------


def evaluate(ticket, now: datetime | None = None, status_history=None, done=None, rules=None):
	"""(clock result, policy rules, done events) for a ticket (document or row with the SLA inputs);
	(None, None, done) without a policy."""
	now = to_aware(now or now_datetime())
	if not ticket.sla_policy:
		return None, None, set() if done is None else done
	done = sent_events(ticket.name) if done is None else done
	rules = rules or policy.load(ticket.sla_policy)
	clock_rules = rules.rules
	if ticket.sla_escalation_disabled:
		clock_rules = dataclasses.replace(clock_rules, escalation_enabled=False)
	if status_history is None:
		status_history = history(ticket.name, ticket.creation, ticket.status)
	start = min(at for at, _ in status_history)
	result = clock.compute(
		rules.targets_for(ticket.priority),
		rules.calendar,
		status_history,
		max(now, start),
		clock_rules,
		first_responded_at=to_aware(ticket.first_responded_at),
		first_response_due_override=to_aware(ticket.first_response_due_override),
		resolution_due_override=to_aware(ticket.resolution_due_override),
	)
	return result, rules, done


def computed_values(result: clock.SLAResult | None, done) -> dict:
	if result is None:
		return dict.fromkeys(COMPUTED_FIELDS)
	return {
		"sla_state": result.state,
		"first_response_due": to_naive(result.first_response.due),
		"resolution_due": to_naive(result.resolution.due),
		"resolved_at": to_naive(result.resolved_at),
		"sla_paused_seconds": round(result.paused_seconds),
		"next_sla_event_at": to_naive(result.next_event_at(done)),
	}


def store(ticket, values: dict) -> None:
	"""Writes SLA fields without a full save (no validate, no version), then tells the desk."""
	changed = {k: v for k, v in values.items() if ticket.get(k) != v}
	if not changed:
		return
	ticket.update(changed)
	# A plain UPDATE of server-maintained columns (the sweep writes up to thousands a minute); the column
	# names come from COMPUTED_FIELDS/SERVER_FIELDS, never from input.
	if not set(changed) <= set(COMPUTED_FIELDS + SERVER_FIELDS):
		raise ValueError(f"not an SLA field the server maintains: {sorted(changed)}")
	frappe.db.sql(
		"update `tabTicket` set {} where name = %s".format(", ".join(f"`{field}` = %s" for field in changed)),
		(*changed.values(), ticket.name),
	)
	realtime.notify_ticket_row(ticket.name)


def store_many(tickets: dict, values_by_name: dict[str, dict], fields=COMPUTED_FIELDS, tell_desk: bool = True) -> None:
	"""`store` for many tickets (rows holding `fields`) in one UPDATE: the sweep's jobs write up to hundreds
	of tickets at once, and one statement costs a fraction of hundreds."""
	changed = [
		name for name, values in values_by_name.items() if any(tickets[name].get(k) != v for k, v in values.items())
	]
	if not changed:
		return
	if any(set(values_by_name[name]) != set(fields) for name in changed):
		raise ValueError(f"store_many writes exactly {sorted(fields)} of every ticket")
	if not set(fields) <= set(COMPUTED_FIELDS + SERVER_FIELDS + ("sla_policy",)):
		raise ValueError(f"not SLA fields the server maintains: {sorted(fields)}")
	# The new values as a derived table joined on the primary key; column names come from the checked fields.
	first = "select %s as name, " + ", ".join(f"%s as `{field}`" for field in fields)
	rest = "select %s, " + ", ".join(["%s"] * len(fields))
	derived = " union all ".join([first] + [rest] * (len(changed) - 1))
	params = [x for name in changed for x in (name, *(values_by_name[name][f] for f in fields))]
	frappe.db.sql(
		f"""update `tabTicket` t join ({derived}) v on v.name = t.name
		set {", ".join(f"t.`{field}` = v.`{field}`" for field in fields)}""",
		params,
	)
	for name in changed:
		tickets[name].update(values_by_name[name])
		if tell_desk:
			realtime.notify_ticket_row(name)
	if tell_desk:  # the SLA backfill (a patch) tells nobody: the metrics backfill after it reads every ticket
		events.emit(events.SLA_FIELDS_STORED, sorted(changed))


def refresh(ticket_name: str, now: datetime | None = None) -> dict:
	"""Recomputes and stores one ticket's SLA fields (after a policy change, a first reply, ...)."""
	ticket = frappe.get_doc("Ticket", ticket_name)
	result, _rules, done = evaluate(ticket, now)
	values = computed_values(result, done)
	if any(ticket.get(k) != v for k, v in values.items()):
		store(ticket, values)
		events.emit(events.SLA_FIELDS_STORED, [ticket_name])
	return values


# --- the Ticket controller's calls -----------------------------------------------------------------------


def _changed(ticket, before, field) -> bool:
	old = before.get(field) if before else None
	new = ticket.get(field)
	if field.endswith(("_at", "_override", "_due")):
		old, new = (get_datetime(old) if old else None), (get_datetime(new) if new else None)
	elif field == "sla_escalation_disabled":
		old, new = int(old or 0), int(new or 0)
	return (new or None) != (old or None)


def _check_rights(ticket, before) -> None:
	user = frappe.session.user
	if not permissions.is_admin(user):
		for field in ADMIN_ONLY_FIELDS:
			if _changed(ticket, before, field):
				label = ticket.meta.get_label(field)
				frappe.throw(
					_("Only Tickets admins and owners can change {0} on a ticket.").format(frappe.bold(label)),
					SLAOverrideError,
					title=_("Not permitted"),
				)
		if _changed(ticket, before, "sla_escalation_disabled"):
			supervisor = frappe.db.get_value("SLA Policy", ticket.sla_policy, "escalate_to") if ticket.sla_policy else None
			if user != supervisor:
				frappe.throw(
					_("Only supervisors (Tickets admins, owners or the policy's supervisor) can switch escalation off or on."),
					SLAOverrideError,
					title=_("Not permitted"),
				)


def before_validate(ticket, method=None) -> None:
	"""doc_events Ticket.before_validate: the SLA fields a client sends back unchanged get their stored
	value and type again (the desk posts datetimes as strings), and server-maintained ones always do, so
	the ticket rules that compare against the saved version (a closed ticket is read-only) see no change."""
	if ticket.is_new():
		return
	before = ticket.get_doc_before_save()
	if before is None:
		return
	server_fields = () if ticket.flags.sla_server_update else SERVER_FIELDS
	for field in COMPUTED_FIELDS + server_fields:
		ticket.set(field, before.get(field))
	for field in ADMIN_ONLY_FIELDS + ("sla_escalation_disabled",):
		if not _changed(ticket, before, field):
			ticket.set(field, before.get(field))


def before_save(ticket, method=None) -> None:
	"""doc_events Ticket.validate (after the ticket's own rules): rights on the SLA overrides, policy choice, and every computed SLA field."""
	before = None if ticket.is_new() else ticket.get_doc_before_save()
	_check_rights(ticket, before)

	if not ticket.flags.sla_server_update:
		for field in SERVER_FIELDS:
			ticket.set(field, before.get(field) if before else None)
		ticket.sla_policy_overridden = (before.sla_policy_overridden if before else 0) or 0
	if _changed(ticket, before, "sla_policy"):
		ticket.sla_policy_overridden = 1 if ticket.sla_policy else 0
	if not ticket.sla_policy_overridden:
		ticket.sla_policy = policy.choose_policy(ticket)

	now = to_aware(now_datetime())
	if before is None:
		changed_at = to_aware(ticket.creation) or now
		status_history = [(changed_at, ticket.status)]
		done = set()
	else:
		changed_at = now if before.status != ticket.status else None
		status_history = None
		if ticket.sla_policy:  # without a policy there is no clock to feed (a query less per save)
			status_history = history(ticket.name, before.creation, before.status)
			if changed_at:
				status_history.append((max(changed_at, status_history[-1][0]), ticket.status))
		done = None
	ticket.flags.sla_status_changed_at = changed_at

	result, _rules, done = evaluate(ticket, now, status_history, done)
	ticket.update(computed_values(result, done))


def after_save(ticket, method=None) -> None:
	"""doc_events Ticket.on_update: the status the ticket entered joins its history (the name is final by now).
	A plain INSERT of the append-only row, by the session's user: a document insert cost its validation,
	cache and realtime round trips on every status change (auto-close changes thousands a minute)."""
	changed_at = ticket.flags.pop("sla_status_changed_at", None)
	if changed_at is None:
		return
	user = frappe.session.user
	bulk.insert_rows(
		"Ticket Status Log", ("ticket", "status", "changed_at", "changed_by"),
		[(ticket.name, ticket.status, to_naive(changed_at), user)], user=user,
	)


def on_tickets_closed(before: dict, closed: dict, now) -> None:
	"""TICKETS_CLOSED_BY_SYSTEM: what `before_save` and `after_save` do on each close, for all the tickets at once:
	the policy chosen again (unless set by hand), the clock recomputed with the close in its history, and the
	CLOSED row of the status history."""
	names = sorted(closed)
	tickets = {name: frappe._dict(closed[name]) for name in names}  # the first handler: the rows as the close wrote them
	stored = {name: frappe._dict(sla_policy=t.sla_policy, **{f: t.get(f) for f in COMPUTED_FIELDS}) for name, t in tickets.items()}
	choices = policy.policy_choices()
	if any(not t.sla_policy_overridden for t in tickets.values()) and any(choices.conditions.values()):
		chats = queries.chats_of_tickets(names)  # a policy's condition may name a linked chat
		for name, t in tickets.items():
			t.chats = [frappe._dict(chat=chat) for chat in chats.get(name, [])]
	for t in tickets.values():
		if not t.sla_policy_overridden:
			t.sla_policy = policy.choose_policy(t, choices)
	with_policy = [name for name, t in tickets.items() if t.sla_policy]
	histories_of = histories(with_policy) if with_policy else {}
	sent = sent_events_of(with_policy) if with_policy else {}
	at = to_aware(now)
	rules_of: dict[str, policy.PolicyRules] = {}
	values = {}
	for name, t in tickets.items():
		status_history, done, rules = None, set(), None
		if t.sla_policy:
			# no log rows (a ticket from before SLA tracking): its status before the close since creation
			status_history = histories_of.get(name) or [(to_aware(t.creation), before[name].status)]
			status_history.append((max(at, status_history[-1][0]), t.status))
			done = sent.get(name, set())
			rules = rules_of.get(t.sla_policy) or rules_of.setdefault(t.sla_policy, policy.load(t.sla_policy))
		result, _rules, done = evaluate(t, at, status_history, done, rules)
		values[name] = {"sla_policy": t.sla_policy, **computed_values(result, done)}
	# the figures follow from the same event (analytics' handler): no SLA_FIELDS_STORED here
	store_many(stored, values, fields=("sla_policy", *COMPUTED_FIELDS), tell_desk=False)
	user = frappe.session.user
	bulk.insert_rows("Ticket Status Log", ("ticket", "status", "changed_at", "changed_by"),
		[(name, tickets[name].status, to_naive(at), user) for name in names], user=user)


# --- first response --------------------------------------------------------------------------------------


def record_first_response(ticket_name: str, sent_at) -> bool:
	"""The first agent reply actually sent to the customer on Telegram stops the first-response clock.

	The AGENT_REPLY_SENT handler: an outgoing agent message became Sent (desk or forum topic); internal
	comments never call it. `sent_at` is aware, or naive in the system timezone. Idempotent: a later reply
	changes nothing, an earlier one (out-of-order delivery reports) moves the stamp back. Returns whether
	the stamp changed. Not whitelisted: only server code that saw the message sent may call it.
	"""
	if not sent_at:
		frappe.throw(_("The time the reply was sent is missing."))
	sent = to_naive(to_aware(sent_at))
	row = frappe.db.sql("select first_responded_at from `tabTicket` where name = %s for update", (ticket_name,))
	if not row:
		frappe.throw(_("Ticket {0} does not exist.").format(ticket_name), frappe.DoesNotExistError)
	current = row[0][0]
	if current and current <= sent:
		return False
	ticket = frappe.get_doc("Ticket", ticket_name)
	ticket.first_responded_at = sent
	frappe.db.set_value("Ticket", ticket_name, "first_responded_at", sent, update_modified=False)
	result, _rules, done = evaluate(ticket)
	store(ticket, computed_values(result, done))
	return True


def refresh_policy_tickets(policy_name: str, batch: int = 500) -> int:
	"""After a policy edit: recompute the open tickets on it, in batches (an RQ job, see policy.py)."""
	count, last = 0, ""
	while True:
		names = frappe.db.sql(
			"""select name from `tabTicket` where sla_policy = %s and name > %s
			and status not in ('SOLVED', 'CLOSED') order by name limit %s""",
			(policy_name, last, batch),
			pluck=True,
		)
		if not names:
			return count
		for name in names:
			refresh(name)
		count += len(names)
		last = names[-1]
		frappe.db.commit()  # a background job's batch, not a controller


def on_ticket_trash(ticket, method=None) -> None:
	"""doc_events Ticket.on_trash: the ticket's status history and SLA notification records go with it."""
	frappe.db.delete("Ticket Status Log", {"ticket": ticket.name})
	frappe.db.delete("SLA Notification", {"ticket": ticket.name})


def business_time_after(policy_name: str | None, start, hours: float):
	"""BUSINESS_TIME_AFTER: `hours` of the policy's business time after `start` (naive, system time zone);
	None when there is no such policy (the caller counts wall-clock hours)."""
	if not policy_name or not frappe.db.exists("SLA Policy", policy_name):
		return None
	calendar = policy.load(policy_name).calendar
	return to_naive(calendar.time_after(to_aware(start), float(hours) * 3600))


def business_seconds_between(policy_name: str | None, start, end) -> float | None:
	"""BUSINESS_SECONDS_BETWEEN: seconds of the policy's business hours from `start` to `end` (naive, system time
	zone); 0 when `end` is not after `start`; None when there is no such policy (the caller counts wall time)."""
	if not policy_name or not frappe.db.exists("SLA Policy", policy_name):
		return None
	start, end = to_aware(start), to_aware(end)
	if end <= start:
		return 0.0
	return policy.load(policy_name).calendar.business_seconds(start, end)
