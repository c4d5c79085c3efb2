"""Telegram sync end to end on the test site: real TL objects through a never-connected client's dispatch,
the real inbox, RQ job functions, MariaDB and Redis; the only fake is the MTProto sender."""

import asyncio
import base64
import json
import logging
import time

import frappe
import pytest

from tests import telegram_fakes as tg
from tests.factories import make_category, make_chat, make_member, make_ticket, settings, telegram_messages
from tg_tickets import api
from tg_tickets.telegram import agents, delivery, gateway, inbox, replay, routes
from tg_tickets.telegram.listener import Listener

NO_LIMITS = delivery.RateLimiter(0, 0, 0)


pytestmark = pytest.mark.usefixtures("feature_on")


def dispatch(*updates, listener=None, client=None):
	client = client or tg.offline_client()
	listener = listener or Listener(tg.BOT_ID, enqueue=lambda: None)
	listener.register(client)

	async def run():
		for update in updates:
			await client._dispatch_update(update)

	asyncio.run(run())
	return listener


def receive(*updates):
	"""What the live path does: listener stores and commits, then the inbound job runs."""
	dispatch(*updates)
	return inbox.process_pending()


def deliver(chat, transport=None, limiter=NO_LIMITS):
	return asyncio.run(delivery.deliver_chat(str(chat), transport or gateway.RecordTransport(), limiter))


def bot_replies(chat):
	return [m for m in telegram_messages(chat=str(chat), direction="Outgoing") if m.message_kind == "Message"]


def test_intake_happy_path_creates_the_ticket_and_answers_with_its_id():
	make_category("Zz General intake")
	frappe.db.commit()
	uid = tg.user_id()
	receive(tg.private_message(uid, "The printer is on fire", sender=tg.user(uid, "Jane", "Cooper", "janec")))
	chat = frappe.get_doc("Linked Chat", str(uid))
	assert (chat.title, chat.username, chat.chat_type) == ("Jane Cooper", "janec", "Private")
	first = bot_replies(uid)[-1]
	assert "Which topic" in first.text and "Zz General intake" in first.payload
	receive(tg.private_message(uid, "Zz General intake"))
	receive(tg.callback(uid, "ti:p:HIGH"))
	assert "Please check your request" in bot_replies(uid)[-1].text
	receive(tg.callback(uid, "ti:s"))
	[ticket] = frappe.get_all("Ticket", filters={"customer_telegram_id": str(uid)}, fields=["*"])
	assert (ticket.status, ticket.priority, ticket.category) == ("NEW", "HIGH", "Zz General intake")
	assert ticket.description == "The printer is on fire"
	assert frappe.get_all("Ticket Chat", filters={"parent": ticket.name}, pluck="chat") == [str(uid)]
	assert f"#{ticket.name}" in bot_replies(uid)[-1].text
	# the conversation that led to the ticket is on it
	incoming = telegram_messages(chat=str(uid), direction="Incoming")
	assert {m.ticket for m in incoming} == {ticket.name} and len(incoming) == 2


def test_intake_asks_again_until_the_invoice_number_is_valid():
	make_category("Zz Billing intake", details=[("Invoice number", r"INV-\d{6}", "Invoice numbers look like INV-123456.")])
	frappe.db.commit()
	uid = tg.user_id()
	receive(tg.private_message(uid, "Charged twice"))
	receive(tg.private_message(uid, "zz billing intake"))
	receive(tg.private_message(uid, "low"))
	receive(tg.private_message(uid, "invoice 42"))
	assert "INV-123456" in bot_replies(uid)[-1].text and "again" in bot_replies(uid)[-1].text
	assert not frappe.db.exists("Ticket", {"customer_telegram_id": str(uid)})
	receive(tg.private_message(uid, "INV-000042"))
	receive(tg.callback(uid, "ti:s"))
	ticket = frappe.get_doc("Ticket", {"customer_telegram_id": str(uid)})
	assert ticket.details == "Invoice number: INV-000042" and ticket.priority == "LOW"


def test_status_and_cancel_commands():
	uid = tg.user_id()
	receive(tg.private_message(uid, "hello"))
	receive(tg.private_message(uid, "/cancel"))
	assert not frappe.db.exists("Telegram Intake Session", str(uid))
	assert "Cancelled" in bot_replies(uid)[-1].text
	ticket = make_ticket("Open one", chats=[str(uid)])
	frappe.db.commit()
	receive(tg.private_message(uid, "/status"))
	assert f"#{ticket.name}" in bot_replies(uid)[-1].text


def test_private_message_with_an_open_ticket_is_appended():
	uid = tg.user_id()
	chat = make_chat("Wade", chat_id=uid)
	ticket = make_ticket("Login broken", chats=[chat])
	frappe.db.commit()
	receive(tg.private_message(uid, "still broken"))
	[message] = telegram_messages(chat=chat, direction="Incoming")
	assert (message.ticket, message.text, message.sender_id) == (ticket.name, "still broken", str(uid))
	assert not frappe.db.exists("Telegram Intake Session", chat)


def test_reply_to_a_solved_ticket_reopens_it():
	uid = tg.user_id()
	chat = make_chat("Esther", chat_id=uid)
	ticket = make_ticket("Refund", chats=[chat], status="SOLVED")
	frappe.db.commit()
	receive(tg.private_message(uid, "it happened again"))
	assert frappe.db.get_value("Ticket", ticket.name, "status") == "OPEN"
	assert frappe.db.count("Ticket", {"customer_telegram_id": str(uid)}) == 0
	assert telegram_messages(chat=chat, direction="Incoming")[0].ticket == ticket.name


def topic_group():
	channel = 3_000_000_000 + tg.next_id()
	return channel, make_chat("Support topics", chat_id=f"-100{channel}", chat_type="Forum")


def test_new_ticket_gets_a_topic_and_agent_replies_in_it_reach_the_customer():
	channel, group = topic_group()
	uid = tg.user_id()
	customer = make_chat("Cameron", chat_id=uid)
	frappe.db.commit()
	with settings(topic_group_chat=group):
		ticket = make_ticket("A" * 200, chats=[customer], customer_telegram_id=str(uid), description="It broke")
		frappe.db.commit()
		sender = tg.FakeSender()
		deliver(group, gateway.TelegramTransport(tg.offline_client(sender)))
		create, intro = sender.accepted
		assert create.title.startswith(f"#{ticket.name} · ") and len(create.title) == 128
		topic_id = frappe.db.get_value("Ticket", ticket.name, "topic_id")
		assert topic_id and intro.reply_to.reply_to_msg_id == topic_id
		assert str(uid) in intro.message and "It broke" in intro.message and "First contact" in intro.message

		receive(tg.topic_message(channel, topic_id, 4242, "Try turning it off and on"))
		logged = telegram_messages(chat=group, direction="Incoming")[-1]
		assert (logged.ticket, logged.is_agent_reply) == (ticket.name, 1)
		[to_customer] = bot_replies(customer)
		assert (to_customer.text, to_customer.is_agent_reply, to_customer.status) == ("Try turning it off and on", 1, "Queued")

		# closing closes the topic, reopening reopens it
		doc = frappe.get_doc("Ticket", ticket.name)
		doc.status = "CLOSED"
		doc.save()
		frappe.db.commit()
		doc.reload()
		doc.status = "OPEN"
		doc.save()
		frappe.db.commit()
		deliver(group, gateway.TelegramTransport(tg.offline_client(sender)))
		edits = [r for r in sender.accepted if type(r).__name__ == "EditForumTopicRequest"]
		assert [(e.topic_id, e.closed) for e in edits] == [(topic_id, True), (topic_id, False)]
		assert frappe.db.get_value("Ticket", ticket.name, "topic_state") == "Open"


def test_a_topic_deleted_by_hand_is_recreated_on_next_use():
	channel, group = topic_group()
	customer = make_chat("Dana", chat_id=tg.user_id())
	frappe.db.commit()
	with settings(topic_group_chat=group):
		ticket = make_ticket("Topic gone", chats=[customer])
		frappe.db.commit()
		sender = tg.FakeSender()
		client = tg.offline_client(sender)
		deliver(group, gateway.TelegramTransport(client))
		old_topic = frappe.db.get_value("Ticket", ticket.name, "topic_id")
		answer = sender.answer

		def topic_deleted_once(request):
			if getattr(request, "reply_to", None) and request.reply_to.reply_to_msg_id == old_topic:
				raise sender.error(400, "TOPIC_DELETED", request)
			return answer(request)

		sender.answer = topic_deleted_once
		api.send_reply(ticket.name, "Any news?")
		frappe.db.commit()
		deliver(group, gateway.TelegramTransport(client))
		new_topic = frappe.db.get_value("Ticket", ticket.name, "topic_id")
		assert new_topic and new_topic != old_topic
		assert bot_replies(group)[-1].status == "Sent"
		assert sender.accepted[-1].reply_to.reply_to_msg_id == new_topic


def test_near_capacity_topics_of_closed_tickets_are_archived_oldest_first():
	channel, group = topic_group()
	frappe.db.commit()
	with settings(topic_group_chat=group, topic_capacity=4):
		names = []
		for n in range(4):
			t = make_ticket(f"Old {n}")
			frappe.db.set_value("Ticket", t.name, {"topic_group": group, "topic_id": 10 + n, "topic_state": "Open"})
			names.append(t.name)
		for n in (2, 0):  # closed in this order: 2 first, then 0
			doc = frappe.get_doc("Ticket", names[n])
			doc.status = "CLOSED"
			doc.save()
			frappe.db.sql("update tabTicket set closed_at = %s where name = %s", (f"2026-01-0{n + 1}", names[n]))
		from tg_tickets.telegram.topics import archive_if_near_capacity

		archived = archive_if_near_capacity(group)
		frappe.db.commit()
		# 4 topics ≥ 95 % of 4: archive down to 90 % (3), oldest closed first
		assert archived == [names[0]]
		delete = [m for m in telegram_messages(chat=group) if m.message_kind == "Topic Delete"]
		assert [(m.ticket, m.topic_id) for m in delete] == [(names[0], 10)]


def test_general_topic_posts_are_flagged_and_agents_can_move_or_open_a_ticket():
	channel, group = topic_group()
	frappe.db.commit()
	with settings(topic_group_chat=group):
		receive(tg.topic_message(channel, None, 5151, "Where is my order?"), tg.topic_message(channel, 1, 5151, "hello?"))
	flagged = telegram_messages(chat=group, flagged=1)
	assert len(flagged) == 2 and "General topic" in flagged[0].flag_reason
	ticket = make_ticket("Order lost")
	frappe.call("tg_tickets.api.telegram.move_message", message=flagged[0].name, ticket=ticket.name)
	moved = frappe.get_doc("Telegram Message", flagged[0].name)
	assert (moved.ticket, moved.flagged, moved.text) == (ticket.name, 0, "Where is my order?")
	other = make_ticket("Other")
	frappe.call("tg_tickets.api.telegram.move_message", message=moved.name, ticket=other.name)
	moved.reload()
	assert (moved.ticket, moved.moved_from_ticket, moved.text) == (other.name, ticket.name, "Where is my order?")
	result = frappe.call("tg_tickets.api.telegram.create_ticket_from_message", message=flagged[1].name)
	assert frappe.db.get_value("Ticket", result["ticket"], "description") == "hello?"


def test_edits_keep_the_previous_text_and_deletions_only_mark():
	uid = tg.user_id()
	chat = make_chat("Edith", chat_id=uid)
	make_ticket("Typos", chats=[chat])
	frappe.db.commit()
	mid = tg.next_id()
	receive(tg.private_message(uid, "helo", message_id=mid))
	receive(tg.edit(uid, mid, "hello"))
	[message] = telegram_messages(chat=chat, direction="Incoming")
	assert (message.text, message.previous_text) == ("hello", "helo")
	assert json.loads(message.edit_history)[0]["text"] == "helo"
	from telethon.tl import types

	receive(types.UpdateDeleteMessages(messages=[mid], pts=3, pts_count=1))
	message = frappe.get_doc("Telegram Message", message.name)
	assert message.is_deleted == 1 and message.text == "hello"


def test_the_same_update_twice_and_a_replay_after_a_crash_give_one_record(tmp_path, monkeypatch):
	uid = tg.user_id()
	chat = make_chat("Twice", chat_id=uid)
	make_ticket("Dupes", chats=[chat])
	frappe.db.commit()
	update = tg.private_message(uid, "only once", message_id=9)
	listener = dispatch(update, update)
	assert listener.stats["new"] == 1 and listener.stats["duplicate"] == 1

	# the worker dies half-way through the batch: nothing of it is committed
	real_handle = routes.handle

	def dies(record, context=None):
		raise SystemExit("worker killed")

	monkeypatch.setattr(routes, "handle", dies)
	with pytest.raises(SystemExit):
		inbox.process_pending()
	frappe.db.rollback()
	monkeypatch.setattr(routes, "handle", real_handle)

	# after the crash the captured updates are replayed: still one record
	path = tmp_path / "updates.txt"
	path.write_text(base64.b64encode(bytes(tg.container(update))).decode() + "\n")
	counts = replay.replay_file(str(path), bot_id=tg.BOT_ID)
	assert counts == {"processed": 0, "duplicate": 1, "failed": 0}
	inbox.process_pending()
	assert len(telegram_messages(chat=chat, direction="Incoming")) == 1


def test_a_listener_killed_mid_batch_and_restarted_loses_nothing():
	uids = [tg.user_id() for _ in range(4)]
	for uid in uids:
		make_ticket("Batch", chats=[make_chat("Batch", chat_id=uid)])
	frappe.db.commit()
	updates = [tg.private_message(uid, f"m{n}", message_id=n + 1) for n in range(5) for uid in uids]
	first = Listener(tg.BOT_ID, batch_size=8, enqueue=lambda: None)
	dispatch(*updates[:12], listener=first)  # 8 committed, 4 in flight when the process dies
	frappe.db.rollback()

	# restarted: Telegram redelivers everything after the last saved update state
	second = Listener(tg.BOT_ID, batch_size=8, enqueue=lambda: None)
	dispatch(*updates, listener=second)
	second.flush()
	assert (second.stats["new"], second.stats["duplicate"]) == (12, 8)
	inbox.process_pending()
	for uid in uids:
		texts = [m.text for m in telegram_messages(chat=str(uid), direction="Incoming")]
		assert texts == [f"m{n}" for n in range(5)]


def test_flood_waits_on_a_tenth_of_sends_still_deliver_everything_once_in_order():
	chats = []
	for _ in range(3):
		chat = make_chat("Flood", chat_id=tg.user_id())
		ticket = make_ticket("Flood", chats=[chat])
		for n in range(8):
			api.send_reply(ticket.name, f"reply {n}")
		chats.append(chat)
	frappe.db.commit()
	sender = tg.FakeSender(flood_rate=0.1, seed=3)
	transport = gateway.TelegramTransport(tg.offline_client(sender))

	async def all_chats():
		await asyncio.gather(*(delivery.deliver_chat(c, transport, NO_LIMITS) for c in chats))

	asyncio.run(all_chats())
	assert sender.floods > 0
	for chat in chats:
		rows = bot_replies(chat)
		assert [r.status for r in rows] == ["Sent"] * 8
		accepted = [r.message for r in sender.accepted if tg.peer_of(r.peer) == int(chat)]
		assert accepted == [f"reply {n}" for n in range(8)]  # order kept, none twice
	retries = sum(r.attempts - 1 for chat in chats for r in bot_replies(chat))
	assert retries == sender.floods


def test_a_blocked_bot_fails_at_once_with_the_reason_and_is_not_retried():
	uid = tg.user_id()
	chat = make_chat("Blocker", chat_id=uid)
	ticket = make_ticket("Blocked", chats=[chat])
	api.send_reply(ticket.name, "hello?")
	frappe.db.commit()
	sender = tg.FakeSender(fail={uid: "USER_IS_BLOCKED"})
	deliver(chat, gateway.TelegramTransport(tg.offline_client(sender)))
	[row] = bot_replies(chat)
	assert row.status == "Failed" and "UserIsBlockedError" in row.failure_reason and row.attempts == 1


def test_long_replies_are_split_and_random_ids_are_stored_before_sending():
	chat = make_chat("Long", chat_id=tg.user_id())
	ticket = make_ticket("Long", chats=[chat])
	api.send_reply(ticket.name, "x " * 5000)
	rows = bot_replies(chat)
	assert len(rows) == 3 and all(r.random_id and r.status == "Queued" for r in rows)
	assert all(len(r.text) <= 4096 for r in rows)


def test_malformed_and_unknown_updates_are_logged_and_the_listener_keeps_running(caplog):
	from telethon.tl import types

	uid = tg.user_id()
	make_ticket("Robust", chats=[make_chat("Robust", chat_id=uid)])
	frappe.db.commit()
	broken = types.UpdateBotCallbackQuery(query_id=1, user_id=1, peer=None, msg_id=1, chat_instance=1)
	unknown = types.UpdateUserTyping(user_id=uid, action=types.SendMessageTypingAction())
	with caplog.at_level(logging.DEBUG, logger="tg_tickets.listener"):
		listener = dispatch(broken, unknown, tg.private_message(uid, "still here"))
	assert listener.stats == {"new": 1, "duplicate": 0, "ignored": 1, "failed": 1}
	assert "malformed UpdateBotCallbackQuery" in caplog.text
	inbox.process_pending()
	assert [m.text for m in telegram_messages(chat=str(uid), direction="Incoming")] == ["still here"]


def test_replay_reports_undecodable_lines_and_runs_the_rest(tmp_path):
	uid = tg.user_id()
	make_ticket("Replay", chats=[make_chat("Replay", chat_id=uid)])
	frappe.db.commit()
	good = base64.b64encode(bytes(tg.container(tg.private_message(uid, "one")))).decode()
	short = base64.b64encode(bytes(tg.private_message(uid, "two").__class__(
		message=tg.private_message(uid, "two").message, pts=1, pts_count=1))).decode()
	path = tmp_path / "capture.txt"
	path.write_text("\n".join([good, "not base64 at all!!", base64.b64encode(b"\x00\x01garbage").decode(), short]) + "\n")
	reports = []
	counts = replay.replay_file(str(path), bot_id=tg.BOT_ID, report=reports.append)
	assert counts == {"processed": 2, "duplicate": 0, "failed": 2}
	assert [r.split(":")[0] for r in reports] == ["line 2", "line 3"]
	inbox.process_pending()
	assert sorted(m.text for m in telegram_messages(chat=str(uid), direction="Incoming")) == ["one", "two"]


def test_telegram_messages_vanish_with_tickets_when_the_feature_is_off():
	from tests.factories import site_config

	member = make_member()
	chat = make_chat("Hidden", chat_id=tg.user_id())
	ticket = make_ticket("Hidden", chats=[chat])
	api.send_reply(ticket.name, "secret")
	frappe.db.commit()
	frappe.set_user(member)
	assert frappe.get_list("Telegram Message", filters={"chat": chat})
	with site_config("tg_tickets_enabled", 0):
		assert frappe.get_list("Telegram Message", filters={"chat": chat}) == []


def test_rate_limits_space_sends_per_chat_per_group_and_overall():
	limiter = delivery.RateLimiter()
	chat, group = str(tg.user_id()), f"-100{tg.user_id()}"
	now = time.time() + 10_000  # ahead of every real reservation, so earlier sends do not count
	assert [round(limiter.reserve(chat, now), 3) for _ in range(3)] == [0.0, 1.0, 2.0]  # ~1 message/s per chat
	assert [round(limiter.reserve(group, now + 10), 3) for _ in range(3)] == [0.0, 3.0, 6.0]  # 20/min per group
	many = [limiter.reserve(str(tg.user_id()), now + 20) for _ in range(31)]
	assert max(many) == pytest.approx(30 / 30, abs=1e-4)  # ~30/s overall


def test_notify_agent_sends_a_direct_message_only_to_linked_agents():
	member = make_member()
	telegram_id = str(tg.user_id())
	frappe.db.delete("Telegram Agent", {"user": member})
	assert agents.notify_agent(member, "SLA breached on #ABC123") == []
	frappe.get_doc({"doctype": "Telegram Agent", "user": member, "telegram_user_id": telegram_id}).insert(ignore_permissions=True)
	[name] = agents.notify_agent(member, "SLA breached on #ABC123")
	frappe.db.commit()
	deliver(telegram_id)
	row = frappe.get_doc("Telegram Message", name)
	assert (row.chat, row.status, row.text) == (telegram_id, "Sent", "SLA breached on #ABC123")
	frappe.db.delete("Telegram Agent", {"user": member})
	frappe.db.commit()


def test_linking_an_account_makes_the_agents_chat_so_parallel_alerts_never_race_to_create_it():
	"""Parallel SLA jobs may both be the first to message an agent: the agent's chat exists from linking, so
	alerting only queues messages (no job inserts the chat, so none can fail on another's insert)."""
	member = make_member()
	telegram_id = str(tg.user_id())
	frappe.db.delete("Telegram Agent", {"user": member})
	frappe.get_doc({"doctype": "Telegram Agent", "user": member, "telegram_user_id": telegram_id}).insert(ignore_permissions=True)
	assert frappe.db.get_value("Linked Chat", telegram_id, ["chat_type", "title"]) == ("Private", frappe.utils.get_fullname(member))
	chats_before = frappe.db.count("Linked Chat")
	queued = agents.alert_agents({member: "alert 0"}) + agents.alert_agents({member: "alert 1"})
	assert frappe.db.count("Linked Chat") == chats_before
	assert sorted(frappe.get_all("Telegram Message", {"name": ("in", queued)}, pluck="text")) == ["alert 0", "alert 1"]
	frappe.db.rollback()


def test_a_reply_with_an_attachment_sends_the_file_with_the_text_as_caption():
	uid = tg.user_id()
	chat = make_chat("Files", chat_id=uid)
	ticket = make_ticket("Files", chats=[chat])
	file = frappe.get_doc({
		"doctype": "File", "file_name": f"invoice-{uid}.txt", "attached_to_doctype": "Ticket",
		"attached_to_name": ticket.name, "content": b"INV-000042", "is_private": 1,
	}).insert(ignore_permissions=True)
	api.send_reply(ticket.name, "Here is your invoice", attachments=[file.name])
	frappe.db.commit()
	[row] = bot_replies(chat)
	assert json.loads(row.attachments) == [file.name] and row.text == "Here is your invoice"
	sender = tg.FakeSender()
	deliver(chat, gateway.TelegramTransport(tg.offline_client(sender)))
	[media] = [r for r in sender.accepted if type(r).__name__ == "SendMediaRequest"]
	assert media.message == "Here is your invoice" and media.random_id == int(row.random_id)
	assert frappe.db.get_value("Telegram Message", row.name, "status") == "Sent"
	other = make_ticket("Not yours")
	with pytest.raises(frappe.ValidationError, match="is not a file of ticket"):
		api.send_reply(other.name, "stolen", attachments=[file.name])


def test_the_live_listener_keeps_an_update_it_could_not_store_until_the_database_is_back(monkeypatch):
	from tg_tickets.telegram.listener import Inbox

	uid = tg.user_id()
	make_ticket("DB down", chats=[make_chat("DB down", chat_id=uid)])
	frappe.db.commit()
	real_store = Inbox.store_many
	outages = {"left": Listener.STORE_ATTEMPTS + 1}

	def flaky(self, records):
		if outages["left"]:
			outages["left"] -= 1
			raise frappe.db.OperationalError(2013, "Lost connection to MySQL server during query")
		return real_store(self, records)

	monkeypatch.setattr(Inbox, "store_many", flaky)
	live = Listener(tg.BOT_ID, enqueue=lambda: None, keep_on_failure=True)
	dispatch(tg.private_message(uid, "sent while the database was down"), listener=live)
	assert live.stats["new"] == 1 and not live.buffer
	inbox.process_pending()
	assert [m.text for m in telegram_messages(chat=str(uid), direction="Incoming")] == ["sent while the database was down"]


def test_the_bot_offers_create_ticket_under_a_general_topic_post_and_an_agent_can_press_it():
	channel, group = topic_group()
	frappe.db.commit()
	with settings(topic_group_chat=group):
		receive(tg.topic_message(channel, None, 5252, "Customer called: invoice INV-000099 is wrong"))
		[flagged] = telegram_messages(chat=group, flagged=1)
		[offer] = bot_replies(group)
		buttons = json.loads(offer.payload)["buttons"]
		assert offer.reply_to_message_id == flagged.message_id and buttons[0][0][0] == "Create ticket"
		receive(tg.group_callback(channel, 5252, buttons[0][0][1], msg_id=offer.message_id or 1))
		moved = frappe.get_doc("Telegram Message", flagged.name)
		assert moved.flagged == 0 and moved.ticket
		assert frappe.db.get_value("Ticket", moved.ticket, "description") == "Customer called: invoice INV-000099 is wrong"
		assert f"#{moved.ticket}" in bot_replies(group)[-1].text
