"""The SLA backfill patch (tg_tickets.sla.backfill): open tickets from before SLA tracking get their policy and
fields, in batches; thresholds crossed before tracking began are recorded as handled without notifying."""

from datetime import datetime, timedelta

import frappe
import pytest

from tests.factories import make_member, make_sla_policy, make_ticket, make_ticket_at
from tg_tickets.sla import backfill, sweep, tracking

T0 = datetime(2026, 3, 2, 10, 0)
NOW = T0 + timedelta(hours=1)
LEGACY = {field: None for field in ("sla_policy", *tracking.COMPUTED_FIELDS)}


pytestmark = pytest.mark.usefixtures("feature_on")


def legacy_ticket(created, **fields):
	"""A ticket as it was before SLA tracking: no SLA fields, no status history."""
	ticket = make_ticket_at(created, **fields)
	frappe.db.set_value("Ticket", ticket.name, {**LEGACY, "sla_paused_seconds": 0}, update_modified=False)
	frappe.db.delete("Ticket Status Log", {"ticket": ticket.name})
	return ticket.name


def test_open_tickets_without_sla_get_their_policy_and_fields_in_batches_past_thresholds_unannounced():
	agent = make_member("agent.backfill@tickets.test")
	default = make_sla_policy(is_default=1)  # HIGH 30 min / 4 h, MEDIUM 1 h / 8 h, reminder at 75 %
	if not frappe.db.exists("Ticket Category", "Backfill VIP"):
		frappe.get_doc({"doctype": "Ticket Category", "category_name": "Backfill VIP"}).insert()
	vip = make_sla_policy(conditions=[("Category", "Backfill VIP")], condition_order=0, targets={"MEDIUM": (120, 960)})
	breached = legacy_ticket(T0, priority="HIGH", assigned_to=agent)
	fresh = legacy_ticket(T0 + timedelta(minutes=50), priority="MEDIUM", assigned_to=agent)
	special = legacy_ticket(T0, priority="MEDIUM", category="Backfill VIP", assigned_to=agent)
	solved = legacy_ticket(T0, priority="HIGH")
	frappe.db.set_value("Ticket", solved, "status", "SOLVED", update_modified=False)
	tracked = make_ticket("Tracked already", priority="HIGH").name
	frappe.db.set_value("Ticket", tracked, "next_sla_event_at", T0 + timedelta(days=9), update_modified=False)

	assert backfill.backfill_open_tickets(now=NOW, batch=2, commit=False) >= 3

	row = frappe.db.get_value("Ticket", breached, ["sla_policy", "sla_state", "first_response_due", "next_sla_event_at"], as_dict=True)
	assert (row.sla_policy, row.sla_state) == (default.name, "BREACHED")
	assert row.first_response_due == T0 + timedelta(minutes=30)
	# the first-response reminder, breach and escalation lie before the backfill: recorded, nobody told
	assert row.next_sla_event_at == T0 + timedelta(hours=3)  # the resolution reminder, still ahead
	claims = frappe.get_all("SLA Notification", filters={"ticket": breached}, fields=["event", "recipients"], order_by="event")
	assert [(c.event, c.recipients) for c in claims] == [
		("first_response:breach", ""), ("first_response:escalation", ""), ("first_response:reminder:75", ""),
	]
	row = frappe.db.get_value("Ticket", fresh, ["sla_policy", "sla_state", "next_sla_event_at"], as_dict=True)
	assert (row.sla_policy, row.sla_state) == (default.name, "ON_TRACK")
	assert row.next_sla_event_at == T0 + timedelta(minutes=50 + 45)
	assert frappe.db.get_value("Ticket", special, ["sla_policy", "sla_state"]) == (vip.name, "ON_TRACK")
	assert frappe.db.get_value("Ticket", solved, ["sla_policy", "sla_state"]) == (None, None)
	assert frappe.db.get_value("Ticket", tracked, "next_sla_event_at") == T0 + timedelta(days=9)  # left as it was

	# the fields are the ones a save computes
	stored = frappe.db.get_value("Ticket", fresh, list(tracking.COMPUTED_FIELDS), as_dict=True)
	assert tracking.refresh(fresh, now=NOW) == {k: v if k != "sla_paused_seconds" else int(v) for k, v in stored.items()}

	# the first sweep notifies nobody about thresholds crossed before tracking; the next threshold notifies
	assert sweep.process_batch([breached, fresh], NOW) == {}
	# (the SLA's notifications are Alerts; the assignment itself rang the agent's bell as an Assignment)
	assert not frappe.get_all("Notification Log", filters={"document_type": "Ticket", "document_name": breached, "type": "Alert"})
	assert sweep.process_ticket(breached, T0 + timedelta(hours=3, minutes=1)) == ["resolution:reminder:75"]
	assert frappe.db.count("Notification Log", {"document_type": "Ticket", "document_name": breached, "for_user": agent,
		"type": "Alert"}) == 1

	# a second run finds nothing left to do
	assert backfill.backfill_open_tickets(now=NOW, batch=2, commit=False) == 0


def test_without_any_policy_the_backfill_changes_nothing():
	frappe.db.sql("update `tabSLA Policy` set enabled = 0, is_default = 0")
	name = legacy_ticket(T0, priority="HIGH")
	assert backfill.backfill_open_tickets(now=NOW, commit=False) == 0
	assert frappe.db.get_value("Ticket", name, ["sla_policy", "sla_state"]) == (None, None)
