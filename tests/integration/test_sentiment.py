"""Sentiment on the test site: every incoming customer message is scored as the inbox stores it (the bulk
follow-up path and the one-by-one path alike), the ticket keeps the trend of its last scores, and the desk's
conversation endpoint returns both; agents' posts are not scored."""

import json

import frappe
import pytest

from tests import telegram_fakes as tg
from tests.factories import make_chat, make_ticket, telegram_messages
from tests.integration.test_telegram_sync import dispatch, receive
from tg_tickets.api import telegram as telegram_api
from tg_tickets.telegram import inbox

pytestmark = pytest.mark.usefixtures("feature_on")


def incoming(chat):
	return telegram_messages(chat=str(chat), direction="Incoming")


def test_messages_are_scored_in_both_languages_and_the_ticket_keeps_the_trend():
	uid = tg.user_id()
	chat = make_chat("Sasha", chat_id=uid)
	ticket = make_ticket("Login", chats=[chat])
	frappe.db.commit()
	# several updates in one batch: the inbox's bulk path for follow-ups on an open ticket
	dispatch(
		tg.private_message(uid, "Thanks, this is great!"),
		tg.private_message(uid, "Опять не работает, это ужасно"),
		tg.private_message(uid, "12345"),
	)
	inbox.process_pending()
	great, awful, digits = incoming(chat)
	assert great.sentiment > 0.5 and awful.sentiment < -0.5
	assert (great.sentiment_scored, awful.sentiment_scored, digits.sentiment_scored) == (1, 1, 0)
	stored = frappe.get_doc("Ticket", ticket.name)
	assert json.loads(stored.sentiment_trend) == [round(great.sentiment, 2), round(awful.sentiment, 2)]
	assert stored.sentiment == pytest.approx((round(great.sentiment, 2) + round(awful.sentiment, 2)) / 2, abs=0.01)

	conversation = telegram_api.conversation(ticket.name)
	assert [m.get("sentiment") for m in conversation["messages"]] == [great.sentiment, awful.sentiment, None]
	assert conversation["sentiment_trend"] == json.loads(stored.sentiment_trend)


def test_a_reply_that_reopens_a_solved_ticket_is_scored_and_the_trend_keeps_the_last_ten():
	uid = tg.user_id()
	chat = make_chat("Pat", chat_id=uid)
	ticket = make_ticket("Refund", chats=[chat], status="SOLVED")
	frappe.db.commit()
	receive(tg.private_message(uid, "Я очень недоволен"))  # the one-by-one path (reopens the ticket)
	[message] = incoming(chat)
	assert message.sentiment < -0.4 and message.sentiment_scored and frappe.db.get_value("Ticket", ticket.name, "status") == "OPEN"
	dispatch(*[tg.private_message(uid, "спасибо") for _ in range(11)])
	inbox.process_pending()
	trend = json.loads(frappe.db.get_value("Ticket", ticket.name, "sentiment_trend"))
	assert len(trend) == 10 and all(v > 0 for v in trend)
	assert frappe.db.get_value("Ticket", ticket.name, "sentiment") == pytest.approx(trend[-1], abs=0.01)


def test_agents_posts_in_the_topic_are_not_scored():
	from tests.factories import settings
	from tests.integration.test_telegram_sync import topic_group

	channel, group = topic_group()
	uid = tg.user_id()
	customer = make_chat("Kim", chat_id=uid)
	frappe.db.commit()
	with settings(topic_group_chat=group):
		ticket = make_ticket("Topic", chats=[customer])
		frappe.db.set_value("Ticket", ticket.name, {"topic_group": group, "topic_id": 55})
		frappe.db.commit()
		receive(tg.topic_message(channel, 55, tg.user_id(), "This is terrible, I hate it"))
	[post] = [m for m in incoming(group) if m.ticket == ticket.name]
	assert post.is_agent_reply == 1 and not post.sentiment_scored
	assert not frappe.db.get_value("Ticket", ticket.name, "sentiment_trend")


def test_a_batchs_scores_extend_each_stored_trend_and_the_mean_follows_its_last_five():
	"""update_trends (CUSTOMER_MESSAGES_STORED) keeps the trend in one UPDATE without reading it: what it stores
	is what the definition says, for a long trend, an empty one, none, and a ticket with no new score."""
	from tg_tickets.lifecycle import sentiment, sentiment_trend

	long, empty, fresh, untouched = (make_ticket(f"Trend {i}") for i in range(4))
	stored = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8, 0.9]
	frappe.db.set_value("Ticket", long.name, "sentiment_trend", json.dumps(stored))
	frappe.db.set_value("Ticket", empty.name, "sentiment_trend", "[]")
	frappe.db.set_value("Ticket", untouched.name, {"sentiment_trend": "[0.25]", "sentiment": 0.25})
	sentiment_trend.update_trends({long.name: [0.3333, -1.0], empty.name: [0.5], fresh.name: [-0.756, 0.0, 0.125],
		untouched.name: [], "NOSUCH1": [0.5]})

	def stored_as(ticket):
		sentiment_value, trend = frappe.db.get_value("Ticket", ticket.name, ["sentiment", "sentiment_trend"])
		return float(sentiment_value), json.loads(trend)

	for ticket, expected_trend in ((long, (stored + [0.33, -1.0])[-10:]), (empty, [0.5]), (fresh, [-0.76, 0.0, 0.12])):
		score, trend = stored_as(ticket)
		assert trend == expected_trend
		assert score == pytest.approx(sentiment.trend(expected_trend, sentiment_trend.TREND_WINDOW), abs=1e-9)
	assert stored_as(untouched) == (0.25, [0.25])
	assert not frappe.db.exists("Ticket", "NOSUCH1")
