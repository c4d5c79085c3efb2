"""SLA policies: validating a policy, choosing one for a ticket, and turning it into the clock's inputs.

The one default policy applies unless another enabled policy's conditions all match the ticket (tried by
`condition_order`). This module reads policies and tickets; it never writes a ticket.
"""

from __future__ import annotations

import dataclasses
from datetime import time

import frappe
from frappe import _
from frappe.utils import cint, get_time, getdate

from tg_tickets.sla import clock
from tg_tickets.tickets.fields import PRIORITIES, STATUSES

CATEGORY = "Category"
LINKED_CHAT = "Linked Chat"
TICKET_FIELD = "Ticket Field"


@dataclasses.dataclass(frozen=True)
class PolicyRules:
	"""A policy as the clock needs it."""

	name: str
	calendar: clock.BusinessCalendar
	rules: clock.Rules
	targets: dict[str, clock.Targets]
	escalate_to: str | None
	escalation_team: str | None

	def targets_for(self, priority: str) -> clock.Targets:
		return self.targets.get(priority) or clock.Targets(None, None)


# --- validation ------------------------------------------------------------------------------------------


def paused_statuses(policy) -> list[str]:
	return [s.strip() for s in (policy.paused_statuses or "").replace(",", "\n").splitlines() if s.strip()]


def validate_policy(policy) -> None:
	"""Every mistake is refused with a message naming the row to fix; nothing is saved."""
	try:
		clock.BusinessCalendar(policy.timezone or "")
	except ValueError:
		frappe.throw(_("Unknown timezone {0}: use a name like Europe/Berlin or UTC.").format(frappe.bold(policy.timezone)))

	seen = set()
	for row in policy.targets:
		if row.priority in seen:
			frappe.throw(_("Row {0}: priority {1} has two target rows.").format(row.idx, row.priority))
		seen.add(row.priority)
		if cint(row.first_response_minutes) < 0 or cint(row.resolution_minutes) < 0:
			frappe.throw(_("Row {0}: targets cannot be negative.").format(row.idx))
	if not policy.targets:
		frappe.throw(_("Add a target for at least one priority ({0}).").format(", ".join(PRIORITIES)))

	for row in policy.business_hours:
		if row.weekday not in clock.WEEKDAYS:
			frappe.throw(_("Business hours row {0}: unknown weekday {1}.").format(row.idx, row.weekday))
		if not row.start_time or not row.end_time:
			frappe.throw(_("Business hours row {0}: set both times.").format(row.idx))

	for status in paused_statuses(policy):
		if status not in STATUSES:
			frappe.throw(_("{0} is not a ticket status; statuses are {1}.").format(frappe.bold(status), ", ".join(STATUSES)))
		if status in clock.STOPPING_STATUSES:
			frappe.throw(_("{0} stops the clock already; it cannot pause it.").format(status))
	policy.paused_statuses = "\n".join(paused_statuses(policy))

	for row in policy.reminder_thresholds:
		if not 0 < cint(row.percent) < 100:
			frappe.throw(_("Reminder row {0}: a threshold is a percentage between 1 and 99.").format(row.idx))

	if cint(policy.escalation_grace_percent) < 0 or cint(policy.escalation_grace_minutes) < 0:
		frappe.throw(_("The escalation grace period cannot be negative."))

	ticket_meta = frappe.get_meta("Ticket")
	for row in policy.conditions:
		if row.condition_type == TICKET_FIELD:
			if not row.ticket_field or not ticket_meta.get_field(row.ticket_field):
				frappe.throw(_("Condition row {0}: Ticket has no field {1}.").format(row.idx, frappe.bold(row.ticket_field or "")))
		elif row.condition_type not in (CATEGORY, LINKED_CHAT):
			frappe.throw(_("Condition row {0}: unknown condition {1}.").format(row.idx, row.condition_type))

	if policy.is_default and not policy.enabled:
		frappe.throw(_("The default policy must be enabled."))


def after_policy_change(policy) -> None:
	"""One default: making this policy the default takes the flag from the previous one; open tickets follow."""
	if policy.is_default:
		frappe.db.sql(
			"update `tabSLA Policy` set is_default = 0 where is_default = 1 and name != %s", (policy.name,)
		)
	# Open tickets on this policy get the new targets; in a job, as a policy can cover many tickets.
	frappe.enqueue(
		"tg_tickets.sla.tracking.refresh_policy_tickets",
		queue="long",
		policy_name=policy.name,
		job_id=f"tg-sla-policy-refresh:{policy.name}",
		deduplicate=True,
		enqueue_after_commit=True,
	)


# --- selection -------------------------------------------------------------------------------------------


def _matches(ticket, condition) -> bool:
	if condition.condition_type == CATEGORY:
		return (ticket.get("category") or "") == condition.value
	if condition.condition_type == LINKED_CHAT:
		return any(row.chat == condition.value for row in ticket.get("chats") or [])
	if condition.condition_type == TICKET_FIELD:
		return str(ticket.get(condition.ticket_field) if ticket.get(condition.ticket_field) is not None else "") == condition.value
	return False


@dataclasses.dataclass(frozen=True)
class PolicyChoices:
	"""The enabled policies in the order they are tried, with their conditions (read once for many tickets)."""

	policies: list
	conditions: dict[str, list]

	@property
	def needs_chats(self) -> bool:
		return any(row.condition_type == LINKED_CHAT for rows in self.conditions.values() for row in rows)

	@property
	def ticket_fields(self) -> set[str]:
		return {"category"} | {
			row.ticket_field for rows in self.conditions.values() for row in rows if row.condition_type == TICKET_FIELD
		}


# Per process: {(site, fingerprint): PolicyChoices}. Every ticket save chooses its policy; reading the enabled
# policies and their conditions through get_all cost ~9 ms a save (auto-close's 10,000 closes: 90 s of
# worker time, benchmarks/lifecycle.py), the fingerprint query well under 1 ms. The fingerprint is read in
# the caller's transaction, so a rolled-back policy edit is never served, and any saved edit (a policy's
# conditions are its child rows, saved with it) moves `modified`.
_CHOICES: dict[tuple, PolicyChoices] = {}


def choices_fingerprint() -> tuple:
	count, last, enabled, default = frappe.db.sql(
		"select count(*), max(modified), sum(enabled), max(if(is_default = 1, name, null)) from `tabSLA Policy`"
	)[0]
	return (frappe.local.site, count, str(last), int(enabled or 0), default)


def policy_choices() -> PolicyChoices:
	key = choices_fingerprint()
	found = _CHOICES.get(key)
	if found is None:
		if len(_CHOICES) > 64:
			_CHOICES.clear()
		found = _CHOICES[key] = read_policy_choices()
	return found


def read_policy_choices() -> PolicyChoices:
	policies = frappe.get_all(
		"SLA Policy",
		filters={"enabled": 1},
		fields=["name", "is_default"],
		order_by="condition_order asc, name asc",
	)
	conditions: dict[str, list] = {}
	if policies:
		for row in frappe.get_all(
			"SLA Policy Condition",
			filters={"parenttype": "SLA Policy", "parent": ("in", [p.name for p in policies])},
			fields=["parent", "condition_type", "ticket_field", "value"],
		):
			conditions.setdefault(row.parent, []).append(row)
	return PolicyChoices(policies, conditions)


def choose_policy(ticket, choices: PolicyChoices | None = None) -> str | None:
	"""The first enabled policy whose conditions all match, else the default policy, else None."""
	choices = choices or policy_choices()
	for policy in choices.policies:
		rows = choices.conditions.get(policy.name)
		if rows and all(_matches(ticket, row) for row in rows):
			return policy.name
	return next((p.name for p in choices.policies if p.is_default), None)


# --- the clock's inputs ----------------------------------------------------------------------------------


def _time(value) -> time:
	t = get_time(value)
	return time(t.hour, t.minute, t.second)


def load(name: str) -> PolicyRules:
	policy = frappe.get_cached_doc("SLA Policy", name)
	windows = [
		clock.Window(clock.WEEKDAYS.index(row.weekday), _time(row.start_time), _time(row.end_time))
		for row in policy.business_hours
	]
	calendar = clock.BusinessCalendar(policy.timezone or "UTC", windows, [getdate(h.holiday_date) for h in policy.holidays])
	reminders = tuple(sorted({cint(r.percent) for r in policy.reminder_thresholds})) or clock.DEFAULT_REMINDER_PERCENTS
	grace_minutes = cint(policy.escalation_grace_minutes)
	rules = clock.Rules(
		paused_statuses=frozenset(paused_statuses(policy)),
		reminder_percents=reminders,
		grace_percent=cint(policy.escalation_grace_percent),
		grace_seconds=grace_minutes * 60 if grace_minutes else None,
		escalation_enabled=bool(policy.escalation_enabled),
	)
	targets = {
		row.priority: clock.Targets(cint(row.first_response_minutes) * 60, cint(row.resolution_minutes) * 60)
		for row in policy.targets
	}
	return PolicyRules(policy.name, calendar, rules, targets, policy.escalate_to, policy.escalation_team)


def team_members(team: str | None) -> list[str]:
	if not team:
		return []
	return frappe.get_all("User Group Member", filters={"parent": team, "parenttype": "User Group"}, pluck="user")
