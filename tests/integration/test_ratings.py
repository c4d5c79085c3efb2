"""Customer ratings end to end on the test site: signed 1–5 buttons when a ticket closes, a press through the
real inbox (real TL objects) stored once per closing with the assignee of that moment, the comment as the
next message; forged, foreign and replayed presses refused; the delay and the off switch."""

import json
from datetime import datetime, timedelta

import frappe
import pytest

from tests import telegram_fakes as tg
from tests.factories import clock_at, make_chat, make_member, make_ticket, set_agent, settings, telegram_messages
from tests.integration.test_telegram_sync import receive
from tg_tickets.lifecycle import rating_buttons, ratings

T0 = datetime(2026, 3, 2, 10, 0)

pytestmark = pytest.mark.usefixtures("feature_on")


@pytest.fixture
def ratings_on():
	with settings(ratings_enabled=1, rating_delay_minutes=0, rating_comment_minutes=30):
		yield


def closed_ticket(assignee=None, at=T0):
	uid = tg.user_id()
	chat = make_chat("Rita", chat_id=uid)
	with clock_at(at - timedelta(hours=1)):
		ticket = make_ticket("Invoice wrong", chats=[chat], customer_telegram_id=str(uid), assigned_to=assignee)
	with clock_at(at):
		close(ticket.name)
	frappe.db.commit()
	return uid, chat, ticket.name


def close(name):
	doc = frappe.get_doc("Ticket", name)
	doc.status = "CLOSED"
	doc.save()


def reopen(name):
	doc = frappe.get_doc("Ticket", name)
	doc.status = "OPEN"
	doc.save()


def rating_requests(chat):
	return [m for m in telegram_messages(chat=str(chat), direction="Outgoing")
		if m.message_kind == "Message" and m.payload and "buttons" in json.loads(m.payload)]


def button(chat, score, request=-1):
	[row] = json.loads(rating_requests(chat)[request].payload)["buttons"]
	return row[score - 1][1]


def answers(chat):
	return [m.text for m in telegram_messages(chat=str(chat), message_kind="Callback Answer")]


def press(uid, data, at=T0 + timedelta(minutes=5)):
	with clock_at(at):
		receive(tg.callback(uid, data))


def test_closing_asks_for_a_rating_with_signed_buttons_and_a_press_is_stored_with_the_assignee(ratings_on):
	agent = make_member("rated.agent@tickets.test")
	set_agent(agent, "Online")
	uid, chat, ticket = closed_ticket(assignee=agent)
	[request] = rating_requests(chat)
	assert request.ticket == ticket and f"Ticket #{ticket}" in request.text and "1 (poor) to 5 (excellent)" in request.text
	[row] = json.loads(request.payload)["buttons"]
	assert [label for label, _ in row] == ["1 ★", "2 ★", "3 ★", "4 ★", "5 ★"]
	assert [rating_buttons.verify(ratings.secret(), data) for _, data in row] == [
		rating_buttons.Rating(ticket, 0, score) for score in range(1, 6)]

	press(uid, button(chat, 4))
	assert answers(chat) == ["Thank you for your rating!"]
	[stored] = frappe.get_all("Ticket Rating", filters={"ticket": ticket}, fields=["*"])
	assert (stored.name, stored.rating, stored.cycle, stored.assignee, stored.chat) == (f"{ticket}-0", 4, 0, agent, chat)
	doc = frappe.get_doc("Ticket", ticket)
	assert (doc.rating, doc.rated_assignee, doc.status) == (4, agent, "CLOSED")
	assert "The customer rated this ticket 4/5" in frappe.get_all("Comment", filters={
		"reference_name": ticket, "comment_type": "Info"}, pluck="content")

	# the next message is the comment: no reopening, no new ticket, no intake form
	with clock_at(T0 + timedelta(minutes=10)):
		receive(tg.private_message(uid, "Quick and friendly, thanks"))
	assert frappe.db.get_value("Ticket Rating", f"{ticket}-0", "comment") == "Quick and friendly, thanks"
	assert frappe.db.get_value("Ticket", ticket, ["status", "rating_comment"]) == ("CLOSED", "Quick and friendly, thanks")
	assert telegram_messages(chat=chat, direction="Incoming")[-1].ticket == ticket
	assert not frappe.db.exists("Telegram Intake Session", chat)
	assert frappe.db.count("Ticket", {"customer_telegram_id": str(uid)}) == 1


def test_a_replayed_or_second_press_changes_nothing(ratings_on):
	uid, chat, ticket = closed_ticket()
	press(uid, button(chat, 2), T0 + timedelta(minutes=5))
	press(uid, button(chat, 2), T0 + timedelta(minutes=6))
	press(uid, button(chat, 5), T0 + timedelta(minutes=7))
	assert answers(chat) == ["Thank you for your rating!"] + [f"You already rated ticket #{ticket}. Thank you!"] * 2
	assert frappe.get_all("Ticket Rating", filters={"ticket": ticket}, pluck="rating") == [2]
	assert frappe.db.get_value("Ticket", ticket, "rating") == 2


def test_forged_buttons_are_refused_and_nothing_is_stored(ratings_on):
	uid, chat, ticket = closed_ticket()
	_uid2, chat2, other = closed_ticket()
	# another ticket's signature on this ticket's data, a made-up signature, a changed score
	theirs = button(chat2, 5).rsplit(":", 1)[1]
	mine = button(chat, 1)
	for forged in (f"cs:{ticket}:0:5:{theirs}", f"cs:{ticket}:0:5:AAAAAAAAAAAAAAAA", mine[:-16].replace(":1:", ":5:") + mine[-16:]):
		press(uid, forged)
	assert answers(chat) == ["This rating button is not valid."] * 3
	assert not frappe.db.exists("Ticket Rating", {"ticket": ticket})
	assert not frappe.db.get_value("Ticket", ticket, "rating")


def test_a_valid_button_pressed_from_another_chat_is_refused(ratings_on):
	_uid, chat, ticket = closed_ticket()
	stranger = tg.user_id()
	press(stranger, button(chat, 1))
	assert answers(str(stranger)) == ["This rating button does not belong to a ticket of this chat."]
	assert not frappe.db.exists("Ticket Rating", {"ticket": ticket})


def test_a_button_from_an_earlier_closing_is_refused_and_the_new_closing_is_rated(ratings_on):
	uid, chat, ticket = closed_ticket()
	old = button(chat, 1)
	with clock_at(T0 + timedelta(minutes=1)):
		reopen(ticket)
	frappe.db.commit()
	press(uid, old, T0 + timedelta(minutes=1, seconds=30))
	assert answers(chat) == [f"Ticket #{ticket} is open again; you can rate it once it is closed."]
	with clock_at(T0 + timedelta(minutes=2)):
		close(ticket)
	frappe.db.commit()
	press(uid, old, T0 + timedelta(minutes=3))
	assert answers(chat)[-1] == f"This rating button is from an earlier closing of ticket #{ticket}."
	press(uid, button(chat, 5), T0 + timedelta(minutes=4))
	assert frappe.get_all("Ticket Rating", filters={"ticket": ticket}, fields=["name", "rating"]) == [
		{"name": f"{ticket}-1", "rating": 5}]


def test_a_delayed_request_goes_out_once_and_not_after_a_reopen():
	with settings(ratings_enabled=1, rating_delay_minutes=30):
		_uid, chat, ticket = closed_ticket()
		_uid2, chat2, reopened = closed_ticket()
		assert not rating_requests(chat) and not rating_requests(chat2)
		assert frappe.utils.get_datetime(frappe.db.get_value("Ticket", ticket, "rating_request_at")) == T0 + timedelta(minutes=30)
		with clock_at(T0 + timedelta(minutes=5)):
			reopen(reopened)
		assert reopened not in ratings.due_requests(T0 + timedelta(hours=1))
		assert ratings.process_requests([ticket], T0 + timedelta(minutes=29)) == []
		assert ratings.process_requests([ticket], T0 + timedelta(minutes=30)) == [ticket]
		assert ratings.process_requests([ticket], T0 + timedelta(minutes=31)) == []
		assert len(rating_requests(chat)) == 1 and not rating_requests(chat2)


def test_ratings_off_asks_nothing():
	with settings(ratings_enabled=0):
		_uid, chat, ticket = closed_ticket()
	assert not rating_requests(chat) and not frappe.db.get_value("Ticket", ticket, "rating_request_at")
