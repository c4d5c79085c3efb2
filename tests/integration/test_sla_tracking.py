"""SLA fields on tickets through the ORM: policy choice, deadlines on create, pauses, MET, reopen, first
response, and who may override what. Time is frozen where the scenario needs it."""

from datetime import datetime, timedelta

import frappe
import pytest
from frappe.utils import get_datetime

from tests.factories import (
	make_admin, make_chat, make_member, make_sla_policy, make_ticket, make_ticket_at, set_status_at,
)
from tg_tickets.sla import tracking
from tg_tickets.sla.tracking import SLAOverrideError

T0 = datetime(2026, 3, 2, 10, 0)  # a Monday


pytestmark = pytest.mark.usefixtures("feature_on")


@pytest.fixture
def default_policy():
	return make_sla_policy(is_default=1, targets={"LOW": (240, 2400), "MEDIUM": (60, 480), "HIGH": (30, 240)})


def test_default_policy_applies_and_deadlines_are_computed_on_create(default_policy):
	ticket = make_ticket_at(T0, priority="HIGH")
	assert ticket.sla_policy == default_policy.name
	assert get_datetime(ticket.first_response_due) == T0 + timedelta(minutes=30)
	assert get_datetime(ticket.resolution_due) == T0 + timedelta(hours=4)
	assert ticket.sla_state == "ON_TRACK"
	# the next event is the 75 % reminder of the first-response target
	assert get_datetime(ticket.next_sla_event_at) == T0 + timedelta(minutes=22, seconds=30)
	stored = frappe.db.get_value("Ticket", ticket.name, ["sla_state", "next_sla_event_at"], as_dict=True)
	assert stored.sla_state == "ON_TRACK" and stored.next_sla_event_at == T0 + timedelta(minutes=22, seconds=30)


def test_business_hours_and_policy_timezone_shape_the_deadline():
	make_sla_policy(
		is_default=1,
		timezone=frappe.utils.get_system_timezone(),
		business_hours=[(d, "09:00:00", "12:00:00") for d in ("Monday", "Tuesday")]
		+ [(d, "13:00:00", "17:00:00") for d in ("Monday", "Tuesday")],
		targets={"MEDIUM": (120, 480)},
	)
	ticket = make_ticket_at(datetime(2026, 3, 2, 11, 0))
	# 11–12, lunch, 13–14
	assert get_datetime(ticket.first_response_due) == datetime(2026, 3, 2, 14, 0)
	# 1 h + 4 h on Monday, 3 h on Tuesday morning
	assert get_datetime(ticket.resolution_due) == datetime(2026, 3, 3, 12, 0)


@pytest.mark.parametrize(
	"condition, ticket_fields",
	[
		(("Category", "Billing SLA"), {"category": "Billing SLA"}),
		(("Linked Chat", "CHAT"), {}),
		(("Ticket Field", "HIGH", "priority"), {"priority": "HIGH"}),
	],
)
def test_policy_is_chosen_by_its_conditions(default_policy, condition, ticket_fields):
	if not frappe.db.exists("Ticket Category", "Billing SLA"):
		frappe.get_doc({"doctype": "Ticket Category", "category_name": "Billing SLA"}).insert()
	chat = make_chat("VIP customer")
	condition = tuple(chat if part == "CHAT" else part for part in condition)
	special = make_sla_policy(conditions=[condition])
	matching = make_ticket(chats=[chat] if condition[0] == "Linked Chat" else [], **ticket_fields)
	other = make_ticket(priority="LOW")
	assert matching.sla_policy == special.name
	assert other.sla_policy == default_policy.name


def test_all_conditions_must_hold_and_order_decides(default_policy):
	chat = make_chat("Ordered chat")
	first = make_sla_policy(conditions=[("Linked Chat", chat)], condition_order=1)
	make_sla_policy(conditions=[("Linked Chat", chat)], condition_order=2)
	both = make_sla_policy(conditions=[("Linked Chat", chat), ("Ticket Field", "HIGH", "priority")], condition_order=0)
	assert make_ticket(chats=[chat]).sla_policy == first.name
	assert make_ticket(chats=[chat], priority="HIGH").sla_policy == both.name


def test_without_any_policy_a_ticket_has_no_sla():
	frappe.db.sql("update `tabSLA Policy` set enabled = 0, is_default = 0")
	ticket = make_ticket()
	assert ticket.sla_policy is None and ticket.sla_state is None and ticket.next_sla_event_at is None


def test_pending_pauses_the_clock_and_resuming_moves_the_deadline(default_policy):
	ticket = make_ticket_at(T0, priority="MEDIUM")  # resolution 8 h round the clock
	ticket = set_status_at(ticket.name, "PENDING", T0 + timedelta(minutes=30))
	assert ticket.sla_state == "PAUSED"
	assert ticket.next_sla_event_at is None
	ticket = set_status_at(ticket.name, "OPEN", T0 + timedelta(days=2, minutes=30))
	assert ticket.sla_state == "ON_TRACK"
	assert ticket.sla_paused_seconds == 2 * 24 * 3600
	assert get_datetime(ticket.resolution_due) == T0 + timedelta(days=2, hours=8)
	history = frappe.get_all("Ticket Status Log", filters={"ticket": ticket.name}, order_by="changed_at", pluck="status")
	assert history == ["OPEN", "PENDING", "OPEN"]


def test_without_a_first_reply_the_first_response_target_breaches(default_policy):
	ticket = make_ticket_at(T0, priority="MEDIUM")  # first response within 1 h
	ticket = set_status_at(ticket.name, "PENDING", T0 + timedelta(hours=1))
	assert ticket.sla_state == "BREACHED"


def test_solving_in_time_is_met_and_reopening_resumes_the_clock(default_policy):
	ticket = make_ticket_at(T0, priority="MEDIUM")
	tracking.record_first_response(ticket.name, T0 + timedelta(minutes=10))
	ticket = set_status_at(ticket.name, "SOLVED", T0 + timedelta(hours=2))
	assert ticket.sla_state == "MET"
	assert get_datetime(ticket.resolved_at) == T0 + timedelta(hours=2)
	assert ticket.next_sla_event_at is None
	ticket = set_status_at(ticket.name, "OPEN", T0 + timedelta(days=3))
	assert ticket.resolved_at is None
	assert ticket.sla_state == "ON_TRACK"
	# 2 h were used before the solve: 6 h remain from the reopen
	assert get_datetime(ticket.resolution_due) == T0 + timedelta(days=3, hours=6)


def test_a_closed_ticket_with_sla_fields_reopens_from_the_desk(default_policy):
	ticket = make_ticket_at(T0, priority="MEDIUM")
	ticket = set_status_at(ticket.name, "CLOSED", T0 + timedelta(hours=2))
	# the desk posts the whole document back, datetimes as strings
	posted = frappe.parse_json(frappe.as_json(frappe.get_doc("Ticket", ticket.name).as_dict()))
	posted["status"] = "OPEN"
	doc = frappe.get_doc(posted)
	doc.save()
	assert doc.status == "OPEN" and doc.resolved_at is None and doc.sla_state == "BREACHED"


def test_closing_late_is_breached(default_policy):
	ticket = make_ticket_at(T0, priority="HIGH")
	ticket = set_status_at(ticket.name, "CLOSED", T0 + timedelta(hours=5))
	assert ticket.sla_state == "BREACHED"


def test_first_reply_sent_on_telegram_stops_the_first_response_clock(default_policy):
	ticket = make_ticket_at(T0, priority="HIGH")
	assert tracking.record_first_response(ticket.name, T0 + timedelta(minutes=10)) is True
	assert tracking.record_first_response(ticket.name, T0 + timedelta(minutes=20)) is False  # a later reply
	stored = frappe.get_doc("Ticket", ticket.name)
	assert get_datetime(stored.first_responded_at) == T0 + timedelta(minutes=10)
	# the next event is now the resolution reminder (75 % of 4 h)
	assert get_datetime(stored.next_sla_event_at) == T0 + timedelta(hours=3)
	# a client cannot forge or clear the stamp
	stored.first_responded_at = None
	stored.save()
	assert get_datetime(frappe.db.get_value("Ticket", ticket.name, "first_responded_at")) == T0 + timedelta(minutes=10)


def test_first_response_for_a_missing_ticket_is_a_clear_error():
	with pytest.raises(frappe.DoesNotExistError):
		tracking.record_first_response("ZZZ000000", datetime(2026, 3, 2, 10))


def test_internal_comments_do_not_count_as_a_first_response(default_policy):
	ticket = make_ticket(priority="HIGH")
	ticket.add_comment("Comment", "Looking into it (internal)")
	assert frappe.db.get_value("Ticket", ticket.name, "first_responded_at") is None


# --- overrides and rights --------------------------------------------------------------------------------


def test_a_member_cannot_override_the_policy_or_a_deadline(default_policy):
	other = make_sla_policy()
	member = make_member()
	ticket = make_ticket()
	frappe.set_user(member)
	for field, value in (("sla_policy", other.name), ("resolution_due_override", "2026-12-24 12:00:00")):
		doc = frappe.get_doc("Ticket", ticket.name)
		doc.set(field, value)
		with pytest.raises(SLAOverrideError):
			doc.save()
	assert frappe.db.get_value("Ticket", ticket.name, ["sla_policy", "resolution_due_override"]) == (
		default_policy.name, None,
	)
	doc = frappe.get_doc("Ticket", ticket.name)
	doc.sla_escalation_disabled = 1
	with pytest.raises(SLAOverrideError):
		doc.save()


def test_an_admin_overrides_the_policy_and_a_deadline(default_policy):
	other = make_sla_policy(targets={"MEDIUM": (5, 10)})
	ticket = make_ticket()
	frappe.set_user(make_admin())
	doc = frappe.get_doc("Ticket", ticket.name)
	doc.sla_policy = other.name
	doc.first_response_due_override = "2030-01-01 09:00:00"
	doc.sla_escalation_disabled = 1
	doc.save()
	assert doc.sla_policy == other.name and doc.sla_policy_overridden == 1
	assert get_datetime(doc.first_response_due) == datetime(2030, 1, 1, 9)
	# a later edit keeps the hand-picked policy even though the default would match
	doc.title = "Renamed"
	doc.save()
	assert doc.sla_policy == other.name
	# clearing it returns to automatic choice
	doc.sla_policy = None
	doc.save()
	assert doc.sla_policy == default_policy.name and doc.sla_policy_overridden == 0


# --- policies --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"fields, message",
	[
		({"timezone": "Mars/Olympus"}, "Unknown timezone"),
		({"paused_statuses": "SOLVED"}, "stops the clock"),
		({"paused_statuses": "WAITING"}, "not a ticket status"),
	],
)
def test_invalid_policy_is_refused_and_nothing_is_saved(fields, message):
	name = f"Bad {frappe.generate_hash(length=6)}"
	doc = frappe.get_doc(
		{"doctype": "SLA Policy", "policy_name": name, "targets": [{"priority": "LOW", "first_response_minutes": 1, "resolution_minutes": 2}], **fields}
	)
	with pytest.raises(frappe.ValidationError, match=message):
		doc.insert()
	assert not frappe.db.exists("SLA Policy", name)


def test_duplicate_priority_and_bad_reminder_are_refused():
	with pytest.raises(frappe.ValidationError, match="two target rows"):
		frappe.get_doc({
			"doctype": "SLA Policy", "policy_name": "Dup", "timezone": "UTC",
			"targets": [{"priority": "LOW", "first_response_minutes": 1, "resolution_minutes": 2}] * 2,
		}).insert()
	with pytest.raises(frappe.ValidationError, match="between 1 and 99"):
		make_sla_policy(reminders=(100,))


def test_there_is_one_default_policy(default_policy):
	second = make_sla_policy(is_default=1)
	assert frappe.get_all("SLA Policy", filters={"is_default": 1}, pluck="name") == [second.name]


def test_demo_data_makes_one_default_policy_idempotently():
	from tg_tickets.sla import demo

	frappe.db.sql("update `tabSLA Policy` set is_default = 0")
	if frappe.db.exists("SLA Policy", demo.DEFAULT_POLICY):
		frappe.delete_doc("SLA Policy", demo.DEFAULT_POLICY, force=True)
	demo.make_default_policy()
	demo.make_default_policy()
	assert frappe.get_all("SLA Policy", filters={"is_default": 1}, pluck="name") == [demo.DEFAULT_POLICY]
	assert make_ticket(priority="HIGH").sla_policy == demo.DEFAULT_POLICY


def test_a_policy_edit_that_breaches_an_open_ticket_reaches_its_figures():
	policy = make_sla_policy(targets={"LOW": (6000, 60000), "MEDIUM": (6000, 60000), "HIGH": (6000, 60000)}, is_default=1)
	ticket = make_ticket_at(datetime.now() - timedelta(hours=2), priority="MEDIUM")
	assert ticket.sla_policy == policy.name and ticket.sla_state == "ON_TRACK"
	assert frappe.db.get_value("Ticket Metrics", ticket.name, "sla_breached") == 0
	# the edit: a first response within 1 h; its job refreshes each open ticket on the policy without a save
	policy.reload()
	for target in policy.targets:
		target.first_response_minutes = 60
	policy.save()
	tracking.refresh(ticket.name)
	assert frappe.db.get_value("Ticket", ticket.name, "sla_state") == "BREACHED"
	assert frappe.db.get_value("Ticket Metrics", ticket.name, ["sla_breached", "sla_met"]) == (1, 0)
