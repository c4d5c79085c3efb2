"""Escalation rules, the Frappe-facing part: admins' and owners' Escalation Rules, each ticket's next look
(indexed `next_escalation_at`, kept on every save and marked due when customer messages are scored), the
minute sweep that fires due rules, an agent's request (desk Escalate button, `/escalate reason` in the
ticket's forum topic), and the supervisor's switch-off per ticket.

Decisions are escalation_rules' (pure). A firing is claimed by its Escalation Log row, named from ticket,
rule and cycle, in the same transaction as its actions, so a rule fires once per ticket and cycle however
often a sweep or a request runs. Talks to other domains only through tickets/ and hooks.py events.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import cint, flt, get_datetime, now_datetime

from tg_tickets import permissions
from tg_tickets.lifecycle import escalation_rules as er
from tg_tickets.lifecycle import sentiment_trend
from tg_tickets.tickets import events, realtime
from tg_tickets.tickets.fields import UNRESOLVED_STATUSES

CACHE_KEY = "tg_tickets:escalation_rules"
BATCH = 5000
TICKETS_PER_JOB = 500
BASE_FIELDS = (
	"name", "title", "status", "priority", "category", "team", "assigned_to", "sla_policy", "sla_state", "creation",
	"first_response_due", "first_responded_at", "resolution_due", "reopen_count", "last_reopened_at",
	"escalation_disabled",
)
ACTION_FIELDS = ("raise_priority", "move_to_team", "assign_to", "assign_to_team_supervisor", "notify_users")


class EscalationRefused(frappe.ValidationError):
	pass


# --- rules -----------------------------------------------------------------------------------------------


def validate_rule(rule) -> None:
	ticket_fields = {df.fieldname for df in frappe.get_meta("Ticket").fields} | {"name", "owner", "creation"}
	for row in rule.conditions:
		if row.ticket_field not in ticket_fields:
			frappe.throw(_("Row {0}: Ticket has no field {1}.").format(row.idx, frappe.bold(row.ticket_field)))
		if row.operator in (">", "<"):
			try:
				float(row.value)
			except (TypeError, ValueError):
				frappe.throw(_("Row {0}: {1} compares numbers; {2} is not one.").format(row.idx, row.operator, row.value))
	if rule.trigger == er.SENTIMENT:
		if cint(rule.sentiment_messages) < 1:
			frappe.throw(_("Count at least one customer message."))
		if not -1 <= flt(rule.sentiment_threshold) <= 1:
			frappe.throw(_("A sentiment threshold lies between -1 and 1."))
	if rule.trigger == er.TICKET_AGE and flt(rule.age_hours) <= 0:
		frappe.throw(_("Give the age in hours (more than 0)."))
	if rule.trigger == er.REOPENED and cint(rule.reopened_times) < 0:
		frappe.throw(_("The number of reopenings cannot be negative."))
	if not any(rule.get(f) for f in ACTION_FIELDS):
		frappe.throw(_("Choose at least one action: raise the priority, move to a team, assign, or notify."))
	for user in split_users(rule.notify_users):
		if not frappe.db.exists("User", user):
			frappe.throw(_("Notify: {0} is not a user.").format(frappe.bold(user)))


def split_users(text: str | None) -> list[str]:
	return [u.strip() for u in (text or "").replace(",", "\n").splitlines() if u.strip()]


def forget_rules(*args, **kwargs) -> None:
	frappe.cache.delete_value(CACHE_KEY)


def rule_rows() -> list[dict]:
	rows = frappe.cache.get_value(CACHE_KEY)
	if rows is None:
		rows = []
		for name in frappe.get_all("Escalation Rule", filters={"enabled": 1}, order_by="name", pluck="name"):
			doc = frappe.get_doc("Escalation Rule", name)
			rows.append({
				"name": doc.name, "trigger": doc.trigger, "grace_minutes": cint(doc.grace_minutes),
				"sentiment_messages": cint(doc.sentiment_messages), "sentiment_threshold": flt(doc.sentiment_threshold),
				"age_hours": flt(doc.age_hours), "age_in_business_hours": bool(doc.age_in_business_hours),
				"reopened_times": cint(doc.reopened_times),
				"conditions": [(c.ticket_field, c.operator, c.value or "") for c in doc.conditions],
				"actions": {f: doc.get(f) for f in ACTION_FIELDS},
			})
		frappe.cache.set_value(CACHE_KEY, rows)
	return rows


def rules() -> list[er.Rule]:
	return [
		er.Rule(
			r["name"], r["trigger"], r["grace_minutes"], tuple(er.Condition(*c) for c in r["conditions"]),
			r["sentiment_messages"], r["sentiment_threshold"], r["age_hours"], r["age_in_business_hours"],
			r["reopened_times"],
		)
		for r in rule_rows()
	]


def actions_of(rule_name: str) -> dict:
	return next((r["actions"] for r in rule_rows() if r["name"] == rule_name), {})


def condition_fields() -> set[str]:
	return {c[0] for r in rule_rows() for c in r["conditions"]}


# --- facts -----------------------------------------------------------------------------------------------


def hours_after(policy: str | None, start, hours: float, business: bool):
	if business and policy:
		for answer in events.emit(events.BUSINESS_TIME_AFTER, policy, start, hours):
			if answer is not None:
				return get_datetime(answer)
	return get_datetime(start) + timedelta(hours=hours)


def facts_of(ticket: dict, scores: list[tuple] | None = None) -> er.Facts:
	due = [ticket.get("resolution_due")]
	if not ticket.get("first_responded_at"):
		due.append(ticket.get("first_response_due"))
	due = [get_datetime(d) for d in due if d]
	return er.Facts(
		fields=dict(ticket),
		breached=ticket.get("sla_state") == "BREACHED",
		breached_at=min(due) if due else None,
		customer_scores=scores or (),
		reopen_count=cint(ticket.get("reopen_count")),
		last_reopened_at=get_datetime(ticket["last_reopened_at"]) if ticket.get("last_reopened_at") else None,
		age_reached_at=lambda hours, business: hours_after(ticket.get("sla_policy"), ticket.get("creation"), hours, business),
	)


def fired_rules(tickets: dict[str, dict]) -> dict[str, set[str]]:
	"""Per ticket, the rules already fired in its current cycle."""
	found: dict[str, set[str]] = {name: set() for name in tickets}
	if tickets:
		for ticket, rule, cycle in frappe.db.sql(
			"select ticket, rule, cycle from `tabEscalation Log` where ticket in %s", (tuple(tickets),)
		):
			if cint(cycle) == cint(tickets[ticket].get("reopen_count")):
				found[ticket].add(rule)
	return found


def watched(ticket) -> bool:
	return ticket.get("status") in UNRESOLVED_STATUSES and not cint(ticket.get("escalation_disabled"))


# --- the ticket's next look (Ticket validate) ---------------------------------------------------------------


def before_ticket_save(ticket, method=None) -> None:
	"""Who may switch escalation off, and when the sweep looks at the ticket next."""
	before = None if ticket.is_new() else ticket.get_doc_before_save()
	if cint(ticket.escalation_disabled) != cint(before.escalation_disabled if before else 0):
		check_may_switch(ticket)
	all_rules = rules()
	if not all_rules or not watched(ticket):
		ticket.next_escalation_at = None
		return
	fields = {f: ticket.get(f) for f in set(BASE_FIELDS) | condition_fields()}
	fired = set() if ticket.is_new() else fired_rules({ticket.name: fields})[ticket.name]
	decision = er.evaluate(all_rules, facts_of(fields), fired, now_datetime())
	ticket.next_escalation_at = now_datetime() if decision.fire else decision.next_check_at


def on_tickets_closed(before: dict, closed: dict, now) -> None:
	"""TICKETS_CLOSED_BY_SYSTEM: a closed ticket is not watched (`before_ticket_save`): no next look."""
	frappe.db.sql("update `tabTicket` set next_escalation_at = null where name in %s and next_escalation_at is not null",
		(tuple(before),))


def check_may_switch(ticket) -> None:
	user = frappe.session.user
	if user == "Administrator" or permissions.is_admin(user):
		return
	if ticket.team and frappe.db.get_value("Ticket Team", ticket.team, "supervisor") == user:
		return
	frappe.throw(_("Only the team's supervisor, an admin or an owner switches escalation on or off."),
		frappe.PermissionError, title=_("Not allowed"))


def mark_due(scores: dict) -> None:
	"""CUSTOMER_MESSAGES_STORED: tickets with new customer scores are looked at by the next sweep (only when
	a sentiment rule exists; one UPDATE)."""
	mark_rescored_due([name for name, new in scores.items() if new])


def mark_rescored_due(tickets: list[str]) -> None:
	"""CUSTOMER_SCORES_CHANGED: tickets whose customer messages were scored again are looked at by the next
	sweep (only when a sentiment rule exists; one UPDATE)."""
	if tickets and any(r.trigger == er.SENTIMENT for r in rules()):
		frappe.db.sql(
			"""update `tabTicket` set next_escalation_at = %s where name in %s and escalation_disabled = 0
			and (next_escalation_at is null or next_escalation_at > %s)""",
			(now_datetime(), tuple(tickets), now_datetime()),
		)


# --- the sweep -------------------------------------------------------------------------------------------


def due_tickets(now=None, limit: int = BATCH) -> list[str]:
	return frappe.db.sql(
		"select name from `tabTicket` where next_escalation_at <= %s order by next_escalation_at limit %s",
		(now or now_datetime(), limit), pluck=True,
	)


def run(now=None) -> int:
	"""Scheduler entry point (every minute)."""
	names = due_tickets(now)
	for start in range(0, len(names), TICKETS_PER_JOB):
		chunk = names[start : start + TICKETS_PER_JOB]
		frappe.enqueue(
			"tg_tickets.lifecycle.escalation.process_tickets", queue="short", names=chunk,
			job_id=f"tg-escalation:{hashlib.sha1(','.join(chunk).encode()).hexdigest()[:16]}",
			deduplicate=True, enqueue_after_commit=True,
		)
	return len(names)


def process_tickets(names: list[str], now=None) -> dict[str, list[str]]:
	"""RQ job: the due tickets (rows locked) evaluated together; each firing in its own savepoint; one commit.
	Returns {ticket: [rules fired]}."""
	now = now or now_datetime()
	fired_now: dict[str, list[str]] = {}
	if not names:
		return fired_now
	fields = sorted(set(BASE_FIELDS) | condition_fields())
	columns = ", ".join(f"`{f}`" for f in fields)
	tickets = {
		t.name: t for t in frappe.db.sql(
			f"""select {columns} from `tabTicket` where name in %(names)s and next_escalation_at <= %(now)s
			order by name for update""",
			{"names": tuple(names), "now": now}, as_dict=True,
		)
	}
	all_rules = rules()
	fired = fired_rules(tickets)
	needs_scores = any(r.trigger == er.SENTIMENT for r in all_rules)
	scores = sentiment_trend.last_scores(list(tickets)) if needs_scores and tickets else {}
	next_at = {}
	for name, ticket in tickets.items():
		if not watched(ticket) or not all_rules:
			next_at[name] = None
			continue
		decision = er.evaluate(all_rules, facts_of(ticket, scores.get(name)), fired[name], now)
		next_at[name] = decision.next_check_at
		for rule in decision.fire:
			frappe.db.savepoint("tg_escalation")
			try:
				if fire(name, rule, cint(ticket.reopen_count), trigger_reason(rule)):
					fired_now.setdefault(name, []).append(rule.name)
			except Exception:
				frappe.db.rollback(save_point="tg_escalation")
				frappe.log_error(title=f"Escalation rule {rule.name} on ticket {name}", reference_doctype="Ticket",
					reference_name=name)
	if next_at:
		rows = sorted(next_at.items())
		derived = " union all ".join(["select %s as name, %s as at"] * len(rows))
		frappe.db.sql(
			f"update `tabTicket` t join ({derived}) v on v.name = t.name set t.next_escalation_at = v.at",
			[value for row in rows for value in row],
		)
	frappe.db.commit()  # a background job, not a controller
	return fired_now


def trigger_reason(rule: er.Rule) -> str:
	if rule.trigger == er.SLA_BREACH:
		return _("the SLA was breached")
	if rule.trigger == er.SENTIMENT:
		return _("the customer's last {0} messages averaged below {1}").format(rule.sentiment_messages, rule.sentiment_threshold)
	if rule.trigger == er.TICKET_AGE:
		kind = _(" business") if rule.age_in_business_hours else ""
		return _("the ticket is older than {0}{1} hours").format(f"{rule.age_hours:g}", kind)
	if rule.trigger == er.REOPENED:
		return _("the ticket was reopened more than {0} times").format(rule.reopened_times)
	return ""


# --- firing ----------------------------------------------------------------------------------------------


def log_name(ticket: str, rule: str, cycle: int) -> str:
	return hashlib.sha1(f"{ticket}\n{rule}\n{cycle}".encode()).hexdigest()[:20]


def fire(ticket_name: str, rule: er.Rule, cycle: int, reason: str, requested_by: str | None = None) -> bool:
	"""Claims the firing (its log row), applies the rule's actions in one save, writes the history line and
	notifies. False when the rule already fired in this cycle."""
	now = now_datetime()
	log = frappe.get_doc({
		"doctype": "Escalation Log", "ticket": ticket_name, "rule": rule.name, "cycle": cycle, "trigger": rule.trigger,
		"fired_at": now, "requested_by": requested_by, "reason": reason,
	})
	frappe.db.savepoint("tg_escalation_claim")
	try:
		log.insert(ignore_permissions=True, set_name=log_name(ticket_name, rule.name, cycle))
	except frappe.DuplicateEntryError:
		frappe.db.rollback(save_point="tg_escalation_claim")
		frappe.clear_last_message()
		return False
	actions = actions_of(rule.name)
	doc = frappe.get_doc("Ticket", ticket_name)
	agent = doc.assigned_to
	done = []
	if actions.get("raise_priority"):
		raised = er.raised_priority(doc.priority)
		if raised != doc.priority:
			doc.priority = raised
			done.append(_("priority raised to {0}").format(raised))
	if actions.get("move_to_team") and actions["move_to_team"] != doc.team:
		doc.team = actions["move_to_team"]
		doc.assigned_to = None
		done.append(_("moved to team {0}").format(doc.team))
	holder = actions.get("assign_to") or (
		frappe.db.get_value("Ticket Team", doc.team, "supervisor") if actions.get("assign_to_team_supervisor") and doc.team else None
	)
	if holder and holder != doc.assigned_to and permissions.ticket_role(holder):
		doc.assigned_to = holder
		doc.flags.assignee_checked = True  # the rule's explicit hand-over, like an SLA escalation's
		done.append(_("assigned to {0}").format(frappe.utils.get_fullname(holder)))
	if agent and agent != doc.assigned_to:
		# the agent who held it keeps reading it
		frappe.share.add_docshare("Ticket", ticket_name, agent, read=1, flags={"ignore_share_permission": True})
	who = _(" (asked by {0})").format(frappe.utils.get_fullname(requested_by)) if requested_by else ""
	line = _("Escalated by rule {0}{1}: {2}").format(rule.name, who, reason) + (
		"; " + ", ".join(done) if done else "")
	doc.escalated_at = now
	doc.flags.assignment_reason = _("escalation rule {0}").format(rule.name)
	doc.flags.ignore_permissions = True
	doc.save()
	doc.add_comment("Info", line)
	frappe.db.set_value("Escalation Log", log.name, "actions_taken", ", ".join(done) or _("notified"), update_modified=False)
	notify(doc, split_users(actions.get("notify_users")) + [doc.assigned_to, agent], line)
	return True


def notify(ticket, users, line: str) -> None:
	"""Everyone concerned hears of it by their own preferences (NOTIFY_AGENTS: bell, e-mail, Telegram DM)."""
	users = sorted({u for u in users if u and permissions.ticket_role(u)})
	if users:
		subject = _("Ticket #{0} escalated: {1}").format(ticket.name, line)
		events.emit(events.NOTIFY_AGENTS, "Escalation", ticket.name, {user: subject for user in users})


# --- an agent asks -----------------------------------------------------------------------------------------


def request(ticket_name: str, user: str, reason: str) -> list[str]:
	"""An agent's Escalate (desk or `/escalate` in the topic): the agent-request rules that apply fire now.
	Refused with a message, and nothing stored, without a reason or a rule, or while switched off."""
	reason = (reason or "").strip()
	if not reason:
		frappe.throw(_("Say why you escalate: a reason is required."), EscalationRefused)
	columns = ", ".join(f"`{f}`" for f in sorted(set(BASE_FIELDS) | condition_fields()))
	found = frappe.db.sql(f"select {columns} from `tabTicket` where name = %s for update", (ticket_name,), as_dict=True)
	if not found:
		frappe.throw(_("Ticket #{0} does not exist.").format(ticket_name), frappe.DoesNotExistError)
	ticket = found[0]
	if ticket.status not in UNRESOLVED_STATUSES:
		frappe.throw(_("Ticket #{0} is {1}: only open tickets are escalated.").format(ticket_name, ticket.status), EscalationRefused)
	if cint(ticket.escalation_disabled):
		frappe.throw(_("A supervisor switched escalation off for ticket #{0}.").format(ticket_name), EscalationRefused)
	applicable = er.agent_request_rules(rules(), dict(ticket), fired_rules({ticket_name: ticket})[ticket_name])
	if not applicable:
		frappe.throw(_("No escalation rule for agents' requests applies to ticket #{0} (or it already fired since the "
			"ticket was last reopened).").format(ticket_name), EscalationRefused)
	fired = [r.name for r in applicable if fire(ticket_name, r, cint(ticket.reopen_count), reason, requested_by=user)]
	realtime.notify_ticket_changed(ticket_name)
	return fired


def on_topic_command(ticket: str, user: str | None, text: str) -> str | None:
	"""TOPIC_COMMAND: `/escalate reason` typed by an agent in the ticket's forum topic."""
	reason = er.escalate_command_reason(text)
	if reason is None:
		return None
	if not user:
		return _("Link your Telegram account in the desk (Telegram Agent) to escalate tickets here.")
	if not reason:
		return _("Say why: /escalate followed by the reason")
	if not permissions.can("write", user):
		return _("You cannot change tickets.")
	try:
		fired = request(ticket, user, reason)
	except (frappe.ValidationError, frappe.PermissionError) as refused:
		frappe.clear_last_message()
		return frappe.utils.strip_html(str(refused))
	return _("Escalated by {0} (rule {1}): {2}").format(frappe.utils.get_fullname(user), ", ".join(fired), reason)


def on_ticket_trash(ticket, method=None) -> None:
	"""A ticket's escalation history goes with it."""
	frappe.db.delete("Escalation Log", {"ticket": ticket.name})
