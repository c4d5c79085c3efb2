"""Raw Telethon updates → normalised records (real TL objects, no Frappe)."""

import base64
import dataclasses
import json
from datetime import datetime, timezone

import pytest
from telethon.extensions import BinaryReader
from telethon.tl import types

from tg_tickets.telegram import normalise
from tg_tickets.telegram.records import InboundRecord
from tg_tickets.tickets.message_text import split_text, topic_title

BOT = 777
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)


def user(uid, first="Jane", username="jane"):
	return types.User(id=uid, first_name=first, username=username, access_hash=1)


def test_private_message_record_has_chat_sender_and_unique_key():
	update = types.UpdateNewMessage(
		message=types.Message(id=5, peer_id=types.PeerUser(42), from_id=types.PeerUser(42), date=NOW, message="hi"),
		pts=1, pts_count=1,
	)
	update._entities = {42: user(42)}
	[record] = normalise.normalise(update, BOT)
	assert record.key == "777:42:5:message"
	assert record.chat_type == "Private" and record.chat_title == "Jane" and record.chat_username == "jane"
	assert record.sender_id == 42 and record.text == "hi" and record.date == "2026-11-21 12:00:00"


def test_forum_topic_message_carries_the_topic_id():
	forum = types.Channel(id=2000000001, title="Support", photo=types.ChatPhotoEmpty(), date=NOW, megagroup=True, forum=True, access_hash=9)
	message = types.Message(
		id=60, peer_id=types.PeerChannel(2000000001), from_id=types.PeerUser(9), date=NOW, message="on it",
		reply_to=types.MessageReplyHeader(forum_topic=True, reply_to_msg_id=55),
	)
	update = types.UpdateNewChannelMessage(message=message, pts=1, pts_count=1)
	update._entities = {-1002000000001: forum}
	[record] = normalise.normalise(update, BOT)
	assert record.chat_id == -1002000000001 and record.chat_type == "Forum" and record.topic_id == 55
	message.reply_to = None
	assert normalise.normalise(update, BOT)[0].topic_id == normalise.GENERAL_TOPIC_ID


def test_edit_key_differs_per_edit_and_callback_keeps_its_data():
	edit = types.UpdateEditMessage(
		message=types.Message(id=5, peer_id=types.PeerUser(42), date=NOW, edit_date=NOW, message="fixed"), pts=2, pts_count=1
	)
	[record] = normalise.normalise(edit, BOT)
	assert record.kind == "edit" and record.key.startswith("777:42:5:edit:")
	callback = types.UpdateBotCallbackQuery(query_id=99, user_id=42, peer=types.PeerUser(42), msg_id=7, chat_instance=1, data=b"ti:c:0")
	[record] = normalise.normalise(callback, BOT)
	assert record.kind == "callback" and record.data == "ti:c:0" and record.key == "777:42:99:callback"


def test_unknown_updates_give_no_record_and_broken_ones_raise():
	assert normalise.normalise(types.UpdateUserTyping(user_id=1, action=types.SendMessageTypingAction()), BOT) == []
	broken = types.UpdateBotCallbackQuery(query_id=1, user_id=1, peer=None, msg_id=1, chat_instance=1)
	with pytest.raises(normalise.MalformedUpdate):
		normalise.normalise(broken, BOT)


def test_containers_unpack_with_their_entities_after_a_bytes_round_trip():
	message = types.Message(id=1, peer_id=types.PeerUser(42), from_id=types.PeerUser(42), date=NOW, message="x")
	container = types.Updates(updates=[types.UpdateNewMessage(message=message, pts=1, pts_count=1)], users=[user(42)], chats=[], date=NOW, seq=0)
	line = base64.b64encode(bytes(container))
	with BinaryReader(base64.b64decode(line)) as reader:
		decoded = reader.tgread_object()
	[update] = normalise.unpack(decoded)
	assert normalise.normalise(update, BOT)[0].chat_title == "Jane"
	short = types.UpdateShortMessage(id=3, user_id=42, message="short", pts=1, pts_count=1, date=NOW)
	[record] = normalise.normalise(normalise.unpack(short)[0], BOT)
	assert record.chat_id == 42 and record.text == "short"


def test_text_is_split_at_4096_and_topic_titles_are_capped():
	parts = split_text(("word " * 2000).strip())
	assert all(len(p) <= 4096 for p in parts) and " ".join(parts) == ("word " * 2000).strip()
	title = topic_title("ABC123", "x" * 300)
	assert len(title) == 128 and title.startswith("#ABC123 · ")


def test_records_are_frozen_and_survive_the_inbox_round_trip():
	update = types.UpdateNewMessage(
		message=types.Message(id=7, peer_id=types.PeerUser(42), from_id=types.PeerUser(42), date=NOW,
							  message="/status@support_bot please"),
		pts=1, pts_count=1,
	)
	update._entities = {42: user(42)}
	[record] = normalise.normalise(update, BOT)
	with pytest.raises(dataclasses.FrozenInstanceError):
		record.text = "changed"
	stored = json.loads(json.dumps(record.to_payload(), default=str))
	assert InboundRecord.from_payload(stored) == record
	assert InboundRecord.from_payload({**stored, "field_of_a_newer_version": 1}) == record
	assert (record.message_key, record.command) == ("777:42:7", "/status")
	assert InboundRecord.from_payload({**stored, "text": "no command here"}).command == ""
