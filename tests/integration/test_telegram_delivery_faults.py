"""Delivery when a deliverer dies for real: another OS process takes a chat's delivery and is SIGKILLed in the
middle of sending, or after Telegram (the record transport) received the message but before it was marked
Sent; the next delivery job must take the chat over and the customer must see the reply exactly once."""

import asyncio
import os
import signal
import subprocess
import sys

import frappe
import pytest

from tests import telegram_fakes as tg
from tests.factories import make_chat, make_ticket
from tg_tickets import api
from tg_tickets.telegram import delivery, gateway

# A deliverer in its own process: it takes the chat and hangs inside the transport's send until it is killed.
HANGING_DELIVERER = """
import asyncio, sys
import frappe
from tg_tickets.telegram import delivery, gateway

class HangingTransport:  # hangs before Telegram gets the request ("sending") or right after it got it ("sent")

	async def execute(self, request, attempt=1):
		if sys.argv[3] == "sent":
			await gateway.RecordTransport().execute(request, attempt)
		print(sys.argv[3], flush=True)
		await asyncio.sleep(600)

frappe.init(site=sys.argv[1], sites_path=".")
frappe.connect()
asyncio.run(delivery.deliver_chat(sys.argv[2], HangingTransport(), delivery.RateLimiter(0, 0, 0)))
"""


def recorded_sends(name):
	return frappe.get_all("Telegram Recorded Request", filters={"telegram_message": name, "method": "send_message"}, pluck="name")


# the site's feature on, and queued replies handed to a listener (none runs here), never to another test's worker
pytestmark = pytest.mark.usefixtures("feature_on", "replies_go_to_the_listener")


def queue_reply_and_kill_its_deliverer(title: str, when: str) -> tuple[str, str]:
	chat = make_chat(title, chat_id=tg.user_id())
	ticket = make_ticket(title, chats=[chat])
	frappe.db.commit()
	[name] = api.send_reply(ticket.name, "Survives a killed worker")["messages"]
	frappe.db.commit()
	deliverer = subprocess.Popen(
		[sys.executable, "-c", HANGING_DELIVERER, frappe.local.site, chat, when], stdout=subprocess.PIPE, cwd=os.getcwd()
	)
	try:
		assert deliverer.stdout.readline().strip() == when.encode()
	finally:
		os.kill(deliverer.pid, signal.SIGKILL)
		deliverer.wait()
	frappe.db.rollback()
	assert frappe.db.get_value("Telegram Message", name, ["status", "attempts"]) == ("Queued", 1)
	lock_expires_soon(chat)
	return chat, name


def lock_expires_soon(chat: str) -> None:
	"""The dead deliverer's lock on the chat expires by itself within DELIVERY_LOCK_TTL; the test lets that time
	pass at once (the lock's remaining life cut to 0.3 s) instead of sleeping through it."""
	key = frappe.cache.make_key(f"tg_tickets:deliver:{chat}")
	assert 0 < frappe.cache.pttl(key) <= delivery.DELIVERY_LOCK_TTL * 1000
	frappe.cache.pexpire(key, 300)


def test_a_reply_whose_deliverer_was_killed_mid_send_is_sent_once_by_the_next_job():
	chat, name = queue_reply_and_kill_its_deliverer("Killed while sending", "sending")
	assert recorded_sends(name) == []

	# The next job waits for the chat (lock_wait), takes it over once the dead deliverer's lock expires, sends.
	sent = asyncio.run(delivery.deliver_chat(chat, gateway.RecordTransport(), delivery.RateLimiter(0, 0, 0)))

	assert sent == 1
	assert frappe.db.get_value("Telegram Message", name, "status") == "Sent"
	assert len(recorded_sends(name)) == 1


def test_a_reply_telegram_received_before_its_deliverer_was_killed_is_marked_sent_not_sent_again():
	chat, name = queue_reply_and_kill_its_deliverer("Killed after sending", "sent")
	assert len(recorded_sends(name)) == 1  # what Telegram received stays received

	sent = asyncio.run(delivery.deliver_chat(chat, gateway.RecordTransport(), delivery.RateLimiter(0, 0, 0)))

	assert sent == 1  # the retry, with the same random_id, is refused as a duplicate: the row is Sent
	assert frappe.db.get_value("Telegram Message", name, "status") == "Sent"
	assert len(recorded_sends(name)) == 1


def test_with_the_live_transport_every_chat_of_a_transaction_is_handed_to_the_listener_at_once():
	outbox = frappe.cache.make_key(delivery.OUTBOX_LIST)  # the list the listener's drain_outbox pops
	frappe.cache.delete(outbox)
	chats = [make_chat("Handed over", chat_id=tg.user_id()) for _ in range(2)]
	tickets = [make_ticket("Handed over", chats=[chat]) for chat in chats]
	frappe.db.commit()
	for ticket in tickets:
		api.send_reply(ticket.name, "For the listener")
	frappe.db.commit()

	handed = [frappe.cache.blpop(outbox, timeout=1) for _ in chats]

	assert sorted(item[1].decode() for item in handed if item) == sorted(chats)
