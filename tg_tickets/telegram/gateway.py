"""The one module that builds and sends Telegram requests (Telethon request classes are imported here only).

A transport executes one outbox request — send a message, create/close/reopen/delete a topic, answer a
button press — and returns what Telegram assigned (message id, topic id). Telethon's errors are translated
into three outcomes the delivery engine understands: RetryLater, PermanentFailure, TopicGone.
`TelegramTransport` wraps the listener's live client; `RecordTransport` stores the request instead of
sending it (demo data, tests, and sites without credentials). Never logs request payloads' secrets
(there are none here: credentials stay in credentials.py and listener.py).
"""

import asyncio
import json
import re

from tg_tickets.tickets import outage_rules

# Telethon is imported inside the functions that need it: importing it costs seconds without bytecode
# caches, and RQ work horses (forked per job) that only use the record transport never need it.

NETWORK_BACKOFF = (2, 5, 15, 30, 60, 120, 300)
# 401s: the bot's token was revoked or its session refused. Not the message's fault: kept queued until fixed.
AUTH_ERRORS = ("AUTH_KEY_UNREGISTERED", "AUTH_KEY_INVALID", "SESSION_REVOKED", "SESSION_EXPIRED",
			   "ACCESS_TOKEN_INVALID", "ACCESS_TOKEN_EXPIRED", "BOT_TOKEN_INVALID", "USER_DEACTIVATED")


class RetryLater(Exception):
	"""Try again in `seconds`. `kind` says whether Telegram as a whole is failing us (outage_rules' signal kinds:
	network, server, flood, auth) or only this request (None)."""

	def __init__(self, seconds: float, reason: str, kind: str | None = None):
		super().__init__(reason)
		self.seconds = max(float(seconds), 0.0)
		self.reason = reason
		self.kind = kind


class PermanentFailure(Exception):
	"""Telegram refused the request for good (blocked bot, no rights, invalid peer): never retried."""


class TopicGone(Exception):
	"""The forum topic was deleted by hand: the caller recreates it and sends again."""


class AlreadyDone(Exception):
	"""Telegram saw this random_id before: the message was delivered by an earlier attempt."""


def rpc_name(error) -> str:
	"""Telegram's error name (ACCESS_TOKEN_INVALID): Telethon's class for a known error keeps only the generic
	message (BAD_REQUEST) on the instance, so the name is read from the class (AccessTokenInvalidError)."""
	name = type(error).__name__
	known = name.endswith("Error") and name not in ("RPCError", "BadRequestError", "UnauthorizedError", "ForbiddenError",
													"FloodError", "ServerError", "InvalidDCError", "NotFoundError")
	if known:
		return re.sub(r"(?<!^)(?=[A-Z])", "_", name[: -len("Error")]).upper()
	return getattr(error, "message", "") or name


def network_backoff(attempt: int) -> float:
	return NETWORK_BACKOFF[min(max(attempt - 1, 0), len(NETWORK_BACKOFF) - 1)]


def inline_markup(buttons):
	"""Rows of (label, callback data) or {"text", "url"} → an inline keyboard. Built with Telethon's public
	`Button.inline` / `Button.url`, which know the installed layer's button types (layer 229 has no
	KeyboardButtonCallback any more)."""
	from telethon import Button
	from telethon.tl import types

	if not buttons:
		return None

	def button(item):
		if isinstance(item, dict):
			return Button.url(str(item["text"]), str(item["url"]))
		label, data = item
		return Button.inline(str(label), str(data).encode())

	rows = [types.KeyboardButtonRow([button(item) for item in row]) for row in buttons]
	return types.ReplyInlineMarkup(rows)


ENTITY_TYPES = {
	"bold": "MessageEntityBold", "italic": "MessageEntityItalic", "underline": "MessageEntityUnderline",
	"strike": "MessageEntityStrike", "code": "MessageEntityCode", "pre": "MessageEntityPre",
	"text_link": "MessageEntityTextUrl", "spoiler": "MessageEntitySpoiler", "blockquote": "MessageEntityBlockquote",
}


def message_entities(entities):
	"""Our stored formatting (tg_tickets/tickets/formatting.py: kind, UTF-16 offset and length, url) → Telethon's
	MessageEntity objects, or None for plain text."""
	from telethon.tl import types

	if not entities:
		return None
	found = []
	for entity in entities:
		cls = getattr(types, ENTITY_TYPES[entity["kind"]])
		extra = {}
		if entity["kind"] == "text_link":
			extra["url"] = entity["url"]
		elif entity["kind"] == "pre":
			extra["language"] = ""
		found.append(cls(offset=int(entity["offset"]), length=int(entity["length"]), **extra))
	return found


def fallback_peer(chat_id: int):
	"""An input peer from a marked id when the session has no access hash (bots may use 0 for users)."""
	from telethon import utils
	from telethon.tl import types

	peer = utils.resolve_id(chat_id)
	real_id, cls = peer
	if cls is types.PeerUser:
		return types.InputPeerUser(real_id, 0)
	if cls is types.PeerChat:
		return types.InputPeerChat(real_id)
	return types.InputPeerChannel(real_id, 0)


def sent_message_id(result, random_id: int | None):
	"""The new message's id in the Updates Telegram returns (UpdateMessageID matches our random_id)."""
	from telethon.tl import types

	if isinstance(result, types.UpdateShortSentMessage):
		return result.id
	updates = getattr(result, "updates", None) or []
	for update in updates:
		if isinstance(update, types.UpdateMessageID) and (random_id is None or update.random_id == random_id):
			return update.id
	for update in updates:
		if isinstance(update, (types.UpdateNewMessage, types.UpdateNewChannelMessage)):
			return update.message.id
	return None


def classify(error: Exception, attempt: int) -> Exception:
	"""A Telethon/network error → RetryLater, PermanentFailure, TopicGone or AlreadyDone."""
	from telethon import errors

	if isinstance(error, (errors.FloodWaitError, errors.FloodPremiumWaitError)):
		return RetryLater(error.seconds or 1, f"{type(error).__name__}: wait {error.seconds} s", outage_rules.FLOOD)
	if isinstance(error, errors.SlowModeWaitError):  # one chat's slow mode, not Telegram's
		return RetryLater(error.seconds or 1, f"{type(error).__name__}: wait {error.seconds} s")
	if isinstance(error, errors.RandomIdDuplicateError):
		return AlreadyDone(str(error))
	if isinstance(error, errors.TopicDeletedError):
		return TopicGone(str(error))
	if isinstance(error, errors.RPCError):
		message = rpc_name(error)
		if message in ("TOPIC_ID_INVALID", "TOPIC_DELETED"):
			return TopicGone(message)
		if isinstance(error, errors.UnauthorizedError) or message in AUTH_ERRORS:
			return RetryLater(network_backoff(attempt), f"Telegram refused the bot's authorization: {type(error).__name__} ({message})", outage_rules.AUTH)
		if isinstance(error, (errors.ServerError, errors.TimedOutError)) or (error.code or 0) >= 500:
			return RetryLater(network_backoff(attempt), f"Telegram server error: {message or type(error).__name__}", outage_rules.SERVER)
		return PermanentFailure(f"{type(error).__name__}: {error}")
	if isinstance(error, (ConnectionError, OSError, asyncio.TimeoutError, TimeoutError)):
		return RetryLater(network_backoff(attempt), f"network error: {type(error).__name__}", outage_rules.NETWORK)
	if isinstance(error, ValueError) and "unsuccessful" in str(error):
		return RetryLater(network_backoff(attempt), "request unsuccessful after Telethon's retries", outage_rules.NETWORK)
	return error


class TelegramTransport:
	"""Sends through the listener's connected client; a fake MTProto sender replaces the network in tests."""

	name = "telegram"

	def __init__(self, client):
		self.client = client

	async def peer(self, chat_id: int):
		# Only the session's cache (filled from received updates): resolving must never cost a request.
		try:
			return self.client.session.get_input_entity(chat_id)
		except (ValueError, TypeError, KeyError):
			return fallback_peer(chat_id)

	async def execute(self, request: dict, attempt: int = 1) -> dict:
		try:
			return await self._execute(request)
		except (TopicGone, PermanentFailure, RetryLater, AlreadyDone):
			raise
		except Exception as error:  # noqa: BLE001 - translated or re-raised below
			translated = classify(error, attempt)
			if translated is error:
				raise
			raise translated from error

	async def _execute(self, request: dict) -> dict:
		from telethon import errors
		from telethon.tl import functions, types

		method = request["method"]
		chat_id = int(request["chat_id"])
		if method == "answer_callback":
			await self.client(functions.messages.SetBotCallbackAnswerRequest(
				query_id=int(request["query_id"]), cache_time=0, message=request.get("text") or None
			))
			return {}
		peer = await self.peer(chat_id)
		random_id = int(request["random_id"]) if request.get("random_id") else None
		if method == "send_message":
			topic_id = request.get("topic_id")
			reply_to = None
			if request.get("reply_to_message_id"):
				reply_to = types.InputReplyToMessage(reply_to_msg_id=int(request["reply_to_message_id"]), top_msg_id=topic_id)
			elif topic_id:
				reply_to = types.InputReplyToMessage(reply_to_msg_id=int(topic_id))
			markup = inline_markup(request.get("buttons"))
			entities = message_entities(request.get("entities"))
			files = request.get("files") or []
			if files:
				_handle, media, _image = await self.client._file_to_media(files[0])
				result = await self.client(functions.messages.SendMediaRequest(
					peer=peer, media=media, message=request.get("text") or "", random_id=random_id,
					reply_to=reply_to, reply_markup=markup, entities=entities,
				))
			else:
				result = await self.client(functions.messages.SendMessageRequest(
					peer=peer, message=request.get("text") or "", random_id=random_id, reply_to=reply_to,
					reply_markup=markup, no_webpage=True, entities=entities,
				))
			return {"message_id": sent_message_id(result, random_id)}
		if method == "edit_message":
			if not request.get("message_id"):
				raise PermanentFailure("the message to edit was never sent")
			try:
				await self.client(functions.messages.EditMessageRequest(
					peer=peer, id=int(request["message_id"]), message=request.get("text") or "", no_webpage=True,
					reply_markup=inline_markup(request.get("buttons")),  # none: the message's buttons go
					entities=message_entities(request.get("entities")),
				))
			except errors.RPCError as error:
				if getattr(error, "message", "") != "MESSAGE_NOT_MODIFIED":  # a retry after a crash: already done
					raise
			return {"message_id": int(request["message_id"])}
		if method == "create_topic":
			result = await self.client(functions.messages.CreateForumTopicRequest(
				peer=peer, title=request["title"], random_id=random_id
			))
			return {"topic_id": sent_message_id(result, random_id)}
		if method in ("close_topic", "reopen_topic", "delete_topic") and not request.get("topic_id"):
			return {}  # the ticket never got its topic: nothing to change
		if method in ("close_topic", "reopen_topic"):
			try:
				await self.client(functions.messages.EditForumTopicRequest(
					peer=peer, topic_id=int(request["topic_id"]), closed=(method == "close_topic")
				))
			except errors.RPCError as error:
				if getattr(error, "message", "") != "TOPIC_NOT_MODIFIED":
					raise
			return {}
		if method == "delete_topic":
			await self.client(functions.messages.DeleteTopicHistoryRequest(peer=peer, top_msg_id=int(request["topic_id"])))
			return {}
		raise PermanentFailure(f"unknown request {method!r}")


class RecordTransport:
	"""Stores each request as a Telegram Recorded Request row and answers with its number as the id.

	It behaves as Telegram's edge does under crashes: what it received stays received (the row is committed at
	once, not with the sender's "Sent" mark, which a killed worker may never write), and a message whose
	random_id it already has is refused as Telegram refuses it (RANDOM_ID_DUPLICATE → AlreadyDone), so a retry
	after such a crash never shows the customer the message twice.
	"""

	name = "record"

	async def execute(self, request: dict, attempt: int = 1) -> dict:
		import frappe

		random_id = str(request.get("random_id") or "")
		if request["method"] == "send_message" and random_id and frappe.db.exists(
			"Telegram Recorded Request", {"method": "send_message", "random_id": random_id}
		):
			raise AlreadyDone("RANDOM_ID_DUPLICATE")
		payload = {k: v for k, v in request.items() if k not in ("message_name",)}
		row = frappe.get_doc({
			"doctype": "Telegram Recorded Request",
			"method": request["method"],
			"chat_id": str(request.get("chat_id") or ""),
			"random_id": str(request.get("random_id") or ""),
			"telegram_message": request.get("message_name"),
			"payload": json.dumps(payload, default=str, ensure_ascii=False),
		})
		row.creation = row.modified = frappe.utils.now_datetime()
		row.owner = row.modified_by = frappe.session.user
		row.db_insert()
		frappe.db.commit()  # the caller (delivery) committed its attempt just before: nothing else rides along
		assigned = int(row.name) + 1000
		if request["method"] == "create_topic":
			return {"topic_id": assigned}
		if request["method"] == "send_message":
			return {"message_id": assigned}
		return {}
