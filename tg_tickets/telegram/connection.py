"""Tickets Settings → Test connection: logs the bot in on a short-lived session of its own (never the listener's:
Telegram drops an auth key used by two connections at once) and checks, in order, what the helpdesk needs:
the token is accepted, the topic group is reachable, the bot is an admin there with the right to manage topics,
and the group has topics turned on. The first problem found is said precisely; the outcome is kept in Tickets
Settings (the first-day checklist reads it). Credentials are never part of a message.
"""

import asyncio

import frappe
from frappe import _
from frappe.utils import now_datetime

from tg_tickets.telegram import credentials, gateway

OK = "OK"
FAILED = "Failed"
TOKEN_REFUSED = ("ACCESS_TOKEN_INVALID", "ACCESS_TOKEN_EXPIRED", "AUTH_KEY_UNREGISTERED", "BOT_TOKEN_INVALID",
				 "SESSION_REVOKED", "USER_DEACTIVATED")
API_ID_REFUSED = ("API_ID_INVALID", "API_ID_PUBLISHED_FLOOD")
GROUP_UNREACHABLE = ("CHANNEL_PRIVATE", "CHANNEL_INVALID", "CHAT_ID_INVALID", "PEER_ID_INVALID", "USER_NOT_PARTICIPANT")


class Problem(Exception):
	"""What is wrong, worded for the admin who fixes it."""


async def check(client, bot_token: str, group_chat_id: str | None) -> list[str]:
	"""Runs the checks on a connected client; returns what passed (for the message) or raises Problem."""
	from telethon import errors, utils
	from telethon.tl import functions, types

	passed = []
	try:
		bot = await client.sign_in(bot_token=bot_token)
	except errors.RPCError as error:
		message = gateway.rpc_name(error)
		if message in TOKEN_REFUSED or isinstance(error, errors.UnauthorizedError):
			raise Problem(_("Telegram refused the bot token ({0}): it was revoked or mistyped. Copy the current token "
							"from @BotFather into Bot token.").format(message)) from None
		if message in API_ID_REFUSED:
			raise Problem(_("Telegram refused the API ID / API hash ({0}): copy both from my.telegram.org → API "
							"development tools.").format(message)) from None
		raise Problem(_("Telegram refused the login: {0}").format(message)) from None
	except (ConnectionError, OSError, asyncio.TimeoutError) as error:
		raise Problem(_("Telegram could not be reached ({0}): check this host's network.").format(type(error).__name__)) from None
	passed.append(_("the bot token is accepted (bot @{0})").format(getattr(bot, "username", None) or getattr(bot, "id", "")))
	if not group_chat_id:
		return passed

	real_id, peer_class = utils.resolve_id(int(group_chat_id))
	if peer_class is not types.PeerChannel:
		raise Problem(_("The topic group {0} is not a supergroup: a forum needs a supergroup with Topics turned on.").format(group_chat_id))
	peer = gateway.fallback_peer(int(group_chat_id))
	channel = types.InputChannel(real_id, getattr(peer, "access_hash", 0))
	try:
		found = await client(functions.channels.GetChannelsRequest([channel]))
		group = found.chats[0] if found.chats else None
		if group is None or isinstance(group, types.ChannelForbidden):
			raise Problem(_("The bot cannot see the topic group {0}: add the bot to the group.").format(group_chat_id))
		participant = (await client(functions.channels.GetParticipantRequest(channel, types.InputPeerSelf()))).participant
	except errors.RPCError as error:
		message = gateway.rpc_name(error)
		if message in GROUP_UNREACHABLE:
			raise Problem(_("The bot is not a member of the topic group {0} ({1}): add the bot to the group and make it "
							"an admin.").format(group_chat_id, message)) from None
		raise Problem(_("Telegram refused to show the topic group {0}: {1}").format(group_chat_id, message)) from None
	title = getattr(group, "title", group_chat_id)
	passed.append(_("the bot sees the topic group “{0}”").format(title))
	if isinstance(participant, types.ChannelParticipantCreator):
		pass
	elif not isinstance(participant, types.ChannelParticipantAdmin):
		raise Problem(_("The bot is not an admin of the topic group “{0}”: make it an admin with the Manage topics "
						"right (it creates and closes a topic per ticket).").format(title))
	elif not getattr(participant.admin_rights, "manage_topics", False):
		raise Problem(_("The bot is an admin of the topic group “{0}” but lacks the Manage topics right: turn it on in "
						"the bot's admin rights.").format(title))
	passed.append(_("the bot is an admin that may manage topics"))
	if not getattr(group, "forum", False):
		raise Problem(_("Topics are turned off in the group “{0}”: turn on Topics in the group's settings.").format(title))
	passed.append(_("topics are on"))
	return passed


async def _run_live(creds: dict, group) -> list[str]:
	"""A short-lived client of its own (an in-memory session), logged out afterwards."""
	from telethon import TelegramClient
	from telethon.sessions import StringSession

	client = TelegramClient(StringSession(), creds["api_id"], creds["api_hash"], request_retries=1, connection_retries=1)
	try:
		await asyncio.wait_for(client.connect(), timeout=20)
		return await asyncio.wait_for(check(client, creds["bot_token"], group), timeout=30)
	except (ConnectionError, OSError, asyncio.TimeoutError) as error:
		raise Problem(_("Telegram could not be reached ({0}): check this host's network.").format(type(error).__name__)) from None
	finally:
		try:
			if await client.is_user_authorized():
				await client.log_out()
		except Exception:  # noqa: BLE001 - best effort: the session was in memory only
			pass
		await client.disconnect()


def test_and_record(client=None) -> dict:
	"""Tests the connection (a given client: the tests' fake edge; else a live one) and stores the outcome."""
	settings = frappe.get_cached_doc("Tickets Settings")
	group = settings.topic_group_chat or None
	creds = credentials.bot_credentials()
	try:
		if not creds:
			raise Problem(_("Fill API ID, API hash and Bot token first (Tickets Settings → Telegram)."))
		if not credentials.bot_id():
			raise Problem(_("The bot token is not a bot token: it looks like 123456789:AA… (from @BotFather)."))
		passed = asyncio.run(check(client, creds["bot_token"], group) if client else _run_live(creds, group))
		status, message = OK, _("Connected: {0}.").format("; ".join(passed))
		if not group:
			message += " " + _("No topic group chosen yet.")
	except Problem as problem:
		status, message = FAILED, str(problem)
	# Not a save: the settings' controller forgets the outcome whenever the credentials or the group change.
	frappe.db.set_single_value("Tickets Settings", {
		"connection_status": status, "connection_message": message, "connection_checked_at": now_datetime(),
	})
	frappe.clear_document_cache("Tickets Settings", "Tickets Settings")
	frappe.db.commit()
	return {"status": status, "message": message}
