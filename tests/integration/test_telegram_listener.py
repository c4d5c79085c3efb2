"""The listener process: refuses to run without credentials, never leaks them, one active per bot, and the
REST reply path used by integrations."""

import asyncio
import logging
import threading
import time

import frappe
import pytest
from telethon.tl import functions

from tests import telegram_fakes as tg
from tests.factories import PASSWORD, make_chat, make_member, make_ticket, set_settings
from tests.waiting import wait_until, wait_until_async
from tg_tickets.telegram import credentials, listener
from tg_tickets.tickets import outage

TOKEN, API_HASH = tg.BOT_TOKEN, tg.API_HASH


pytestmark = pytest.mark.usefixtures("feature_on")


def test_the_listener_refuses_to_start_without_credentials():
	assert not credentials.are_configured()
	with pytest.raises(listener.ListenerError, match="credentials are not set"):
		listener.main()


def test_a_refused_login_never_shows_the_token_or_api_hash(bot_credentials, caplog):
	assert bot_credentials["bot_token"] == TOKEN

	class RefusingTelegram(tg.FakeSender):
		def answer(self, request):
			if isinstance(request, (functions.updates.GetStateRequest, functions.users.GetUsersRequest)):
				raise self.error(401, "AUTH_KEY_UNREGISTERED", request)  # as Telegram answers a key nobody logged in on
			if isinstance(request, functions.auth.ImportBotAuthorizationRequest):
				raise self.error(400, "ACCESS_TOKEN_INVALID", request)
			return super().answer(request)

	client = tg.offline_client(RefusingTelegram())

	async def no_network():
		return None

	client.connect = no_network
	with caplog.at_level(logging.DEBUG):
		with pytest.raises(listener.ListenerError) as refused:
			asyncio.run(listener.start_client(client, bot_credentials))
	assert "refused the bot login" in str(refused.value)
	for secret in (TOKEN, TOKEN.split(":")[1], API_HASH):
		assert secret not in str(refused.value)
		assert secret not in caplog.text
		assert secret not in repr(refused.value.__cause__) and refused.value.__suppress_context__
	# outage mode heard it at once: the bot's authorization refused takes everything down (and says why)
	try:
		state = outage.status()
		assert state["active"] and state["affected"] == ["inbound", "outbound", "topics"]
		assert "AccessTokenInvalidError" in state["reason"] and TOKEN not in state["reason"] and API_HASH not in state["reason"]
	finally:
		outage.reset()
		frappe.db.sql("update `tabTelegram Outage` set status = 'Resolved', ended_at = now() where status = 'Active'")
		frappe.db.commit()


def test_only_one_listener_per_bot_is_active_and_a_standby_takes_over_when_it_dies():
	bot_id = tg.user_id()
	active = listener.ListenerLock(bot_id, ttl=1)
	standby = listener.ListenerLock(bot_id, ttl=1)
	assert active.acquire()
	assert not standby.acquire()
	assert active.renew() and standby.holder() == active.token
	# the active listener dies: it stops renewing; its lock expires and the standby takes over
	wait_until(standby.acquire, timeout=10, message="the standby never took over")
	assert standby.holder() == standby.token
	assert not active.renew()  # the old one cannot steal it back
	standby.release()
	assert standby.holder() is None


def test_a_standby_waits_while_the_active_listener_renews_and_takes_over_once_it_stops(capsys):
	"""The takeover scripts/two-hosts shows with real processes: listener.main's standby loop (wait_until_active)."""
	bot_id = tg.user_id()
	active, standby = listener.ListenerLock(bot_id, ttl=1), listener.ListenerLock(bot_id, ttl=1)
	assert active.acquire()
	seen = []

	def active_then_killed():  # renews as the live listener does, then stops (SIGKILL: no release)
		for _ in range(6):
			time.sleep(0.3)
			seen.append((active.renew(), standby.holder()))

	renewer = threading.Thread(target=active_then_killed)
	renewer.start()
	listener.wait_until_active(standby, bot_id, poll=0.1)
	renewer.join()

	assert seen == [(True, active.token)] * 6  # never taken while the active one renewed
	assert standby.holder() == standby.token and not active.renew()
	assert capsys.readouterr().out.count("standby: another listener is active") == 1
	standby.release()


def test_send_reply_over_rest_is_queued_then_delivered_by_a_worker(live_site):
	member = make_member()
	chat = make_chat("REST customer", chat_id=tg.user_id())
	ticket = make_ticket("REST reply", chats=[chat])
	frappe.db.commit()
	api = live_site.session(member, PASSWORD)
	response = api.call("tg_tickets.api.send_reply", ticket=ticket.name, message="Hello from the API")
	assert response.ok, response.text
	[name] = response.json()["message"]["messages"]
	wait_until(lambda: frappe.db.get_value("Telegram Message", name, "status") != "Queued",
		message="the worker never delivered the reply")
	row = frappe.get_doc("Telegram Message", name)
	assert (row.status, row.direction, row.is_agent_reply, row.agent, row.ticket) == ("Sent", "Outgoing", 1, member, ticket.name)
	assert row.message_id and frappe.db.exists("Telegram Recorded Request", {"telegram_message": name, "chat_id": chat})

	bad = api.call("tg_tickets.api.send_reply", ticket=ticket.name, message="   ")
	assert bad.status_code == 417 and "empty" in bad.text
	missing = api.call("tg_tickets.api.send_reply", ticket="NOPE000", message="hi")
	assert missing.status_code == 404


def test_with_credentials_replies_are_handed_to_the_listener_and_sent_by_its_client(bot_credentials):
	from tg_tickets import api

	set_settings(transport="telegram")
	chat = make_chat("Live customer", chat_id=tg.user_id())
	ticket = make_ticket("Live reply", chats=[chat])
	frappe.db.commit()
	[name] = api.send_reply(ticket.name, "Sent by the listener")["messages"]
	frappe.db.commit()  # after commit the chat is handed over through Redis, not to an RQ job
	sender = tg.FakeSender()
	client = tg.offline_client(sender)

	async def listen_until_sent():
		stop = asyncio.Event()
		task = asyncio.create_task(listener.drain_outbox(client, stop))
		await wait_until_async(lambda: frappe.db.get_value("Telegram Message", name, "status") != "Queued",
			message="the listener never sent the reply")
		stop.set()
		await task

	asyncio.run(listen_until_sent())
	row = frappe.get_doc("Telegram Message", name)
	assert row.status == "Sent" and row.message_id
	[request] = [r for r in sender.accepted if getattr(r, "random_id", None) == int(row.random_id)]
	assert request.message == "Sent by the listener"
	assert not frappe.db.exists("Telegram Recorded Request", {"telegram_message": name})
