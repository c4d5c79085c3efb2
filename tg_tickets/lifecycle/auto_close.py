"""Auto-close, the Frappe-facing part: keeps each ticket's auto-close schedule as its status changes, and the
minute sweep that warns and closes.

The sweep reads only `next_auto_close_event_at <= now` through its index (like the SLA sweep), so its cost
follows the number of due tickets. Each job locks the rows still due and moves their event time in the same
transaction as the warning it queues (tickets/ outbox) or the close it makes (tickets/ bulk_close), so a
rerun or a parallel job never warns or closes twice, and a lost job leaves the ticket due for the next minute.
Decisions are auto_close_plan's (pure); business hours come from the SLA domain through BUSINESS_TIME_AFTER.
"""

from __future__ import annotations

import hashlib

import frappe
from frappe import _
from frappe.utils import cint, flt, get_datetime, now_datetime

from tg_tickets.lifecycle import auto_close_plan as plan
from tg_tickets.tickets import bulk, bulk_close, conversation, events, queries
from tg_tickets.tickets.fields import CLOSED, SOLVED

CACHE_KEY = "tg_tickets:auto_close_rules"
BUTTON_PREFIX = "lc:h:"  # "Still need help" under the warning (+ the ticket's name)
BATCH = 10000  # due tickets per sweep; more wait for the next minute
TICKETS_PER_JOB = 500
SCHEDULE_FIELDS = ("auto_close_at", "auto_close_warned_at", "next_auto_close_event_at")


# --- rules -----------------------------------------------------------------------------------------------


def validate_rule(rule) -> None:
	if flt(rule.close_after_hours) <= 0:
		frappe.throw(_("Close After must be more than 0 hours."))
	if flt(rule.warn_before_hours) < 0 or flt(rule.reopen_window_hours) < 0:
		frappe.throw(_("Hours cannot be negative."))
	if flt(rule.warn_before_hours) > flt(rule.close_after_hours):
		frappe.throw(_("The warning cannot come before the ticket is solved: warn at most {0} hours before closing.").format(
			f"{flt(rule.close_after_hours):g}"))
	if rule.category and rule.sla_policy:
		frappe.throw(_("A rule applies to a category or to an SLA policy, not both."))
	if rule.enabled:
		clash = frappe.db.get_value("Auto Close Rule", {
			"name": ("!=", rule.name), "enabled": 1, "category": rule.category or ("is", "not set"),
			"sla_policy": rule.sla_policy or ("is", "not set"),
		})
		if clash:
			what = rule.category or rule.sla_policy or _("every other ticket (the default)")
			frappe.throw(_("Rule {0} already applies to {1}.").format(frappe.bold(clash), what))


def forget_rules(*args, **kwargs) -> None:
	frappe.cache.delete_value(CACHE_KEY)


def rules() -> list[plan.Rule]:
	found = frappe.cache.get_value(CACHE_KEY)
	if found is None:
		found = [
			dict(name=r.name, close_after_hours=flt(r.close_after_hours), warn_before_hours=flt(r.warn_before_hours),
				business_hours=bool(cint(r.business_hours)), reopen_window_hours=flt(r.reopen_window_hours),
				category=r.category or None, sla_policy=r.sla_policy or None)
			for r in frappe.get_all("Auto Close Rule", filters={"enabled": 1}, fields=["*"], order_by="name")
		]
		frappe.cache.set_value(CACHE_KEY, found)
	return [plan.Rule(**r) for r in found]


def rule_of(ticket) -> plan.Rule | None:
	return plan.choose_rule(rules(), ticket.get("category"), ticket.get("sla_policy"))


def rule_named(name: str | None) -> plan.Rule | None:
	return next((r for r in rules() if r.name == name), None)


def hours_adder(rule: plan.Rule, sla_policy: str | None):
	"""Wall-clock hours, or the ticket's SLA policy's business hours when the rule counts those."""
	if not rule.business_hours or not sla_policy:
		return plan.wall_hours

	def add(start, hours):
		for answer in events.emit(events.BUSINESS_TIME_AFTER, sla_policy, start, hours):
			if answer is not None:
				return get_datetime(answer)
		return plan.wall_hours(start, hours)

	return add


# --- the ticket's schedule, kept on every save (Ticket validate, after the controller) ---------------------


def before_ticket_save(ticket, method=None) -> None:
	"""SOLVED now: the warning and close are planned. CLOSED now: the reopen window starts. Any other status:
	nothing is planned. Reopening a solved or closed ticket counts (escalation reads reopen_count)."""
	before = None if ticket.is_new() else ticket.get_doc_before_save()
	previous = before.status if before else None
	if previous == ticket.status:
		return
	now = now_datetime()
	for field in SCHEDULE_FIELDS:
		ticket.set(field, None)
	if previous in (SOLVED, CLOSED) and ticket.status not in (SOLVED, CLOSED):
		ticket.reopen_count = cint(ticket.reopen_count) + 1
		ticket.last_reopened_at = now
	if ticket.status == SOLVED:
		rule = rule_of(ticket)
		ticket.auto_close_rule = rule.name if rule else None
		if rule:
			when = plan.schedule(now, rule, hours_adder(rule, ticket.sla_policy))
			ticket.auto_close_at = when.close_at
			ticket.next_auto_close_event_at = when.next_event_at(warned=False)
	elif ticket.status == CLOSED:
		rule = rule_of(ticket)
		ticket.auto_close_rule = rule.name if rule else None
		ticket.reopen_until = plan.reopen_until(now, rule)
	else:
		ticket.auto_close_rule = None
		ticket.reopen_until = None


def on_tickets_closed(before: dict, closed: dict, now) -> None:
	"""TICKETS_CLOSED_BY_SYSTEM: `before_ticket_save` on a close, for all of them — nothing planned any more, the
	rule chosen again (its category or SLA policy may have changed) and its reopen window started."""
	by_rule: dict[str | None, list[str]] = {}
	for name, category, sla_policy in frappe.db.sql(
		"select name, category, sla_policy from `tabTicket` where name in %s", (tuple(before),)
	):
		rule = plan.choose_rule(rules(), category, sla_policy)
		by_rule.setdefault(rule.name if rule else None, []).append(name)
	for rule_name, names in by_rule.items():
		frappe.db.sql(
			"""update `tabTicket` set auto_close_rule = %s, reopen_until = %s, auto_close_at = null,
			auto_close_warned_at = null, next_auto_close_event_at = null where name in %s""",
			(rule_name, plan.reopen_until(now, rule_named(rule_name)), tuple(names)),
		)


# --- the sweep -------------------------------------------------------------------------------------------


def due_tickets(now=None, limit: int = BATCH) -> list[str]:
	return frappe.db.sql(
		"""select name from `tabTicket` where next_auto_close_event_at <= %s
		order by next_auto_close_event_at limit %s""",
		(now or now_datetime(), limit),
		pluck=True,
	)


def run(now=None) -> int:
	"""Scheduler entry point (every minute): due tickets handed to RQ jobs. Returns how many."""
	names = due_tickets(now)
	for start in range(0, len(names), TICKETS_PER_JOB):
		chunk = names[start : start + TICKETS_PER_JOB]
		digest = hashlib.sha1(",".join(chunk).encode()).hexdigest()[:16]
		frappe.enqueue(
			"tg_tickets.lifecycle.auto_close.process_tickets", queue="short", names=chunk,
			job_id=f"tg-auto-close:{digest}", deduplicate=True, enqueue_after_commit=True,
		)
	return len(names)


def process_tickets(names: list[str], now=None) -> dict[str, str]:
	"""RQ job: the due tickets (rows locked) are warned together — their messages, schedules and history
	lines in a few statements — and closed together (tickets/bulk_close.py: every domain reacts as to a close by
	a save); a ticket the bulk close leaves is closed by a save of its own in its own savepoint (a failing one
	is logged and stays due); one commit.
	Returns {ticket: "warn" | "close"} for what it did."""
	now = now or now_datetime()
	done: dict[str, str] = {}
	if not names:
		return done
	due = frappe.db.sql(
		"""select name, status, sla_policy, auto_close_rule, auto_close_at, auto_close_warned_at,
		next_auto_close_event_at from `tabTicket`
		where name in %(names)s and next_auto_close_event_at <= %(now)s order by name for update""",
		{"names": tuple(names), "now": now},
		as_dict=True,
	)
	stale, warnings, closes = [], {}, []
	for ticket in due:
		rule = rule_named(ticket.auto_close_rule)
		if ticket.status != SOLVED or rule is None:
			stale.append(ticket.name)  # no longer solved, or its rule was switched off or deleted
			continue
		close_at = get_datetime(ticket.auto_close_at)
		warn_at = get_datetime(ticket.next_auto_close_event_at) if not ticket.auto_close_warned_at else close_at
		step = plan.due_step(now, warn_at, close_at, ticket.auto_close_warned_at)
		if step == plan.WARN:
			warnings[ticket.name] = plan.close_after_warning(close_at, now, rule, hours_adder(rule, ticket.sla_policy))
		elif step == plan.CLOSE:
			closes.append((ticket.name, rule))
	if stale:
		frappe.db.sql(
			"""update `tabTicket` set auto_close_at = null, auto_close_warned_at = null, next_auto_close_event_at = null
			where name in %s""", (tuple(stale),),
		)
	if warnings:
		warn(warnings, now)
		done.update(dict.fromkeys(warnings, plan.WARN))
	lines, left = close_in_bulk({name: plan.close_reason(rule) for name, rule in closes})
	done.update(dict.fromkeys(lines, plan.CLOSE))
	for name, rule in closes:
		if name not in left:
			continue
		frappe.db.savepoint("tg_auto_close")
		try:
			lines[name] = conversation.close_by_system(name, plan.close_reason(rule), write_history=False)
			done[name] = plan.CLOSE
		except Exception:
			frappe.db.rollback(save_point="tg_auto_close")
			frappe.log_error(title=f"Auto-close of ticket {name}", reference_doctype="Ticket", reference_name=name)
	conversation.history_lines(lines)  # the closes' history lines in one insert, in the closes' transaction
	frappe.db.commit()  # a background job, not a controller
	return done


def close_in_bulk(reasons: dict[str, str]) -> tuple[dict[str, str], set[str]]:
	"""The closes in a few statements (tickets/bulk_close.py); ({ticket: history line}, the tickets left for a
	save each). Should the bulk close fail, it is undone and every ticket is left to its own save."""
	if not reasons:
		return {}, set()
	frappe.db.savepoint("tg_auto_close_bulk")
	try:
		lines, left = bulk_close.close_many_by_system(reasons)
	except Exception:
		frappe.db.rollback(save_point="tg_auto_close_bulk")
		frappe.log_error(title=f"Auto-close in bulk of {len(reasons)} tickets (each is closed on its own instead)")
		return {}, set(reasons)
	return lines, set(left)


def warn(close_at_by_ticket: dict, now) -> None:
	"""The warnings with their Still need help button, the new close times and the history lines, in bulk."""
	conversation.message_customers({
		name: (plan.warning_text(name, plan.hours_left(now, close_at)), [[(plan.STILL_NEED_HELP, f"{BUTTON_PREFIX}{name}")]])
		for name, close_at in close_at_by_ticket.items()
	})
	rows = sorted(close_at_by_ticket.items())
	derived = " union all ".join(["select %s as name, %s as close_at"] * len(rows))
	frappe.db.sql(
		f"""update `tabTicket` t join ({derived}) v on v.name = t.name
		set t.auto_close_warned_at = %s, t.auto_close_at = v.close_at, t.next_auto_close_event_at = v.close_at""",
		[value for row in rows for value in row] + [now],
	)
	bulk.insert_rows("Comment", ("comment_type", "reference_doctype", "reference_name", "content", "comment_email"), [
		("Info", "Ticket", name, _("Auto-close warning sent to the customer: closes at {0} unless they reply").format(
			frappe.utils.format_datetime(close_at)), "Administrator")
		for name, close_at in rows
	])


# --- the "Still need help" button (BUTTON_PRESSED) ----------------------------------------------------------


def on_button_pressed(chat: str, data: str, sender_id: str) -> str | None:
	if not data.startswith(BUTTON_PREFIX):
		return None
	name = data.removeprefix(BUTTON_PREFIX)
	# Only the ticket's own chat may reopen it (the data names the ticket; anyone could craft it).
	if chat not in queries.chats_of_tickets([name]).get(name, []):
		return _("This button does not belong to a ticket of this chat.")
	status, reopen_until = frappe.db.get_value("Ticket", name, ["status", "reopen_until"])
	if status == SOLVED or (status == CLOSED and reopen_until and get_datetime(reopen_until) > now_datetime()):
		conversation.reopen(name, _("the customer pressed “{0}”").format(plan.STILL_NEED_HELP))
		return _("Ticket #{0} is open again; an agent will get back to you.").format(name)
	if status == CLOSED:
		return _("Ticket #{0} is closed. Write a message to open a new one.").format(name)
	return _("Ticket #{0} is open; an agent will get back to you.").format(name)
