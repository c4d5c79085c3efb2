"""The network edge, faked: real Telethon TL objects and a never-connected client whose MTProto sender
answers like Telegram (so Telethon's own retry and flood logic runs). Nothing here touches the network."""

import asyncio
import itertools
import random
import secrets
from datetime import datetime, timezone

from telethon import TelegramClient, errors
from telethon.sessions import StringSession
from telethon.tl import functions, types

BOT_ID = 0  # replay and tests use the site's bot id (0 without credentials)
# Credentials that look real (the listener must never print them), for a bot that does not exist.
BOT_TOKEN = "123456789:AAE-very-secret-token-value"
API_HASH = "0123456789abcdef0123456789abcdef"
_ids = itertools.count(secrets.randbelow(10**6) * 1000 + 1)


def next_id() -> int:
	return next(_ids)


def user_id() -> int:
	return 6_000_000_000 + secrets.randbelow(10**9)


def now():
	return datetime.now(timezone.utc).replace(microsecond=0)


def user(uid, first="Jane", last="Cooper", username=None):
	return types.User(id=uid, first_name=first, last_name=last, username=username, access_hash=uid * 7)


def forum(channel_id, title="Support topics"):
	return types.Channel(id=channel_id, title=title, photo=types.ChatPhotoEmpty(), date=now(), megagroup=True, forum=True,
						 access_hash=channel_id * 3)


def private_message(uid, text, message_id=None, sender=None):
	message = types.Message(id=message_id or next_id(), peer_id=types.PeerUser(uid), from_id=types.PeerUser(uid),
							date=now(), message=text)
	return with_entities(types.UpdateNewMessage(message=message, pts=1, pts_count=1), [sender or user(uid)])


def topic_message(channel_id, topic_id, from_uid, text, message_id=None):
	message = types.Message(
		id=message_id or next_id(), peer_id=types.PeerChannel(channel_id), from_id=types.PeerUser(from_uid), date=now(),
		message=text, reply_to=types.MessageReplyHeader(forum_topic=True, reply_to_msg_id=topic_id) if topic_id else None,
	)
	return with_entities(types.UpdateNewChannelMessage(message=message, pts=1, pts_count=1),
						 [user(from_uid, "Arto", "Agent"), forum(channel_id)])


def callback(uid, data: str, query_id=None):
	update = types.UpdateBotCallbackQuery(query_id=query_id or next_id(), user_id=uid, peer=types.PeerUser(uid),
										  msg_id=1, chat_instance=1, data=data.encode())
	return with_entities(update, [user(uid)])


def edit(uid, message_id, text):
	message = types.Message(id=message_id, peer_id=types.PeerUser(uid), from_id=types.PeerUser(uid), date=now(),
							edit_date=now(), message=text)
	return with_entities(types.UpdateEditMessage(message=message, pts=2, pts_count=1), [user(uid)])


def with_entities(update, entities):
	from telethon import utils

	update._entities = {utils.get_peer_id(e): e for e in entities}
	return update


def container(*updates):
	"""An Updates container as the client receives it (users and chats attached), for replay files."""
	users, chats = {}, {}
	for update in updates:
		for peer_id, entity in getattr(update, "_entities", {}).items():
			(users if isinstance(entity, types.User) else chats)[peer_id] = entity
	return types.Updates(updates=list(updates), users=list(users.values()), chats=list(chats.values()), date=now(), seq=0)


class FakeSender:
	"""Stands in for Telethon's MTPSender: answers requests like Telegram, optionally with FloodWait.

	Records every request Telegram *accepted*; a random_id seen before is answered RANDOM_ID_DUPLICATE,
	like Telegram does, so a duplicate delivery shows up as an error rather than a second message.
	"""

	def __init__(self, flood_rate=0.0, seed=7, fail=None, latency=None):
		self.latency = latency  # seconds before the answer arrives (None: at once, without yielding to the loop)
		self.accepted = []
		self.attempts = 0
		self.floods = 0
		self.random = random.Random(seed)
		self.flood_rate = flood_rate
		self.fail = fail or {}  # chat id → RPC error message (permanent)
		self.seen_random_ids = set()
		self.message_ids = itertools.count(500)
		# Telegram out of reach: "network" (connection refused), "auth" (the bot's token revoked), "flood" (a
		# FloodWait of a minute on every request); None answers normally again.
		self.down = None
		self.refused = 0

	def is_connected(self):
		return True

	def send(self, request, ordered=False):
		loop = asyncio.get_running_loop()
		future = loop.create_future()
		self.attempts += 1
		try:
			self.refuse_while_down(request)
			outcome, result = future.set_result, self.answer(request)
		except (errors.RPCError, ConnectionError) as error:
			outcome, result = future.set_exception, error
		if self.latency is None:
			outcome(result)
		else:  # like a network: other tasks run while the request is in flight
			loop.call_later(self.latency, outcome, result)
		return future

	def refuse_while_down(self, request):
		if self.down is None:
			return
		self.refused += 1
		if self.down == "network":
			raise ConnectionRefusedError(111, "Connection refused")
		if self.down == "auth":
			raise self.error(401, "AUTH_KEY_UNREGISTERED", request)
		raise self.error(420, "FLOOD_WAIT_60", request)

	def error(self, code, message, request):
		return errors.rpc_message_to_error(types.RpcError(code, message), request)

	def answer(self, request):
		if isinstance(request, (functions.messages.SendMessageRequest, functions.messages.SendMediaRequest,
								functions.messages.CreateForumTopicRequest)):
			peer_id = peer_of(request.peer)
			if peer_id in self.fail:
				raise self.error(400 if "BLOCKED" not in self.fail[peer_id] else 403, self.fail[peer_id], request)
			if self.flood_rate and self.random.random() < self.flood_rate:
				self.floods += 1
				raise self.error(420, "FLOOD_WAIT_1", request)
			if request.random_id in self.seen_random_ids:
				raise self.error(400, "RANDOM_ID_DUPLICATE", request)
			self.seen_random_ids.add(request.random_id)
			self.accepted.append(request)
			new_id = next(self.message_ids)
			return types.Updates(updates=[types.UpdateMessageID(id=new_id, random_id=request.random_id)], users=[], chats=[],
								 date=now(), seq=0)
		self.accepted.append(request)
		return types.Updates(updates=[], users=[], chats=[], date=now(), seq=0)


def peer_of(input_peer) -> int:
	from telethon import utils

	return utils.get_peer_id(input_peer)


def offline_client(sender=None, bot_id=BOT_ID):
	client = TelegramClient(StringSession(), 12345, "x" * 32, flood_sleep_threshold=0, raise_last_call_error=True,
							request_retries=2)
	client._mb_entity_cache.set_self_user(bot_id or 1, True, 0)
	if sender is not None:
		client._sender = sender
	return client


def group_callback(channel_id, uid, data: str, msg_id=1):
	"""An inline button pressed by `uid` under a bot message in a forum group."""
	update = types.UpdateBotCallbackQuery(query_id=next_id(), user_id=uid, peer=types.PeerChannel(channel_id),
										  msg_id=msg_id, chat_instance=1, data=data.encode())
	return with_entities(update, [user(uid, "Arto", "Agent"), forum(channel_id)])


class BotLoginSender(FakeSender):
	"""Telegram's side of a fresh bot login and of the topic group checks (Tickets Settings → Test connection).

	`token_ok` False answers the login ACCESS_TOKEN_INVALID (a revoked or mistyped token). `group` describes the
	topic group as Telegram would show it to the bot: member (else CHANNEL_PRIVATE), admin, manage_topics, forum.
	"""

	def __init__(self, bot_id, token_ok=True, member=True, admin=True, manage_topics=True, forum=True):
		super().__init__()
		self.bot = types.User(id=bot_id, bot=True, username="tickets_test_bot", first_name="Tickets", access_hash=bot_id * 5)
		self.token_ok = token_ok
		self.group = {"member": member, "admin": admin, "manage_topics": manage_topics, "forum": forum}
		self.logged_in = False

	def answer(self, request):
		if isinstance(request, functions.users.GetUsersRequest):
			if not self.logged_in:
				raise self.error(401, "AUTH_KEY_UNREGISTERED", request)
			return [self.bot]
		if isinstance(request, functions.auth.ImportBotAuthorizationRequest):
			if not self.token_ok:
				raise self.error(400, "ACCESS_TOKEN_INVALID", request)
			self.logged_in = True
			return types.auth.Authorization(user=self.bot)
		if isinstance(request, functions.updates.GetStateRequest):
			return types.updates.State(pts=1, qts=0, date=now(), seq=0, unread_count=0)
		if isinstance(request, functions.updates.GetDifferenceRequest):
			return types.updates.DifferenceEmpty(date=now(), seq=0)
		if isinstance(request, functions.channels.GetChannelsRequest):
			if not self.group["member"]:
				raise self.error(400, "CHANNEL_PRIVATE", request)
			[channel] = request.id
			group = forum(channel.channel_id, title="Agents' topics")
			group.forum = self.group["forum"]
			return types.messages.Chats(chats=[group])
		if isinstance(request, functions.channels.GetParticipantRequest):
			if not self.group["member"]:
				raise self.error(400, "USER_NOT_PARTICIPANT", request)
			if self.group["admin"]:
				rights = types.ChatAdminRights(manage_topics=self.group["manage_topics"], delete_messages=True, pin_messages=True)
				participant = types.ChannelParticipantAdmin(user_id=self.bot.id, promoted_by=1, date=now(), admin_rights=rights)
			else:
				participant = types.ChannelParticipant(user_id=self.bot.id, date=now())
			return types.channels.ChannelParticipant(participant=participant, chats=[], users=[self.bot])
		return super().answer(request)


def login_client(sender):
	"""A never-connected client with no one logged in yet (a fresh session), talking to `sender`."""
	client = TelegramClient(StringSession(), 12345, "x" * 32, flood_sleep_threshold=0, raise_last_call_error=True,
							request_retries=1)
	client._sender = sender
	return client
