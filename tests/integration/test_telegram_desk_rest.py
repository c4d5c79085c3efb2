"""What the side sheet's Telegram tab gets over REST: a ticket's conversation (edits, deletions, delivery
states with reasons, media, flagged messages of its people) and who may answer the customer."""

import frappe
import pytest

from tests import telegram_fakes as tg
from tests.factories import make_chat, make_ticket, settings
from tests.integration.test_telegram_sync import deliver, receive, topic_group
from tg_tickets import api
from tg_tickets.telegram import gateway


pytestmark = pytest.mark.usefixtures("feature_on")


def conversation(client, ticket):
	response = client.call("tg_tickets.api.telegram.conversation", http="GET", ticket=ticket)
	assert response.ok, response.text
	return response.json()["message"]


def test_the_conversation_shows_edits_deletions_delivery_states_and_flagged_messages(member):
	from telethon.tl import types

	uid = tg.user_id()
	chat = make_chat("Nora", chat_id=uid)
	ticket = make_ticket("Conversation", chats=[chat])
	frappe.db.commit()
	first, second = tg.next_id(), tg.next_id()
	receive(tg.private_message(uid, "helo", message_id=first), tg.private_message(uid, "second", message_id=second))
	receive(tg.edit(uid, first, "hello"), types.UpdateDeleteMessages(messages=[second], pts=3, pts_count=1))
	api.send_reply(ticket.name, "We are on it")
	api.send_reply(ticket.name, "Are you there?")
	# Not committed first: delivery takes the chat's lock, then commits, so the site's worker cannot
	# deliver these through the record transport meanwhile.
	deliver(chat, gateway.TelegramTransport(tg.offline_client(tg.FakeSender(fail={uid: "USER_IS_BLOCKED"}))))
	# the same customer posts in the agents' group outside a ticket: flagged, offered on this ticket
	channel, group = topic_group()
	frappe.db.commit()
	with settings(topic_group_chat=group):
		receive(tg.topic_message(channel, None, uid, "Also, my invoice"))

	data = conversation(member, ticket.name)
	texts = [(m["direction"], m["text"]) for m in data["messages"]]
	assert texts == [("Incoming", "hello"), ("Incoming", "second"), ("Outgoing", "We are on it"), ("Outgoing", "Are you there?")]
	edited, deleted, failed, _ = data["messages"]
	assert edited["previous_text"] == "helo" and edited["edits"][0]["text"] == "helo" and edited["edited_at"]
	assert deleted["is_deleted"] == 1
	assert failed["status"] == "Failed" and "UserIsBlockedError" in failed["failure_reason"]
	assert failed["agent"] == "Administrator" and failed["is_agent_reply"] == 1
	assert [m["text"] for m in data["flagged"]] == ["Also, my invoice"]
	assert (data["can_reply"], data["can_move"], data["closed"]) == (True, True, False)


def test_only_those_who_may_edit_tickets_answer_customers_and_never_on_a_closed_ticket(member):
	chat = make_chat("Olga", chat_id=tg.user_id())
	ticket = make_ticket("Who answers", chats=[chat])
	frappe.db.commit()
	with settings(members_can_edit_tickets=0):
		data = conversation(member, ticket.name)
		assert (data["can_reply"], data["can_move"]) == (False, False)
		refused = member.call("tg_tickets.api.send_reply", ticket=ticket.name, message="hi")
		assert refused.status_code == 403
	doc = frappe.get_doc("Ticket", ticket.name)
	doc.status = "CLOSED"
	doc.save()
	frappe.db.commit()
	assert conversation(member, ticket.name)["can_reply"] is False
	closed = member.call("tg_tickets.api.send_reply", ticket=ticket.name, message="hi")
	assert closed.status_code == 417 and "is closed" in closed.text
	frappe.db.rollback()
	assert not frappe.db.exists("Telegram Message", {"ticket": ticket.name, "direction": "Outgoing"})
