"""Escalation rules on the test site, each trigger and action with the clock controlled: SLA breach (after
its grace), customer sentiment (real TL messages through the inbox), ticket age in business hours, reopened
more than N times, an agent's request (REST and `/escalate` in the forum topic); once per ticket and cycle,
the history line, read access kept by the agent, and the supervisor's switch-off."""

import json
from datetime import datetime, timedelta

import frappe
import pytest
from frappe.utils import get_datetime

from tests import telegram_fakes as tg
from tests.factories import (
	OFFICE_HOURS, PASSWORD, clear_escalation_rules, clear_routing, clock_at, make_admin, make_chat,
	make_escalation_rule, make_member, make_sla_policy, make_ticket, make_ticket_team, set_agent, settings,
	telegram_messages,
)
from tests.integration.test_telegram_sync import receive, topic_group
from tg_tickets.api import send_reply
from tg_tickets.lifecycle import escalation
from tg_tickets.sla import sweep as sla_sweep

T0 = datetime(2026, 3, 2, 10, 0)  # a Monday
M = timedelta(minutes=1)
AGENT, SUPERVISOR, WATCHER = "agent.esc@tickets.test", "supervisor.esc@tickets.test", "watcher.esc@tickets.test"

pytestmark = pytest.mark.usefixtures("feature_on")


@pytest.fixture
def people():
	clear_routing()
	clear_escalation_rules()
	for user in (AGENT, WATCHER):
		make_member(user)
	make_admin(SUPERVISOR)
	for user in (AGENT, SUPERVISOR):
		set_agent(user, "Online")
	frappe.db.commit()
	yield
	frappe.db.rollback()
	clear_escalation_rules()
	clear_routing()
	frappe.db.commit()


def sweep(at, ticket):
	"""What the minute job does at `at`, for this test's ticket (other tests' tickets stay out of it)."""
	with clock_at(at):
		return escalation.process_tickets([name for name in escalation.due_tickets(at) if name == ticket], at)


def history(ticket):
	return frappe.get_all("Comment", filters={"reference_doctype": "Ticket", "reference_name": ticket,
		"comment_type": "Info"}, order_by="creation", pluck="content")


def bell(user, ticket):
	return frappe.get_all("Notification Log", filters={"for_user": user, "document_name": ticket, "type": "Alert"},
		pluck="subject")


def logs(ticket):
	return frappe.get_all("Escalation Log", filters={"ticket": ticket}, fields=["rule", "cycle", "trigger", "reason",
		"requested_by", "actions_taken"], order_by="creation")


def new_ticket(at=T0, **fields):
	with clock_at(at):
		ticket = make_ticket(fields.pop("title", "Escalation case"), **fields)
	frappe.db.commit()
	return frappe.get_doc("Ticket", ticket.name)


def test_an_sla_breach_escalates_after_its_grace_once_per_cycle(people):
	make_sla_policy(is_default=1, escalation_enabled=0)  # MEDIUM: first response in 60 min
	make_escalation_rule("Breach to supervisor", grace=15, raise_priority=1, assign_to=SUPERVISOR)
	frappe.db.commit()
	ticket = new_ticket(priority="MEDIUM", assigned_to=AGENT)
	assert get_datetime(ticket.next_escalation_at) == T0 + 75 * M
	sla_sweep.process_ticket(ticket.name, T0 + 61 * M)
	assert sweep(T0 + 74 * M, ticket.name) == {}
	assert sweep(T0 + 75 * M, ticket.name) == {ticket.name: ["Breach to supervisor"]}
	stored = frappe.get_doc("Ticket", ticket.name)
	assert (stored.priority, stored.assigned_to) == ("HIGH", SUPERVISOR)
	assert get_datetime(stored.escalated_at) == T0 + 75 * M
	assert frappe.has_permission("Ticket", "read", stored, user=AGENT)
	assert frappe.db.get_value("DocShare", {"share_name": ticket.name, "user": AGENT}, ["read", "write"]) == (1, 0)
	line = "Escalated by rule Breach to supervisor: the SLA was breached; priority raised to HIGH, assigned to Supervisor Esc"
	assert line in history(ticket.name)
	assert [(l.rule, l.cycle, l.trigger) for l in logs(ticket.name)] == [("Breach to supervisor", 0, "SLA breach")]
	assert bell(SUPERVISOR, ticket.name) and bell(AGENT, ticket.name)
	# however often it runs again, and whatever else is saved, it fired once in this cycle
	frappe.db.set_value("Ticket", ticket.name, "next_escalation_at", T0)
	assert sweep(T0 + 2 * 60 * M, ticket.name) == {}
	assert len(logs(ticket.name)) == 1


def test_low_customer_sentiment_moves_the_ticket_to_a_team(people):
	make_ticket_team("Escalation desk", [SUPERVISOR], "Manual claim", supervisor=SUPERVISOR)
	make_escalation_rule("Angry customer", "Customer sentiment", sentiment_messages=2, sentiment_threshold=-0.3,
		move_to_team="Escalation desk")
	frappe.db.commit()
	uid = tg.user_id()
	ticket = new_ticket(chats=[make_chat("Ivan", chat_id=uid)], assigned_to=AGENT)
	assert not ticket.next_escalation_at  # nothing said yet
	with clock_at(T0 + M):
		receive(tg.private_message(uid, "Это ужасно, опять не работает"))
	assert sweep(T0 + 2 * M, ticket.name) == {}  # one message is not yet the last two
	with clock_at(T0 + 3 * M):
		receive(tg.private_message(uid, "This is terrible, I am furious"))
	assert sweep(T0 + 4 * M, ticket.name) == {ticket.name: ["Angry customer"]}
	stored = frappe.get_doc("Ticket", ticket.name)
	assert (stored.team, stored.assigned_to) == ("Escalation desk", None)
	assert any("the customer's last 2 messages averaged below -0.3; moved to team Escalation desk" in h
		for h in history(ticket.name))


def test_an_edited_customer_message_is_scored_again_and_the_trend_and_escalation_follow(people):
	make_escalation_rule("Upset customer", "Customer sentiment", sentiment_messages=2, sentiment_threshold=-0.3,
		notify_users=[WATCHER])
	frappe.db.commit()
	uid = tg.user_id()
	ticket = new_ticket(chats=[make_chat("Edith", chat_id=uid)], assigned_to=AGENT)
	first, second = tg.next_id(), tg.next_id()
	with clock_at(T0 + M):
		receive(tg.private_message(uid, "This is terrible, nothing works", message_id=first))
	with clock_at(T0 + 2 * M):
		receive(tg.private_message(uid, "Thanks, that fixed it, great!", message_id=second))
	assert sweep(T0 + 3 * M, ticket.name) == {}  # one bad, one good: the mean is above the threshold
	with clock_at(T0 + 4 * M):  # the customer takes the thanks back
		receive(tg.edit(uid, second, "No, it is broken again. Awful, I am furious"))
	bad, edited = telegram_messages(ticket=ticket.name, direction="Incoming")
	assert edited.previous_text == "Thanks, that fixed it, great!" and edited.sentiment < -0.5 and edited.sentiment_scored
	stored = frappe.get_doc("Ticket", ticket.name)
	assert json.loads(stored.sentiment_trend) == [round(bad.sentiment, 2), round(edited.sentiment, 2)]
	assert stored.sentiment == pytest.approx((round(bad.sentiment, 2) + round(edited.sentiment, 2)) / 2, abs=0.01)
	assert get_datetime(stored.next_escalation_at) <= T0 + 4 * M  # looked at by the next sweep
	assert sweep(T0 + 5 * M, ticket.name) == {ticket.name: ["Upset customer"]}
	with clock_at(T0 + 6 * M):  # an edit to digits only scores nothing: the message leaves the trend
		receive(tg.edit(uid, first, "12345"))
	assert json.loads(frappe.db.get_value("Ticket", ticket.name, "sentiment_trend")) == [round(edited.sentiment, 2)]


def test_ticket_age_counts_business_hours_and_notifies(people):
	policy = make_sla_policy(business_hours=OFFICE_HOURS, timezone=frappe.utils.get_system_timezone(), escalation_enabled=0)
	make_escalation_rule("Old ticket", "Ticket age", age_hours=2, age_in_business_hours=1, notify_users=[WATCHER])
	frappe.db.commit()
	friday_4pm = datetime(2026, 3, 6, 16, 0)
	ticket = new_ticket(at=friday_4pm, sla_policy=policy.name)
	monday_10am = datetime(2026, 3, 9, 10, 0)  # 1 h on Friday, 1 h on Monday
	assert get_datetime(ticket.next_escalation_at) == monday_10am
	assert sweep(monday_10am - M, ticket.name) == {}
	assert sweep(monday_10am, ticket.name) == {ticket.name: ["Old ticket"]}
	assert bell(WATCHER, ticket.name) == [
		f"Ticket #{ticket.name} escalated: Escalated by rule Old ticket: the ticket is older than 2 business hours"]
	assert [l.actions_taken for l in logs(ticket.name)] == ["notified"]


def test_reopened_more_than_n_times_fires_after_the_grace_and_again_in_a_later_cycle_only_if_it_holds(people):
	make_escalation_rule("Bouncing", "Reopened", reopened_times=1, grace=5, raise_priority=1)
	frappe.db.commit()
	ticket = new_ticket(priority="LOW")
	for n, status in enumerate(["SOLVED", "OPEN", "SOLVED", "OPEN"], start=1):
		with clock_at(T0 + n * M):
			doc = frappe.get_doc("Ticket", ticket.name)
			doc.status = status
			doc.save()
	frappe.db.commit()
	stored = frappe.get_doc("Ticket", ticket.name)
	assert stored.reopen_count == 2 and get_datetime(stored.next_escalation_at) == T0 + 9 * M
	assert sweep(T0 + 8 * M, ticket.name) == {}
	assert sweep(T0 + 9 * M, ticket.name) == {ticket.name: ["Bouncing"]}
	assert frappe.db.get_value("Ticket", ticket.name, "priority") == "MEDIUM"
	with clock_at(T0 + 10 * M):
		for status in ("SOLVED", "OPEN"):
			doc = frappe.get_doc("Ticket", ticket.name)
			doc.status = status
			doc.save()
	assert sweep(T0 + 16 * M, ticket.name) == {ticket.name: ["Bouncing"]}  # a new cycle, still reopened too often
	assert [l.cycle for l in logs(ticket.name)] == [2, 3]
	assert frappe.db.get_value("Ticket", ticket.name, "priority") == "HIGH"


def test_conditions_limit_a_rule_to_the_tickets_they_match(people):
	make_escalation_rule("High only", "Ticket age", age_hours=1, conditions=[("priority", "=", "HIGH")], raise_priority=1)
	frappe.db.commit()
	low = new_ticket(priority="LOW")
	high = new_ticket(priority="HIGH")
	assert not low.next_escalation_at and get_datetime(high.next_escalation_at) == T0 + 60 * M


def test_a_supervisor_switches_escalation_off_and_nobody_else_may(people):
	make_ticket_team("Switch desk", [AGENT], "Manual claim", supervisor=SUPERVISOR)
	make_escalation_rule("Old", "Ticket age", age_hours=1, raise_priority=1)
	make_escalation_rule("Asked", "Agent request", assign_to=SUPERVISOR)
	frappe.db.commit()
	ticket = new_ticket(team="Switch desk")
	frappe.set_user(AGENT)
	doc = frappe.get_doc("Ticket", ticket.name)
	doc.escalation_disabled = 1
	with pytest.raises(frappe.PermissionError, match="supervisor"):
		doc.save()
	frappe.set_user(SUPERVISOR)
	doc = frappe.get_doc("Ticket", ticket.name)
	doc.escalation_disabled = 1
	doc.save()
	frappe.set_user("Administrator")
	frappe.db.commit()
	assert frappe.db.get_value("Ticket", ticket.name, ["escalation_disabled", "next_escalation_at"]) == (1, None)
	frappe.db.set_value("Ticket", ticket.name, "next_escalation_at", T0)  # a stale look: still nothing fires
	assert sweep(T0 + 3 * 60 * M, ticket.name) == {}
	with pytest.raises(escalation.EscalationRefused, match="switched escalation off"):
		escalation.request(ticket.name, AGENT, "please")
	assert not logs(ticket.name)


def test_the_escalate_button_over_rest_needs_a_reason_and_a_rule(people, live_site):
	agent = live_site.session(AGENT, PASSWORD)
	ticket = new_ticket(assigned_to=AGENT)
	response = agent.call("tg_tickets.api.lifecycle.escalate", ticket=ticket.name, reason="customer is furious")
	assert response.status_code == 417 and "No escalation rule for agents' requests" in response.text
	make_escalation_rule("Asked for help", "Agent request", assign_to=SUPERVISOR, raise_priority=1)
	frappe.db.commit()
	response = agent.call("tg_tickets.api.lifecycle.escalate", ticket=ticket.name, reason="  ")
	assert response.status_code == 417 and "a reason is required" in response.text
	assert not logs(ticket.name)
	response = agent.call("tg_tickets.api.lifecycle.escalate", ticket=ticket.name, reason="customer is furious")
	assert response.status_code == 200, response.text
	assert response.json()["message"] == {"ticket": ticket.name, "rules": ["Asked for help"]}
	frappe.db.rollback()
	stored = frappe.get_doc("Ticket", ticket.name)
	assert (stored.assigned_to, stored.priority) == (SUPERVISOR, "HIGH")
	[log] = logs(ticket.name)
	assert (log.requested_by, log.reason) == (AGENT, "customer is furious")
	assert any(h.startswith("Escalated by rule Asked for help (asked by Agent Esc): customer is furious") for h in history(ticket.name))
	again = agent.call("tg_tickets.api.lifecycle.escalate", ticket=ticket.name, reason="again")
	assert again.status_code == 403  # escalated away from the agent: read-only for them now
	again = live_site.session(WATCHER, PASSWORD).call("tg_tickets.api.lifecycle.escalate", ticket=ticket.name, reason="again")
	assert again.status_code == 417 and "already fired" in again.text


def test_the_agent_an_escalation_took_the_ticket_from_reads_it_but_may_not_edit_or_reply(people):
	# feature_on: members may edit tickets, so only the escalation narrows the agent
	make_escalation_rule("Hand to supervisor", "Agent request", assign_to=SUPERVISOR)
	frappe.db.commit()
	ticket = new_ticket(assigned_to=AGENT)
	assert frappe.has_permission("Ticket", "write", ticket, user=AGENT)
	escalation.request(ticket.name, AGENT, "needs a supervisor")
	frappe.db.commit()
	stored = frappe.get_doc("Ticket", ticket.name)
	assert stored.assigned_to == SUPERVISOR
	assert frappe.has_permission("Ticket", "read", stored, user=AGENT)
	assert not frappe.has_permission("Ticket", "write", stored, user=AGENT)
	assert frappe.has_permission("Ticket", "write", stored, user=WATCHER)  # other members are not narrowed
	frappe.set_user(AGENT)
	try:
		with pytest.raises(frappe.PermissionError):
			send_reply(ticket.name, "I am still on it")
		stored.title = "Edited by the former agent"
		with pytest.raises(frappe.PermissionError):
			stored.save()
	finally:
		frappe.set_user("Administrator")
		frappe.db.rollback()
	assert not telegram_messages(ticket=ticket.name, direction="Outgoing")
	# given back to the agent (or waiting in one of their teams), it is theirs to edit again
	frappe.db.set_value("Ticket", ticket.name, "assigned_to", AGENT)
	assert frappe.has_permission("Ticket", "write", ticket.name, user=AGENT)
	make_ticket_team("Agent's own team", [AGENT], "Manual claim")
	frappe.db.set_value("Ticket", ticket.name, {"assigned_to": None, "team": "Agent's own team"})
	assert frappe.has_permission("Ticket", "write", ticket.name, user=AGENT)
	frappe.db.rollback()


def test_escalate_typed_in_the_forum_topic(people, replies_go_to_the_listener):
	# replies_go_to_the_listener: no live worker delivers the topic's creation and renumbers the topic
	make_escalation_rule("Topic help", "Agent request", notify_users=[WATCHER], assign_to=SUPERVISOR)
	channel, group = topic_group()
	agent_tg = tg.user_id()
	frappe.db.delete("Telegram Agent", {"user": AGENT})
	frappe.get_doc({"doctype": "Telegram Agent", "user": AGENT, "telegram_user_id": str(agent_tg)}).insert(ignore_permissions=True)
	uid = tg.user_id()
	customer = make_chat("Cleo", chat_id=uid)
	frappe.db.commit()
	with settings(topic_group_chat=group):
		ticket = new_ticket(chats=[customer], assigned_to=AGENT)
		frappe.db.set_value("Ticket", ticket.name, {"topic_group": group, "topic_id": 31})
		frappe.db.commit()
		with clock_at(T0 + M):
			receive(tg.topic_message(channel, 31, agent_tg, "/escalate"))
		with clock_at(T0 + 2 * M):
			receive(tg.topic_message(channel, 31, agent_tg, "/escalate refund over the limit"))
		with clock_at(T0 + 3 * M):  # escalated away: what the agent writes in the topic stays there
			receive(tg.topic_message(channel, 31, agent_tg, "Let me check that for you"))
	assert f"Ticket #{ticket.name} was escalated away from you: you can read it but no longer reply." in [
		m.text for m in telegram_messages(chat=group, ticket=ticket.name, direction="Outgoing", message_kind="Message")]
	assert not [m for m in telegram_messages(chat=customer, direction="Outgoing") if "check that" in (m.text or "")]
	answers = [m.text for m in telegram_messages(chat=group, ticket=ticket.name, direction="Outgoing", message_kind="Message")]
	assert "Say why: /escalate followed by the reason" in answers
	assert "Escalated by Agent Esc (rule Topic help): refund over the limit" in answers
	assert not [m for m in telegram_messages(chat=customer, direction="Outgoing") if "escalate" in (m.text or "")]
	[log] = logs(ticket.name)
	assert (log.requested_by, log.reason) == (AGENT, "refund over the limit")
	assert bell(WATCHER, ticket.name)


def test_rules_are_validated_and_nothing_is_stored(people):
	for values, message in [
		(dict(), "at least one action"),
		(dict(raise_priority=1, conditions=[("no_such_field", "=", "x")]), "no field .*no_such_field"),
		(dict(raise_priority=1, conditions=[("priority", ">", "abc")]), "compares numbers"),
		(dict(trigger="Customer sentiment", raise_priority=1, sentiment_threshold=-2), "between -1 and 1"),
		(dict(trigger="Ticket age", raise_priority=1, age_hours=0), "more than 0"),
		(dict(raise_priority=1, notify_users=["nobody@nowhere.test"]), "not a user"),
	]:
		with pytest.raises(frappe.ValidationError, match=message):
			make_escalation_rule("Refused rule", **values)
		assert not frappe.db.exists("Escalation Rule", "Refused rule")


def test_demo_rules_are_made_once(people):
	from tg_tickets.lifecycle import demo

	frappe.db.delete("Auto Close Rule")
	demo.make_demo_rules()
	demo.make_demo_rules()
	assert frappe.get_all("Auto Close Rule", pluck="name") == ["Close solved tickets after 3 days"]
	assert frappe.db.count("Escalation Rule", {"rule_name": ("in", [r["rule_name"] for r in demo.ESCALATIONS])}) >= 2
	assert frappe.db.get_single_value("Tickets Settings", "ratings_enabled") == 1
