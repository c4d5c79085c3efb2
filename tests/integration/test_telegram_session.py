"""Telethon's session in the database: a listener that takes over on another host starts from the update state
and peers the previous one saved, with the same auth key, which is stored encrypted. Real Telethon clients and
sessions, offline (the client's own save and catch-up code runs; nothing connects)."""

import asyncio
import base64
import os

import frappe
import pytest
from telethon import TelegramClient, utils
from telethon._updates import ChannelState, SessionState
from telethon.crypto import AuthKey
from telethon.tl import types

from tests import telegram_fakes as tg
from tg_tickets.telegram.listener import make_client
from tg_tickets.telegram.session import DatabaseSession

API_HASH = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def bot_id():
	bot = tg.user_id()
	yield bot
	DatabaseSession(bot).delete()


def client_with(session):
	return TelegramClient(session, 12345, API_HASH, catch_up=True)


def catch_up_state(client):
	"""What Telethon's connect() does with a session before asking Telegram for the difference."""
	ss = SessionState(0, 0, False, 0, 0, 0, 0, None)
	channels = []
	for entity_id, state in client.session.get_update_states():
		if entity_id == 0:
			ss = SessionState(0, 0, False, state.pts, state.qts, int(state.date.timestamp()), state.seq, None)
		else:
			channels.append(ChannelState(entity_id, state.pts))
	client._message_box.load(ss, channels)
	return [client.session.get_input_entity(c.channel_id) for c in channels]


def test_a_listener_on_another_host_catches_up_from_the_saved_state_with_the_same_key(bot_id):
	channel = tg.forum(3_000_000_000 + tg.next_id(), "Support topics")
	customer = tg.user(tg.user_id(), "Dora", "Day", "dora_day")
	key = AuthKey(data=os.urandom(256))

	# the active listener: logged in, has seen a forum and a customer, and Telegram moved its state on
	active = client_with(DatabaseSession(bot_id))
	active.session.set_dc(2, "149.154.167.51", 443)
	active.session.auth_key = key
	active._mb_entity_cache.set_self_user(bot_id, True, 77)
	active.session.process_entities(types.Updates(updates=[], users=[customer], chats=[channel], date=tg.now(), seq=0))
	active._message_box.load(SessionState(0, 0, True, 4321, 12, int(tg.now().timestamp()), 9, None), [ChannelState(channel.id, 88)])
	asyncio.run(active._save_states_and_entities())  # Telethon's own periodic save …
	active.session.save()  # … and the session's write

	# the standby on another host: nothing in memory, everything from the database
	frappe.db.rollback()
	standby = make_client({"api_id": 12345, "api_hash": API_HASH}, bot_id)
	assert isinstance(standby.session, DatabaseSession)
	assert (standby.session.dc_id, standby.session.server_address, standby.session.port) == (2, "149.154.167.51", 443)
	assert standby.session.auth_key.key == key.key
	[channel_peer] = catch_up_state(standby)
	assert channel_peer == types.InputPeerChannel(channel.id, channel.access_hash)
	assert standby._message_box.session_state() == active._message_box.session_state()
	assert standby.session.get_input_entity(customer.id) == types.InputPeerUser(customer.id, customer.access_hash)
	assert standby.session.get_input_entity("dora_day") == types.InputPeerUser(customer.id, customer.access_hash)
	assert standby.session.get_input_entity(0).access_hash == bot_id  # Telethon's "self" row

	# the standby moves on; the next takeover starts from there
	standby._message_box.load(SessionState(0, 0, True, 4400, 12, int(tg.now().timestamp()), 10, None), [ChannelState(channel.id, 95)])
	asyncio.run(standby._save_states_and_entities())
	standby.session.save()
	frappe.db.rollback()
	third = client_with(DatabaseSession(bot_id))
	catch_up_state(third)
	pts = third._message_box.session_state()
	assert (pts[0]["pts"], pts[0]["seq"], pts[1]) == (4400, 10, {channel.id: 95})


def test_the_auth_key_is_stored_encrypted_and_only_system_managers_see_the_session(bot_id, clients):
	key = AuthKey(data=os.urandom(256))
	session = DatabaseSession(bot_id)
	session.set_dc(4, "149.154.167.91", 443)
	session.auth_key = key
	session.save()
	frappe.db.rollback()
	encoded = base64.b64encode(key.key).decode()
	stored = frappe.db.sql(
		"select password from `__Auth` where doctype = 'Telegram Session' and name = %s and fieldname = 'auth_key'",
		(str(bot_id),),
	)[0][0]
	assert encoded not in stored and encoded[:40] not in stored
	row = frappe.db.sql("select * from `tabTelegram Session` where name = %s", (str(bot_id),), as_dict=True)[0]
	assert all(encoded[:40] not in str(value) for value in row.values())
	for role in ("member", "admin", "owner"):
		response = clients[role].get(clients[role].resource("Telegram Session", str(bot_id)))
		assert response.status_code == 403, role
	# a saved session with nothing new writes nothing
	modified = frappe.db.get_value("Telegram Session", str(bot_id), "saved_at")
	DatabaseSession(bot_id).save()
	assert frappe.db.get_value("Telegram Session", str(bot_id), "saved_at") == modified


def test_a_new_bot_has_no_state_and_an_unknown_peer_is_an_error_telethon_understands(bot_id):
	session = DatabaseSession(bot_id)
	with pytest.raises(ValueError):
		session.get_input_entity(utils.get_peer_id(types.PeerChannel(1_234_567)))
	assert list(session.get_update_states()) == [] and session.auth_key is None
