"""The rule the listener's concurrent per-chat delivery tasks rely on (tg_tickets/telegram/delivery.py): they
share one database connection, so no uncommitted write may live across an `await`.

An observer task runs whenever every delivery task is suspended at an await and reads the connection's count
of uncommitted writes: it must always read zero. Real delivery code, real MariaDB and Redis; the only fake is
Telegram's side of the MTProto connection (flood waits included, so the retry sleeps are exercised too).
The chats reach the listener as in production: queued replies are handed over through Redis after commit."""

import asyncio
import time

import frappe
import pytest

from tests import telegram_fakes as tg
from tests.factories import make_chat, make_ticket
from tg_tickets import api
from tg_tickets.telegram import listener

pytestmark = pytest.mark.usefixtures("feature_on")


class WriteObserver:
	"""Samples `frappe.db.transaction_writes` each time the event loop lets it run."""

	def __init__(self):
		self.samples = []
		self.stop = False

	async def run(self):
		while not self.stop:
			self.samples.append(frappe.db.transaction_writes)
			await asyncio.sleep(0)


async def observed(observer, *coroutines):
	watcher = asyncio.create_task(observer.run())
	try:
		return await asyncio.gather(*coroutines)
	finally:
		observer.stop = True
		await watcher


def queue_replies(chat_count=3, replies=4):
	names = []
	for n in range(chat_count):
		chat = make_chat(f"Await rule {n}", chat_id=tg.user_id())
		ticket = make_ticket(f"Await rule {n}", chats=[chat])
		for r in range(replies):
			names += api.send_reply(ticket.name, f"reply {r}")["messages"]
	frappe.db.commit()  # with credentials, the chats are handed to the listener through Redis
	return names


def test_the_listeners_concurrent_chat_deliveries_hold_no_uncommitted_write_across_an_await(replies_go_to_the_listener):
	names = queue_replies()
	# FLOOD_WAIT_1 on a quarter of the requests (the retry path sleeps), answers after 10 ms as over a network
	sender = tg.FakeSender(flood_rate=0.25, seed=11, latency=0.01)
	client = tg.offline_client(sender)
	observer = WriteObserver()

	def all_sent():
		# No rollback between reads: it would hide a write held across an await. The tasks' commits give
		# this shared connection fresh snapshots.
		return frappe.db.count("Telegram Message", {"name": ("in", names), "status": "Sent"}) == len(names)

	async def listen_until_sent():
		stop = asyncio.Event()
		drain = asyncio.create_task(listener.drain_outbox(client, stop))  # one task per chat, real rate limits
		deadline = time.monotonic() + 60
		while not all_sent():
			assert time.monotonic() < deadline, "the listener never sent every reply"
			await asyncio.sleep(0.05)
		stop.set()
		await drain

	asyncio.run(observed(observer, listen_until_sent()))

	assert sender.floods > 0
	ours = {int(chat) for chat in frappe.get_all("Telegram Message", {"name": ("in", names)}, pluck="chat")}
	accepted = [r.message for r in sender.accepted if getattr(r, "peer", None) and tg.peer_of(r.peer) in ours]
	assert sorted(accepted) == sorted(f"reply {r}" for _chat in range(3) for r in range(4))  # each once
	assert len(observer.samples) > len(names)  # the observer really ran between the tasks' awaits
	assert set(observer.samples) == {0}


def test_the_observer_sees_a_write_held_across_an_await():
	"""The instrument works: a task that writes and then awaits before committing is caught."""
	chat = make_chat("Careless", chat_id=tg.user_id())
	frappe.db.commit()
	observer = WriteObserver()

	async def careless():
		frappe.db.sql("update `tabLinked Chat` set title = title where name = %s", (chat,))
		await asyncio.sleep(0.01)
		frappe.db.commit()

	asyncio.run(observed(observer, careless()))
	assert max(observer.samples) > 0


def test_inline_buttons_reach_telegram_as_this_layers_callback_buttons(replies_go_to_the_listener):
	"""The bot's form and offers carry inline buttons: through Telethon's real request building (not the record
	transport), each arrives as a callback button with its data."""
	from tg_tickets.telegram import delivery, gateway
	from tg_tickets.tickets.outbox import queue_message

	chat = make_chat("Buttons", chat_id=tg.user_id())
	[name] = queue_message(chat, "Pick a category", buttons=[[("Billing", "ti:c:0"), ("Technical", "ti:c:1")]])
	frappe.db.commit()
	sender = tg.FakeSender()

	sent = asyncio.run(delivery.deliver_chat(chat, gateway.TelegramTransport(tg.offline_client(sender)), delivery.RateLimiter(0, 0, 0)))

	assert sent == 1 and frappe.db.get_value("Telegram Message", name, "status") == "Sent"
	[request] = [r for r in sender.accepted if getattr(r, "message", None) == "Pick a category"]
	[row] = request.reply_markup.rows
	assert [(b.text, b.type.data) for b in row.buttons] == [("Billing", b"ti:c:0"), ("Technical", b"ti:c:1")]
