"""Raw Telethon updates → typed, frozen `InboundRecord`s the rest of the app works on (the listener's only
parsing).

Pure: imports Telethon's TL *types* only (never requests, never Frappe), so it is unit-testable and the
replay command and the live listener share it. Unknown update types give no record; they are never an error.
Every record carries `key` = bot:chat:message id:kind, the unique key that makes storage exactly-once. The
inbox stores `record.to_payload()` as JSON; the inbox job reads it back with `InboundRecord.from_payload`.
"""

from datetime import datetime, timezone

from telethon import utils
from telethon.tl import types

from tg_tickets.telegram.records import GENERAL_TOPIC_ID, InboundRecord

MESSAGE_UPDATES = (types.UpdateNewMessage, types.UpdateNewChannelMessage)
EDIT_UPDATES = (types.UpdateEditMessage, types.UpdateEditChannelMessage)


class MalformedUpdate(ValueError):
	"""An update of a known type that lacks what every such update carries (e.g. no peer)."""


def iso(value) -> str | None:
	if value is None:
		return None
	if isinstance(value, (int, float)):
		value = datetime.fromtimestamp(value, tz=timezone.utc)
	if value.tzinfo is not None:
		value = value.astimezone(timezone.utc).replace(tzinfo=None)
	return value.isoformat(sep=" ", timespec="seconds")


def unpack(obj) -> list:
	"""A TL object as the client receives it → the single updates Telethon dispatches, with `_entities`.

	Updates / UpdatesCombined carry users and chats; UpdateShort wraps one update; UpdateShortMessage,
	UpdateShortChatMessage and a bare Update are dispatched as they are (Telethon does the same).
	"""
	if isinstance(obj, (types.Updates, types.UpdatesCombined)):
		entities = {utils.get_peer_id(x): x for x in [*obj.users, *obj.chats]}
		for update in obj.updates:
			update._entities = entities
		return list(obj.updates)
	if isinstance(obj, types.UpdateShort):
		obj.update._entities = {}
		return [obj.update]
	if isinstance(obj, (types.UpdateShortMessage, types.UpdateShortChatMessage)) or isinstance(obj, types.TypeUpdate):
		if not hasattr(obj, "_entities"):
			obj._entities = {}
		return [obj]
	raise MalformedUpdate(f"not an update: {type(obj).__name__}")


def chat_info(peer_id: int, entities: dict) -> dict:
	"""Title, username and Linked Chat type of a marked peer id, from the entities sent with the update."""
	entity = entities.get(peer_id)
	info = {"chat_title": None, "chat_username": None}
	if peer_id > 0:
		info["chat_type"] = "Private"
		if isinstance(entity, types.User):
			info["chat_title"] = display_name(entity)
			info["chat_username"] = entity.username
	elif str(peer_id).startswith("-100"):
		if isinstance(entity, types.Channel):
			info["chat_type"] = "Forum" if entity.forum else ("Supergroup" if entity.megagroup else "Channel")
			info["chat_title"] = entity.title
			info["chat_username"] = entity.username
		else:
			info["chat_type"] = "Supergroup"
	else:
		info["chat_type"] = "Group"
		if isinstance(entity, types.Chat):
			info["chat_title"] = entity.title
	if not info["chat_title"]:
		info["chat_title"] = str(peer_id)
	return info


def display_name(user) -> str:
	name = " ".join(filter(None, [getattr(user, "first_name", None), getattr(user, "last_name", None)]))
	return name or getattr(user, "username", None) or str(user.id)


def media_info(media) -> tuple[str | None, dict | None]:
	if media is None:
		return None, None
	if isinstance(media, types.MessageMediaPhoto):
		photo = media.photo
		return "photo", {"photo_id": getattr(photo, "id", None)}
	if isinstance(media, types.MessageMediaDocument):
		doc = media.document
		meta = {"document_id": getattr(doc, "id", None), "mime_type": getattr(doc, "mime_type", None),
				"size": getattr(doc, "size", None)}
		for attr in getattr(doc, "attributes", None) or []:
			if isinstance(attr, types.DocumentAttributeFilename):
				meta["file_name"] = attr.file_name
		return "document", meta
	name = type(media).__name__.removeprefix("MessageMedia").lower()
	return name, {}


def topic_of(reply_to) -> tuple[int | None, int | None]:
	"""(topic id, replied-to message id) of a message's reply header; see telegram.md for the rule."""
	if not isinstance(reply_to, types.MessageReplyHeader):
		return None, None
	reply_id = reply_to.reply_to_msg_id
	if reply_to.forum_topic:
		topic = reply_to.reply_to_top_id or reply_to.reply_to_msg_id
		# A message directly in the topic has its reply header point at the topic's first message.
		return topic, (reply_id if reply_to.reply_to_top_id else None)
	return None, reply_id


def base(bot_id: int, chat_id: int, message_id, kind: str, entities: dict) -> dict:
	record = {"bot_id": bot_id, "chat_id": chat_id, "message_id": message_id, "kind": kind,
			  "key": f"{bot_id}:{chat_id}:{message_id}:{kind}"}
	record.update(chat_info(chat_id, entities))
	return record


def sender_fields(sender_id: int | None, entities: dict) -> dict:
	user = entities.get(sender_id) if sender_id else None
	return {
		"sender_id": sender_id,
		"sender_name": display_name(user) if user is not None else (str(sender_id) if sender_id else None),
		"sender_username": getattr(user, "username", None),
	}


def from_message(message, bot_id: int, entities: dict, kind: str = "message") -> dict:
	if message.peer_id is None:
		raise MalformedUpdate(f"message {message.id} has no peer")
	chat_id = utils.get_peer_id(message.peer_id)
	sender_id = utils.get_peer_id(message.from_id) if message.from_id else (chat_id if chat_id > 0 else None)
	topic_id, reply_id = topic_of(message.reply_to)
	chat = chat_info(chat_id, entities)
	if chat["chat_type"] == "Forum" and topic_id is None:
		topic_id = GENERAL_TOPIC_ID
	service = isinstance(message, types.MessageService)
	edit_date = None if service else message.edit_date
	key_kind = kind if kind != "edit" else f"edit:{int(edit_date.timestamp()) if edit_date else 0}"
	record = base(bot_id, chat_id, message.id, key_kind, entities)
	record.update(sender_fields(sender_id, entities))
	media_type, media = (None, None) if service else media_info(message.media)
	record.update({
		"kind": "service" if service else kind,
		"outgoing": bool(message.out),
		"date": iso(message.date),
		"edit_date": iso(edit_date),
		"text": "" if service else (message.message or ""),
		"media_type": media_type,
		"media": media,
		"topic_id": topic_id,
		"reply_to_msg_id": reply_id,
		"service_action": type(message.action).__name__ if service else None,
	})
	return record


def from_short(update, bot_id: int) -> dict:
	if isinstance(update, types.UpdateShortMessage):
		chat_id = update.user_id
		sender_id = None if update.out else update.user_id
	else:
		chat_id = -update.chat_id
		sender_id = update.from_id
	topic_id, reply_id = topic_of(update.reply_to)
	record = base(bot_id, chat_id, update.id, "message", {})
	record.update(sender_fields(sender_id, {}))
	record.update({
		"outgoing": bool(update.out), "date": iso(update.date), "edit_date": None, "text": update.message or "",
		"media_type": None, "media": None, "topic_id": topic_id, "reply_to_msg_id": reply_id, "service_action": None,
	})
	return record


def normalise(update, bot_id: int) -> list[InboundRecord]:
	"""One dispatched update → zero or more records. Raises MalformedUpdate for a broken known update."""
	return [InboundRecord.from_payload(fields) for fields in record_fields(update, bot_id)]


def record_fields(update, bot_id: int) -> list[dict]:
	entities = getattr(update, "_entities", None) or {}
	if isinstance(update, MESSAGE_UPDATES):
		if isinstance(update.message, types.MessageEmpty):
			return []
		return [from_message(update.message, bot_id, entities)]
	if isinstance(update, EDIT_UPDATES):
		if isinstance(update.message, types.MessageEmpty):
			return []
		return [from_message(update.message, bot_id, entities, kind="edit")]
	if isinstance(update, (types.UpdateShortMessage, types.UpdateShortChatMessage)):
		return [from_short(update, bot_id)]
	if isinstance(update, types.UpdateDeleteChannelMessages):
		chat_id = utils.get_peer_id(types.PeerChannel(update.channel_id))
		return [dict(base(bot_id, chat_id, mid, "delete", entities), kind="delete") for mid in update.messages]
	if isinstance(update, types.UpdateDeleteMessages):
		# Private and basic-group message ids are unique per account, so no chat is given (0 = "look up").
		return [dict(base(bot_id, 0, mid, "delete", entities), kind="delete") for mid in update.messages]
	if isinstance(update, types.UpdateBotCallbackQuery):
		if update.peer is None:
			raise MalformedUpdate("callback query without a peer")
		chat_id = utils.get_peer_id(update.peer)
		record = base(bot_id, chat_id, update.query_id, "callback", entities)
		record.update(sender_fields(update.user_id, entities))
		record.update({
			"query_id": update.query_id,
			"callback_message_id": update.msg_id,
			"data": (update.data or b"").decode("utf-8", "replace"),
			"date": iso(datetime.now(timezone.utc)),
			"text": "",
		})
		return [record]
	return []
