"""Outage mode through the transport edge: the fake MTProto sender refuses every request (connection refused, a
revoked token), then answers again. Real delivery, outage state, records, notifications and REST; the banner's
data as an agent's desk reads it."""

import asyncio

import frappe
import pytest

from tests import telegram_fakes as tg
from tests.factories import make_chat, make_ticket
from tg_tickets import api
from tg_tickets.telegram import delivery, gateway, health, listener
from tg_tickets.tickets import outage

pytestmark = pytest.mark.usefixtures("feature_on", "replies_go_to_the_listener", "no_outage")


@pytest.fixture
def no_outage():
	def clear():
		outage.reset()
		frappe.db.sql("update `tabTelegram Outage` set status = 'Resolved', ended_at = now() where status = 'Active'")
		frappe.db.commit()

	clear()
	yield
	clear()


def banner(client):
	response = client.call("tg_tickets.api.telegram.status", http="GET")
	assert response.ok, response.text
	return response.json()["message"]


def admin_notifications(record: str) -> int:
	return frappe.db.count("Notification Log", {"document_type": "Telegram Outage", "document_name": record, "for_user": "admin@tickets.test"})


def queued_replies(*texts_by_chat):
	names = {}
	for n, texts in enumerate(texts_by_chat):
		chat = make_chat(f"Outage {n}", chat_id=tg.user_id())
		ticket = make_ticket(f"Outage {n}", chats=[chat])
		names[chat] = [api.send_reply(ticket.name, text)["messages"][0] for text in texts]
	frappe.db.commit()
	return names


class Sweeper:
	"""What the retry sweep does, with time moved on: every queued row is due again, each chat delivered."""

	def __init__(self, sender):
		self.transport = gateway.TelegramTransport(tg.offline_client(sender))

	def deliver(self, chat):
		frappe.db.sql("update `tabTelegram Message` set next_attempt_at = null where chat = %s and status = 'Queued'", (chat,))
		frappe.db.commit()
		return asyncio.run(delivery.deliver_chat(chat, self.transport, delivery.RateLimiter(0, 0, 0)))


def statuses(names):
	return [frappe.db.get_value("Telegram Message", name, "status") for name in names]


def test_replies_written_while_telegram_is_unreachable_wait_and_go_out_once_in_order(users, member):
	before = banner(member)
	assert before == {"active": False}
	baseline = outage.queued_replies()
	replies = queued_replies(["first", "second", "third"], ["one", "two"])
	(chat_a, a), (chat_b, b) = replies.items()
	# as if the sweep had already retried them four times: their backoff is a minute, nothing sleeps inline
	frappe.db.sql("update `tabTelegram Message` set attempts = 4 where name in %s", (tuple(a + b),))
	frappe.db.commit()
	sender = tg.FakeSender()
	sender.down = "network"
	sweeper = Sweeper(sender)

	assert sweeper.deliver(chat_a) == 0
	assert sweeper.deliver(chat_b) == 0
	assert banner(member) == {"active": False}  # two failures are noise: Telethon and the sweep retry them
	assert sweeper.deliver(chat_a) == 0  # the third in a row: Telegram is down

	shown = banner(member)
	record = shown.pop("name")
	assert shown.pop("since")
	assert shown == {"active": True, "affected": ["outbound"], "reason": "network error: ConnectionRefusedError",
					 "queued_replies": baseline + 5}
	assert admin_notifications(record) == 1

	# Far past MAX_ATTEMPTS, the replies stay queued while Telegram is down; nobody is notified twice.
	for _round in range(delivery.MAX_ATTEMPTS):
		sweeper.deliver(chat_a)
		sweeper.deliver(chat_b)
	assert frappe.db.get_value("Telegram Message", a[0], "attempts") > delivery.MAX_ATTEMPTS
	assert statuses(a + b) == ["Queued"] * 5
	assert admin_notifications(record) == 1
	assert frappe.db.count("Telegram Outage", {"status": "Active"}) == 1
	requests_while_down = sender.attempts

	outbox = frappe.cache.make_key(delivery.OUTBOX_LIST)
	frappe.cache.delete(outbox)
	sender.down = None
	assert sweeper.deliver(chat_a) == 3  # Telegram answers: the chat's queue goes out behind its head

	assert banner(member) == {"active": False}
	assert frappe.db.get_value("Telegram Outage", record, ["status", "ended_at"])[0] == "Resolved"
	assert frappe.db.get_value("Telegram Outage", record, "ended_at") is not None
	# every queued chat was announced again and is due at once (not after its backoff)
	assert {chat_a, chat_b} <= {item.decode() for item in frappe.cache.lrange(delivery.OUTBOX_LIST, 0, -1)}
	assert frappe.db.get_value("Telegram Message", b[0], "next_attempt_at") is None
	assert asyncio.run(delivery.deliver_chat(chat_b, sweeper.transport, delivery.RateLimiter(0, 0, 0))) == 2

	assert statuses(a + b) == ["Sent"] * 5
	accepted = [(tg.peer_of(r.peer), r.message) for r in sender.accepted]
	assert [text for peer, text in accepted if str(peer) == chat_a] == ["first", "second", "third"]
	assert [text for peer, text in accepted if str(peer) == chat_b] == ["one", "two"]
	assert sender.attempts - requests_while_down == 5  # each reply sent once: no retry, no duplicate refused
	assert admin_notifications(record) == 1


def test_a_revoked_bot_token_is_an_outage_at_once_and_keeps_replies_queued(users, member):
	[(chat, names)] = queued_replies(["after the token was revoked"]).items()
	sender = tg.FakeSender()
	sender.down = "auth"
	sweeper = Sweeper(sender)

	assert sweeper.deliver(chat) == 0

	shown = banner(member)
	assert shown["active"] and shown["affected"] == ["inbound", "outbound", "topics"]
	assert "AuthKeyUnregisteredError" in shown["reason"]
	assert admin_notifications(shown["name"]) == 1
	assert statuses(names) == ["Queued"]  # a 401 is not the message's fault: it is not Failed

	sender.down = None
	assert sweeper.deliver(chat) == 1
	assert banner(member) == {"active": False}
	assert statuses(names) == ["Sent"]


def test_a_second_outage_notifies_the_admins_again(users):
	sender = tg.FakeSender()
	sweeper = Sweeper(sender)
	records = []
	for round_ in range(2):
		[(chat, _names)] = queued_replies([f"outage {round_}"]).items()
		sender.down = "auth"
		sweeper.deliver(chat)
		records.append(outage.status()["name"])
		sender.down = None
		sweeper.deliver(chat)
		assert outage.status() == {"active": False}
	assert records[0] != records[1]
	assert [admin_notifications(r) for r in records] == [1, 1]


def test_no_listener_holding_the_lock_past_a_takeovers_time_is_an_outage_until_one_holds_it(users, member):
	t0 = 1_900_000_000.0
	health.check_listener(now=t0)
	assert banner(member) == {"active": False}  # a standby may be taking over right now

	health.check_listener(now=t0 + 31)
	shown = banner(member)
	assert shown["active"] and shown["affected"] == ["inbound", "outbound", "topics"]
	assert "listener" in shown["reason"]

	# a successful send does not prove a listener is back (it may come from a worker in another setup)
	outage.report("ok", ["outbound"])
	assert banner(member)["active"]

	standby = listener.ListenerLock(listener.credentials.bot_id())
	assert standby.acquire()
	try:
		health.check_listener(now=t0 + 40)
		assert banner(member) == {"active": False}
	finally:
		standby.release()


def test_the_record_transport_needs_no_listener():
	from tests.factories import set_settings

	set_settings(transport="record")
	frappe.db.commit()
	health.check_listener(now=1_900_000_000.0)
	health.check_listener(now=1_900_000_100.0)
	assert outage.status() == {"active": False}


def test_only_ticket_users_read_the_banner(outsider):
	response = outsider.call("tg_tickets.api.telegram.status", http="GET")
	assert response.status_code == 403


def test_the_status_an_admin_checks_names_the_listener_and_what_waits():
	standby = listener.ListenerLock(listener.credentials.bot_id())
	found = health.report()
	assert found["transport"] == "telegram" and found["listener"] is None
	assert standby.acquire()
	try:
		found = health.report()
	finally:
		standby.release()
	assert found["listener"] == standby.token
	assert found["queued_replies"] == outage.queued_replies() and found["outage"] == {"active": False}
	assert tg.BOT_TOKEN not in repr(found) and tg.API_HASH not in repr(found)
