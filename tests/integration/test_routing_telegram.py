"""Claim from Telegram: an agent who linked their Telegram account presses Claim (callback data
"tk:c:<ticket>") and takes the ticket under the desk's exactly-one-winner rule; the topic says who holds it. Real Telethon updates through the listener and the inbox job (tests/telegram_fakes.py)."""

import json

import frappe
import pytest

from tests import telegram_fakes as tg
from tests.factories import clear_routing, make_chat, make_member, make_ticket, make_ticket_team, set_agent, settings
from telethon.tl import functions

from tests.integration.test_telegram_sync import deliver, receive, topic_group
from tg_tickets.telegram import gateway

pytestmark = pytest.mark.usefixtures("feature_on")

ANA, BEN = "ana.tg@routing.test", "ben.tg@routing.test"


@pytest.fixture
def linked_agents():
	clear_routing()
	ids = {}
	for user in (ANA, BEN):
		make_member(user)
		ids[user] = tg.user_id()
		frappe.db.delete("Telegram Agent", {"user": user})
		frappe.get_doc({"doctype": "Telegram Agent", "user": user, "telegram_user_id": str(ids[user])}).insert(
			ignore_permissions=True)
		set_agent(user, "Online")
	make_ticket_team("Topic desk", [ANA, BEN], "Manual claim", is_default=1)
	frappe.db.commit()
	yield ids
	frappe.db.rollback()
	clear_routing()
	frappe.db.commit()


def topic_posts(group, ticket):
	return frappe.get_all("Telegram Message", filters={"chat": group, "ticket": ticket, "direction": "Outgoing",
		"message_kind": "Message"}, fields=["text", "payload"], order_by="creation asc, part asc")


def callback_answers(group):
	return frappe.get_all("Telegram Message", filters={"chat": group, "message_kind": "Callback Answer"},
		pluck="text", order_by="creation asc")


def header_edits(group, ticket):
	return frappe.get_all("Telegram Message", filters={"chat": group, "ticket": ticket, "message_kind": "Message Edit"},
		fields=["text", "payload"], order_by="creation asc")


def button_data(markup) -> list[bytes]:
	return [button.type.data for row in (markup.rows if markup else []) for button in row.buttons]


def test_claim_from_the_topic_header_one_winner_and_the_topic_says_who(linked_agents, replies_go_to_the_listener):
	channel, group = topic_group()
	frappe.db.commit()
	with settings(topic_group_chat=group):
		ticket = make_ticket("Printer on fire", chats=[make_chat("Cameron")])
		frappe.db.commit()
		[header] = topic_posts(group, ticket.name)
		assert "Waiting in the Topic desk queue" in header.text
		data = f"tk:c:{ticket.name}"
		assert json.loads(header.payload)["buttons"] == [[["Claim", data]]]  # the header carries Claim
		# Telegram gets the header with its Claim button (through Telethon's real request building).
		sender = tg.FakeSender()
		deliver(group, gateway.TelegramTransport(tg.offline_client(sender)))
		[sent_header] = [r for r in sender.accepted if isinstance(r, functions.messages.SendMessageRequest)]
		assert button_data(sent_header.reply_markup) == [data.encode()]

		receive(tg.group_callback(channel, linked_agents[ANA], data), tg.group_callback(channel, linked_agents[BEN], data))
		frappe.db.rollback()
		assert frappe.db.get_value("Ticket", ticket.name, "assigned_to") == ANA
		answers = callback_answers(group)
		assert answers[-2:] == [f"You took ticket #{ticket.name}.", f"Ana Tg already took ticket #{ticket.name}."]
		assert topic_posts(group, ticket.name)[-1].text.startswith("Held by Ana Tg (claimed by Ana Tg)")
		# The header itself now says who holds the ticket, and its Claim button is gone.
		[edit] = header_edits(group, ticket.name)
		assert "Held by: Ana Tg" in edit.text and "press Claim" not in edit.text
		assert "buttons" not in json.loads(edit.payload)
		deliver(group, gateway.TelegramTransport(tg.offline_client(sender)))
		[sent_edit] = [r for r in sender.accepted if isinstance(r, functions.messages.EditMessageRequest)]
		header_id = frappe.db.get_value("Telegram Message", json.loads(edit.payload)["edit_of"], "message_id")
		assert header_id and sent_edit.id == header_id and "Held by: Ana Tg" in sent_edit.message
		assert sent_edit.reply_markup is None


def test_back_in_the_queue_the_header_offers_claim_again(linked_agents):
	from tg_tickets.tickets import assignment

	channel, group = topic_group()
	frappe.db.commit()
	with settings(topic_group_chat=group):
		ticket = make_ticket("Claimed then released", chats=[make_chat("Dana")])
		frappe.db.commit()
		receive(tg.group_callback(channel, linked_agents[ANA], f"tk:c:{ticket.name}"))
		frappe.db.rollback()
		assert assignment.release(ticket.name, ANA, reason="handed back")
		frappe.db.commit()
		edits = header_edits(group, ticket.name)
		assert [("Held by: Ana Tg" in e.text, json.loads(e.payload).get("buttons")) for e in edits] == [
			(True, None), (False, [[["Claim", f"tk:c:{ticket.name}"]]])]


def test_an_unlinked_telegram_user_is_told_to_link_first(linked_agents):
	channel, group = topic_group()
	frappe.db.commit()
	with settings(topic_group_chat=group):
		ticket = make_ticket("Nobody's yet")
		frappe.db.commit()
		receive(tg.group_callback(channel, tg.user_id(), f"tk:c:{ticket.name}"))
		frappe.db.rollback()
		assert not frappe.db.get_value("Ticket", ticket.name, "assigned_to")
		assert "Link your Telegram account" in callback_answers(group)[-1]
