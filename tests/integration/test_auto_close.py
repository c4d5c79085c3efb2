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
