"""Auto-close end to end on the test site: a SOLVED ticket's warning (with its "Still need help" button) and
close through the sweep's job, reopening by the button or a reply, the reopen window and the follow-up ticket
after it; real TL objects through the inbox, the clock controlled with Frappe's freeze_time."""

import json
from datetime import datetime, timedelta

import frappe
import pytest
from frappe.utils import get_datetime

from tests import telegram_fakes as tg
from tests.factories import (
	OFFICE_HOURS, clear_auto_close_rules, clock_at, make_auto_close_rule, make_category, make_chat, make_sla_policy,
	make_ticket, settings, telegram_messages,
)
from tests.integration.test_telegram_sync import receive, topic_group
from tg_tickets.lifecycle import auto_close

T0 = datetime(2026, 3, 2, 10, 0)  # a Monday
H = timedelta(hours=1)

pytestmark = pytest.mark.usefixtures("feature_on")


@pytest.fixture
def rules():
	"""Committed rules (the inbox job commits); none left behind."""
	clear_auto_close_rules()
	yield
	frappe.db.rollback()
	clear_auto_close_rules()
	frappe.db.commit()


def solved_ticket(title="Printer fixed", at=T0, **fields):
	uid = tg.user_id()
	chat = make_chat("Cora", chat_id=uid)
	with clock_at(at - H):
		ticket = make_ticket(title, chats=[chat], customer_telegram_id=str(uid), **fields)
	with clock_at(at):
		ticket.reload()
		ticket.status = "SOLVED"
		ticket.save()
	frappe.db.commit()
	return uid, chat, frappe.get_doc("Ticket", ticket.name)


def sweep(at):
	"""What the minute job does at `at`: the due tickets' job, run here."""
	with clock_at(at):
		return auto_close.process_tickets(auto_close.due_tickets(at), at)


def info_lines(ticket):
	return frappe.get_all("Comment", filters={"reference_doctype": "Ticket", "reference_name": ticket,
		"comment_type": "Info"}, order_by="creation", pluck="content")


def bot_messages(chat):
	return [m for m in telegram_messages(chat=str(chat), direction="Outgoing") if m.message_kind == "Message"]


def test_without_a_rule_a_solved_ticket_stays_solved(rules):
	make_auto_close_rule(category=make_category("Zz Only billing").name)
	frappe.db.commit()
	_uid, _chat, ticket = solved_ticket()
	assert not ticket.auto_close_at and not ticket.next_auto_close_event_at and not ticket.auto_close_rule
	assert ticket.name not in auto_close.due_tickets(T0 + 1000 * H)


def test_a_category_rule_wins_over_the_default_and_is_planned_in_wall_hours(rules):
	make_auto_close_rule("Zz default", close=72, warn=24)
	make_auto_close_rule("Zz quick", close=10, warn=2, category=make_category("Zz Quick close").name)
	frappe.db.commit()
	_uid, _chat, ticket = solved_ticket(category="Zz Quick close")
	assert ticket.auto_close_rule == "Zz quick"
	assert get_datetime(ticket.auto_close_at) == T0 + 10 * H
	assert get_datetime(ticket.next_auto_close_event_at) == T0 + 8 * H
	assert ticket.name not in auto_close.due_tickets(T0 + 8 * H - timedelta(seconds=1))
	assert ticket.name in auto_close.due_tickets(T0 + 8 * H)


def test_business_hours_of_the_tickets_policy_count_when_the_rule_says_so(rules):
	policy = make_sla_policy(business_hours=OFFICE_HOURS, timezone=frappe.utils.get_system_timezone())
	make_auto_close_rule("Zz office", close=8, warn=4, business_hours=1, sla_policy=policy.name)
	frappe.db.commit()
	friday_4pm = datetime(2026, 3, 6, 16, 0)
	_uid, _chat, ticket = solved_ticket(at=friday_4pm, sla_policy=policy.name)
	# 1 h on Friday, then Monday 9–12 (3 h) → the warning after 4 business hours; after lunch 13–17 → the close
	assert get_datetime(ticket.next_auto_close_event_at) == datetime(2026, 3, 9, 12, 0)
	assert get_datetime(ticket.auto_close_at) == datetime(2026, 3, 9, 17, 0)


def test_warning_then_the_button_reopens_the_ticket(rules):
	make_auto_close_rule(close=72, warn=24)
	frappe.db.commit()
	uid, chat, ticket = solved_ticket()
	assert sweep(T0 + 47 * H) == {}
	assert sweep(T0 + 48 * H) == {ticket.name: "warn"}
	[warning] = bot_messages(chat)
	assert warning.ticket == ticket.name
	assert "close it in 24 hours" in warning.text and f"#{ticket.name}" in warning.text
	assert json.loads(warning.payload)["buttons"] == [[["Still need help", f"lc:h:{ticket.name}"]]]
	stored = frappe.get_doc("Ticket", ticket.name)
	assert get_datetime(stored.auto_close_warned_at) == T0 + 48 * H
	assert get_datetime(stored.next_auto_close_event_at) == T0 + 72 * H
	# a rerun of the job (or a parallel one) warns no twice
	assert sweep(T0 + 48 * H) == {} and len(bot_messages(chat)) == 1

	with clock_at(T0 + 50 * H):
		receive(tg.callback(uid, f"lc:h:{ticket.name}"))
	stored = frappe.get_doc("Ticket", ticket.name)
	assert stored.status == "OPEN" and stored.reopen_count == 1
	assert not stored.auto_close_at and not stored.next_auto_close_event_at and not stored.auto_close_warned_at
	[answer] = telegram_messages(chat=chat, message_kind="Callback Answer")
	assert answer.text == f"Ticket #{ticket.name} is open again; an agent will get back to you."
	assert "Reopened: the customer pressed “Still need help”" in info_lines(ticket.name)
	assert sweep(T0 + 100 * H) == {}


def test_a_reply_after_the_warning_reopens_the_ticket(rules):
	make_auto_close_rule(close=72, warn=24)
	frappe.db.commit()
	uid, _chat, ticket = solved_ticket()
	sweep(T0 + 48 * H)
	with clock_at(T0 + 49 * H):
		receive(tg.private_message(uid, "no, it still jams"))
	stored = frappe.get_doc("Ticket", ticket.name)
	assert stored.status == "OPEN" and not stored.next_auto_close_event_at
	assert sweep(T0 + 100 * H) == {}


def test_no_answer_closes_the_ticket_by_the_system_with_the_reason_in_its_history(rules):
	make_auto_close_rule("Zz standard", close=72, warn=24, window=48)
	frappe.db.commit()
	_uid, _chat, ticket = solved_ticket()
	sweep(T0 + 48 * H)
	assert sweep(T0 + 72 * H - timedelta(seconds=1)) == {}
	assert sweep(T0 + 72 * H) == {ticket.name: "close"}
	stored = frappe.get_doc("Ticket", ticket.name)
	assert stored.status == "CLOSED" and stored.closed_by_system == 1 and not stored.closed_by
	assert get_datetime(stored.closed_at) == T0 + 72 * H
	reason = "Solved with no customer message for 72 hours (auto-close rule Zz standard)"
	assert stored.close_reason == reason
	assert f"Closed by the system: {reason}" in info_lines(ticket.name)
	assert get_datetime(stored.reopen_until) == T0 + 120 * H
	assert not stored.next_auto_close_event_at
	assert sweep(T0 + 200 * H) == {}


def test_a_late_warning_still_gives_the_full_notice(rules):
	make_auto_close_rule(close=72, warn=24)
	frappe.db.commit()
	_uid, chat, ticket = solved_ticket()
	assert sweep(T0 + 80 * H) == {ticket.name: "warn"}  # the workers were down for a day
	assert "close it in 24 hours" in bot_messages(chat)[0].text
	assert sweep(T0 + 103 * H) == {}
	assert sweep(T0 + 104 * H) == {ticket.name: "close"}


def test_a_reply_within_the_reopen_window_reopens_the_closed_ticket_and_its_topic(rules, replies_go_to_the_listener):
	# replies_go_to_the_listener: no live worker delivers the topic's creation and renumbers the topic
	make_auto_close_rule(close=72, warn=24, window=48)
	_channel, group = topic_group()
	frappe.db.commit()
	with settings(topic_group_chat=group):
		uid, chat, ticket = solved_ticket()
		frappe.db.set_value("Ticket", ticket.name, {"topic_group": group, "topic_id": 77, "topic_state": "Open"})
		frappe.db.commit()
		sweep(T0 + 48 * H)
		sweep(T0 + 72 * H)
		topic_requests = lambda: [m.message_kind for m in telegram_messages(chat=group, ticket=ticket.name)]
		assert "Topic Close" in topic_requests()
		with clock_at(T0 + 100 * H):
			receive(tg.private_message(uid, "it broke again"))
		stored = frappe.get_doc("Ticket", ticket.name)
		assert stored.status == "OPEN" and stored.reopen_count == 1
		# reopened, and the message mirrored (same frozen instant: their order is the delivery's business)
		assert sorted(topic_requests()[-2:]) == ["Message", "Topic Reopen"]
		assert frappe.db.count("Ticket", {"follow_up_of": ticket.name}) == 0
		[incoming] = telegram_messages(chat=chat, direction="Incoming")
		assert incoming.ticket == ticket.name


def test_a_reply_after_the_window_opens_a_new_ticket_linked_to_the_old_one(rules):
	make_auto_close_rule(close=72, warn=24, window=48)
	frappe.db.commit()
	uid, chat, ticket = solved_ticket(priority="HIGH")
	sweep(T0 + 48 * H)
	sweep(T0 + 72 * H)
	with clock_at(T0 + 121 * H):
		receive(tg.private_message(uid, "Printer jams again\nsince this morning"))
	assert frappe.db.get_value("Ticket", ticket.name, "status") == "CLOSED"
	[follow_up] = frappe.get_all("Ticket", filters={"follow_up_of": ticket.name}, fields=["*"])
	assert (follow_up.title, follow_up.priority, follow_up.status) == ("Printer jams again", "HIGH", "NEW")
	assert frappe.get_all("Ticket Chat", filters={"parent": follow_up.name}, pluck="chat") == [chat]
	assert telegram_messages(chat=chat, direction="Incoming")[0].ticket == follow_up.name
	assert f"We opened ticket #{follow_up.name} for your message (a follow-up to #{ticket.name})." == bot_messages(chat)[-1].text
	assert not frappe.db.exists("Telegram Intake Session", chat)
	# the button under the old warning no longer reopens it
	with clock_at(T0 + 122 * H):
		receive(tg.callback(uid, f"lc:h:{ticket.name}"))
	assert frappe.db.get_value("Ticket", ticket.name, "status") == "CLOSED"
	assert telegram_messages(chat=chat, message_kind="Callback Answer")[-1].text == (
		f"Ticket #{ticket.name} is closed. Write a message to open a new one.")


def test_the_button_of_another_chat_is_refused(rules):
	make_auto_close_rule(close=72, warn=24)
	frappe.db.commit()
	_uid, _chat, ticket = solved_ticket()
	stranger = tg.user_id()
	receive(tg.callback(stranger, f"lc:h:{ticket.name}"))
	assert frappe.db.get_value("Ticket", ticket.name, "status") == "SOLVED"
	assert telegram_messages(chat=str(stranger), message_kind="Callback Answer")[-1].text == (
		"This button does not belong to a ticket of this chat.")


def test_a_manual_close_starts_the_reopen_window_and_a_reopen_clears_the_plan(rules):
	make_auto_close_rule(close=72, warn=24, window=10)
	frappe.db.commit()
	_uid, _chat, ticket = solved_ticket()
	with clock_at(T0 + 2 * H):
		ticket.status = "CLOSED"
		ticket.save()
	stored = frappe.get_doc("Ticket", ticket.name)
	assert stored.closed_by == "Administrator" and not stored.closed_by_system and not stored.close_reason
	assert get_datetime(stored.reopen_until) == T0 + 12 * H and not stored.next_auto_close_event_at


def test_rule_validation_refuses_bad_rules_and_stores_nothing(rules):
	make_auto_close_rule("Zz default one")
	for values, message in [
		(dict(close=0), "more than 0"),
		(dict(close=10, warn=12), "warn at most 10 hours"),
		(dict(window=-1), "negative"),
		(dict(category=make_category("Zz Both").name, sla_policy=make_sla_policy().name), "not both"),
		(dict(), "already applies to every other ticket"),
	]:
		with pytest.raises(frappe.ValidationError, match=message):
			make_auto_close_rule("Zz refused", **values)
		assert not frappe.db.exists("Auto Close Rule", "Zz refused")


def ticket_state(name, chat):
	"""Every row a close leaves about the ticket, with its own name and customer chat replaced by placeholders
	(two tickets closed at the same frozen instant then read the same)."""
	from tg_tickets.analytics.tracking import FIELDS

	ticket = frappe.db.sql("select * from `tabTicket` where name = %s", name, as_dict=True)[0]
	state = {
		"ticket": {k: v for k, v in ticket.items() if k not in ("name", "customer_telegram_id")},
		"chat rows": frappe.get_all("Ticket Chat", filters={"parent": name}, fields=["chat", "modified", "modified_by"]),
		"status history": frappe.get_all("Ticket Status Log", filters={"ticket": name},
			fields=["status", "changed_at", "changed_by", "owner"], order_by="changed_at, creation"),
		"history": frappe.get_all("Comment", filters={"reference_doctype": "Ticket", "reference_name": name},
			fields=["comment_type", "content", "comment_email", "owner", "creation"], order_by="creation, content"),
		"versions": [json.loads(data) for data in frappe.get_all("Version", filters={"ref_doctype": "Ticket",
			"docname": name}, pluck="data", order_by="creation, data")],
		"figures": frappe.db.get_value("Ticket Metrics", name, list(FIELDS), as_dict=True),
		"telegram": frappe.get_all("Telegram Message", filters={"ticket": name}, fields=["direction", "message_kind",
			"chat", "text", "status", "payload", "part", "is_agent_reply", "telegram_date", "topic_id", "sentiment",
			"sentiment_scored", "owner"], order_by="creation, message_kind, text"),
		"sla records": frappe.get_all("SLA Notification", filters={"ticket": name}, fields=["event"], order_by="event"),
	}
	return json.loads(json.dumps(state, default=str).replace(name, "<ticket>").replace(str(chat), "<chat>"))


def test_the_bulk_close_leaves_every_row_as_a_close_by_a_save_does(rules, replies_go_to_the_listener):
	"""Two tickets alike: A closed by the system with a save, B by the bulk close, at the same instant; every
	row about them then reads the same (ticket fields with SLA, schedule and rating request, status history,
	history lines, Version, figures, outbox rows with the topic's close). A rerun closes nothing twice."""
	from tg_tickets.lifecycle import auto_close_plan
	from tg_tickets.tickets import bulk_close, conversation

	t0 = datetime(2027, 3, 1, 10, 0)  # ahead of the live site's clock: its scheduler finds nothing of these due
	make_auto_close_rule("Zz standard", close=72, warn=24, window=48)
	policy = make_sla_policy(targets={"LOW": (600, 6000), "MEDIUM": (600, 6000), "HIGH": (60, 600)})
	_channel, group = topic_group()
	frappe.db.commit()
	made = []
	try:
		with settings(topic_group_chat=group, ratings_enabled=1, rating_delay_minutes=30):
			pairs = [solved_ticket("Printer fixed", at=t0, priority="HIGH", sla_policy=policy.name,
				assigned_to="Administrator", description="It jammed") for _ in range(2)]
			(_ua, chat_a, a), (_ub, chat_b, b) = pairs
			made += [a.name, b.name]
			for ticket in (a, b):
				frappe.db.set_value("Ticket", ticket.name, {"topic_group": group, "topic_id": 77, "topic_state": "Open"},
					update_modified=False)
			assert auto_close.process_tickets([a.name, b.name], t0 + 48 * H) == {a.name: "warn", b.name: "warn"}

			reason = auto_close_plan.close_reason(auto_close.rule_named("Zz standard"))
			frappe.flags.in_test = False  # a save writes its Version row only outside tests (Frappe's rule)
			try:
				with clock_at(t0 + 72 * H):
					line = conversation.close_by_system(a.name, reason, write_history=False)
					lines, left = bulk_close.close_many_by_system({b.name: reason})
					conversation.history_lines({a.name: line, **lines})
			finally:
				frappe.flags.in_test = True
			frappe.db.commit()
			assert left == [] and list(lines) == [b.name]

			closed_by_save, closed_in_bulk = ticket_state(a.name, chat_a), ticket_state(b.name, chat_b)
			assert closed_in_bulk["ticket"]["status"] == "CLOSED" and closed_in_bulk["ticket"]["closed_by_system"] == 1
			assert closed_in_bulk["ticket"]["rating_request_at"] and closed_in_bulk["ticket"]["sla_state"]
			assert [m["message_kind"] for m in closed_in_bulk["telegram"]][-1] == "Topic Close"
			assert closed_in_bulk["versions"][-1]["changed"]
			for part in closed_by_save:
				assert closed_in_bulk[part] == closed_by_save[part], part
			assert auto_close.process_tickets([b.name], t0 + 80 * H) == {}
			assert ticket_state(b.name, chat_b) == closed_in_bulk
	finally:
		# created ahead of the clock: left behind, they would head every later newest-first list (the browser
		# tests of the next run)
		frappe.db.rollback()
		for name in made:
			frappe.delete_doc("Ticket", name, force=True, ignore_permissions=True)
		frappe.db.commit()
