"""Outbound: everything the app says on Telegram goes through one outbox, the outgoing Telegram Message rows.

`queue_message` stores the row (status Queued, random_id chosen now) in the caller's transaction and asks for
delivery after commit; `deliver_chat` sends a chat's queued rows in order, respecting Telegram's rate limits,
retrying FloodWait and network errors with the same random_id (so a retry never duplicates), and ends each
row Sent (with Telegram's id) or Failed (with the reason). It never sends inside a request's transaction,
and never retries a permanent error.
"""

import asyncio
import json
import secrets
import time

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime

from tg_tickets.telegram import gateway, locks
from tg_tickets.telegram.text import CAPTION_LIMIT, split_text

# Telegram's bot limits (telegram.md): ~1 message/s per chat, 20/min per group, ~30/s overall.
PER_CHAT_INTERVAL = 1.0
PER_GROUP_INTERVAL = 3.0
GLOBAL_INTERVAL = 1 / 30
MAX_INLINE_WAIT = 10.0  # longer waits are left to the retry sweep, so a worker is never parked for minutes
MAX_ATTEMPTS = 12
MAX_FILE_BYTES = 2000 * 1024 * 1024
OUTBOX_LIST = "tg_tickets:outbox"
# One deliverer per chat (per-chat order). Renewed while delivering, so a deliverer that dies (a SIGKILLed
# worker) frees its chat within this TTL; a waiting job (lock_wait 30 s) then takes over. It was a fixed
# 300 s timeout: a killed worker held its chat's replies back for five minutes (scripts/fault-replay).
DELIVERY_LOCK_TTL = 15

MESSAGE = "Message"


# --- queueing (inside the caller's transaction) --------------------------------------------------------


def new_random_id() -> int:
	return secrets.randbits(63) * (1 if secrets.randbits(1) else -1) or 1


def queue_message(
	chat: str,
	text: str = "",
	*,
	ticket: str | None = None,
	kind: str = MESSAGE,
	topic_id: int | None = None,
	into_topic: bool = False,
	reply_to_message_id: int | None = None,
	buttons: list | None = None,
	files: list | None = None,
	is_agent_reply: bool = False,
	agent: str | None = None,
	extra: dict | None = None,
) -> list[str]:
	"""Stores the outgoing rows (one per 4096-character part, one per file) and schedules delivery."""
	chat = str(chat)
	parts = split_text(text or "") if kind == MESSAGE else [text or ""]
	file_rows = list(files or [])
	if kind == MESSAGE and file_rows and len(parts) == 1 and len(parts[0]) <= CAPTION_LIMIT:
		# A short text rides as the first file's caption.
		parts = []
	rows = [(part, None) for part in parts] + [(None, f) for f in file_rows]
	if file_rows and not parts:
		rows[0] = (text or "", file_rows[0])
	names = []
	for index, (part, file_name) in enumerate(rows):
		payload = dict(extra or {})
		if buttons and index == len(rows) - 1:
			payload["buttons"] = buttons
		if into_topic:
			payload["into_topic"] = 1
		doc = frappe.get_doc({
			"doctype": "Telegram Message",
			"direction": "Outgoing",
			"message_kind": kind,
			"ticket": ticket,
			"chat": chat,
			"chat_id": chat,
			"text": part or "",
			"attachments": json.dumps([file_name]) if file_name else None,
			"topic_id": topic_id,
			"reply_to_message_id": reply_to_message_id,
			"is_agent_reply": 1 if is_agent_reply else 0,
			"agent": agent,
			"status": "Queued",
			"random_id": str(new_random_id()),
			"part": index,
			"telegram_date": now_datetime(),
			"payload": json.dumps(payload) if payload else None,
		})
		doc.message_key = f"out:{doc.random_id}"
		doc.insert(ignore_permissions=True)
		names.append(doc.name)
	schedule_delivery(chat)
	return names


def use_record_transport() -> bool:
	from tg_tickets.telegram import credentials

	settings = frappe.get_cached_doc("Tickets Settings")
	return settings.transport == "record" or not credentials.are_configured()


def schedule_delivery(chat: str) -> None:
	"""After commit: the record transport delivers in an RQ job; the live one in the listener process."""
	pending = frappe.flags.setdefault("tg_tickets_delivery_chats", set())
	if not pending:
		frappe.db.after_commit.add(flush_scheduled_deliveries)
		frappe.db.after_rollback.add(lambda: frappe.flags.pop("tg_tickets_delivery_chats", None))
	pending.add(str(chat))


def flush_scheduled_deliveries() -> None:
	chats = frappe.flags.pop("tg_tickets_delivery_chats", None) or set()
	if not chats:
		return
	if use_record_transport():
		for chat in sorted(chats):
			frappe.enqueue(
				"tg_tickets.telegram.outbound.deliver_chat_job", queue="short", chat=chat, enqueue_after_commit=False
			)
	else:
		for chat in sorted(chats):  # RedisWrapper.rpush takes one value and adds the site prefix itself
			frappe.cache.rpush(OUTBOX_LIST, chat)


def deliver_chat_job(chat: str) -> None:
	"""RQ job: deliver a chat's queue through the record transport, or hand it to the listener.

	The recorder sends nothing to Telegram, so Telegram's rate limits do not apply to it; the live transport
	runs in the listener, one asyncio task per chat, so one chat's pacing never holds up another's.
	"""
	if use_record_transport():
		asyncio.run(deliver_chat(chat, gateway.RecordTransport(), RateLimiter(0, 0, 0)))
	else:
		frappe.cache.rpush(OUTBOX_LIST, chat)


def retry_sweep() -> None:
	"""Scheduler (every minute): chats with queued rows whose retry time has come, and stale ones."""
	chats = frappe.db.sql_list(
		"""select distinct chat from `tabTelegram Message`
		where direction = 'Outgoing' and status = 'Queued'
		and (next_attempt_at is null or next_attempt_at <= %s) and modified < %s""",
		(now_datetime(), add_to_date(now_datetime(), seconds=-20)),
	)
	for chat in chats:
		frappe.flags.setdefault("tg_tickets_delivery_chats", set()).add(chat)
	flush_scheduled_deliveries()


# --- agent replies --------------------------------------------------------------------------------------


def customer_chats(ticket) -> list[str]:
	"""The chats a reply goes to: the ticket's private chats, else its first non-forum chat."""
	chats = [row.chat for row in ticket.chats]
	if not chats:
		return []
	types = dict(frappe.get_all("Linked Chat", filters={"name": ["in", chats]}, fields=["name", "chat_type"], as_list=True))
	private = [c for c in chats if types.get(c) == "Private"]
	if private:
		return private[:1]
	others = [c for c in chats if types.get(c) not in ("Forum",)]
	return others[:1]


def reply_files(ticket_name: str, attachments) -> list[str]:
	if isinstance(attachments, str):
		attachments = json.loads(attachments) if attachments.strip().startswith("[") else [attachments]
	names = []
	for item in attachments or []:
		file_name = frappe.db.get_value("File", {"name": item}) or frappe.db.get_value(
			"File", {"file_url": item, "attached_to_doctype": "Ticket", "attached_to_name": ticket_name}
		)
		if not file_name:
			frappe.throw(_("Attachment {0} is not a file of ticket #{1}.").format(item, ticket_name))
		file = frappe.db.get_value("File", file_name, ["attached_to_doctype", "attached_to_name", "file_size"], as_dict=True)
		if file.attached_to_doctype != "Ticket" or file.attached_to_name != ticket_name:
			frappe.throw(_("Attachment {0} is not a file of ticket #{1}.").format(item, ticket_name))
		if (file.file_size or 0) > MAX_FILE_BYTES:
			frappe.throw(_("Attachment {0} is larger than Telegram's 2000 MiB limit.").format(item))
		names.append(file_name)
	return names


def send_reply(ticket: str, message: str, attachments=None) -> dict:
	"""An agent's reply: queued for the customer's chat (and mirrored into the ticket's topic)."""
	from tg_tickets import permissions
	from tg_tickets.telegram import topics
	from tg_tickets.tickets.fields import CLOSED

	if not ticket or not frappe.db.exists("Ticket", ticket):
		frappe.throw(_("Ticket {0} does not exist.").format(ticket or ""), frappe.DoesNotExistError)
	doc = frappe.get_doc("Ticket", ticket)
	# Replying speaks for the team: the same right as editing the ticket (members only with the switch on).
	if not permissions.can_see_tickets() or not frappe.has_permission("Ticket", "write", doc):
		frappe.throw(_("You cannot reply on ticket #{0}.").format(ticket), frappe.PermissionError)
	message = (message or "").strip()
	files = reply_files(ticket, attachments)
	if not message and not files:
		frappe.throw(_("The reply is empty."))
	if doc.status == CLOSED:
		frappe.throw(_("Ticket #{0} is closed. Reopen it before replying.").format(ticket), title=_("Closed ticket"))
	chats = customer_chats(doc)
	if not chats:
		frappe.throw(_("Ticket #{0} has no Telegram chat to reply to.").format(ticket))
	names = []
	for chat in chats:
		names += queue_message(chat, message, ticket=ticket, files=files, is_agent_reply=True, agent=frappe.session.user)
	topics.mirror_agent_reply(doc, message, frappe.session.user)
	from tg_tickets.realtime import notify_conversation_changed

	notify_conversation_changed([ticket])  # other agents' open sheets show the queued reply
	return {"ticket": ticket, "messages": names, "status": "Queued"}


def notify_agent(user: str, text: str) -> list[str]:
	"""A direct message to an agent who linked a Telegram account (Telegram Agent); [] when none is linked."""
	telegram_user_id = frappe.db.get_value("Telegram Agent", {"user": user}, "telegram_user_id")
	if not telegram_user_id:
		return []
	ensure_agent_chat(user, telegram_user_id)  # linked before agents' chats were made on linking
	return queue_message(telegram_user_id, text)


def ensure_agent_chat(user: str, telegram_user_id: str) -> None:
	"""The agent's private chat with the bot (made when the account is linked)."""
	if telegram_user_id and not frappe.db.exists("Linked Chat", telegram_user_id):
		frappe.get_doc({
			"doctype": "Linked Chat", "chat_id": telegram_user_id, "chat_type": "Private",
			"title": frappe.utils.get_fullname(user) or user,
		}).insert(ignore_permissions=True)


# --- delivery (after commit; RQ job or listener) -----------------------------------------------------------


class RateLimiter:
	"""Reserves send slots in Redis so every worker and the listener share Telegram's limits."""

	SCRIPT = """
	local now = tonumber(ARGV[1]); local interval = tonumber(ARGV[2])
	local nxt = tonumber(redis.call('get', KEYS[1]) or '0')
	local t = math.max(now, nxt)
	redis.call('set', KEYS[1], string.format('%.6f', t + interval), 'PX', math.ceil((t + interval - now) * 1000) + 1000)
	return string.format('%.6f', t - now)
	"""

	def __init__(self, per_chat=PER_CHAT_INTERVAL, per_group=PER_GROUP_INTERVAL, overall=GLOBAL_INTERVAL):
		self.per_chat, self.per_group, self.overall = per_chat, per_group, overall

	def reserve(self, chat_id: str, now: float | None = None) -> float:
		now = time.time() if now is None else now
		waits = [self._reserve(f"chat:{chat_id}", self.per_chat, now), self._reserve("all", self.overall, now)]
		if str(chat_id).startswith("-"):
			waits.append(self._reserve(f"group:{chat_id}", self.per_group, now))
		return max(waits)

	def _reserve(self, key: str, interval: float, now: float) -> float:
		if interval <= 0:
			return 0.0
		key = frappe.cache.make_key(f"tg_tickets:rate:{key}")
		return float(frappe.cache.eval(self.SCRIPT, 1, key, repr(now), repr(interval)))


def queued_rows(chat: str):
	return frappe.db.sql(
		"""select name, next_attempt_at from `tabTelegram Message`
		where chat = %s and direction = 'Outgoing' and status = 'Queued'
		order by creation, part, name limit 50""",
		(chat,),
		as_dict=True,
	)


def build_request(row) -> dict:
	payload = json.loads(row.payload) if row.payload else {}
	method = {
		"Message": "send_message", "Topic Create": "create_topic", "Topic Close": "close_topic",
		"Topic Reopen": "reopen_topic", "Topic Delete": "delete_topic", "Callback Answer": "answer_callback",
	}[row.message_kind or MESSAGE]
	request = {
		"method": method, "chat_id": row.chat_id or row.chat, "text": row.text or "", "random_id": row.random_id,
		"topic_id": row.topic_id, "reply_to_message_id": row.reply_to_message_id, "message_name": row.name,
		"buttons": payload.get("buttons"), "title": payload.get("title"), "query_id": payload.get("query_id"),
	}
	if payload.get("into_topic") and row.ticket and not row.topic_id:
		request["topic_id"] = frappe.db.get_value("Ticket", row.ticket, "topic_id") or None
	if row.attachments:
		from frappe.utils.file_manager import get_file_path

		request["files"] = [get_file_path(name) for name in json.loads(row.attachments)]
	return request


async def deliver_chat(chat: str, transport, limiter: RateLimiter | None = None, lock_wait: float = 30.0) -> int:
	"""Sends the chat's queued rows in order; returns how many ended Sent. Safe to run twice at once."""
	chat = str(chat)
	limiter = limiter or RateLimiter()
	lock = locks.renewable_lock(f"tg_tickets:deliver:{chat}", DELIVERY_LOCK_TTL)
	deadline = time.monotonic() + lock_wait
	while not lock.acquire(blocking=False):
		if time.monotonic() > deadline:
			return 0  # another worker owns this chat; it drains the queue, the sweep covers the rest
		await asyncio.sleep(0.05)
	renewing = asyncio.create_task(locks.keep_renewed(lock, DELIVERY_LOCK_TTL / 3))  # across long awaits
	sent = 0
	try:
		frappe.db.commit()  # a fresh snapshot: see rows committed since this transaction began
		while True:
			rows = queued_rows(chat)
			if not rows:
				break
			progressed = False
			for head in rows:
				if not locks.renew(lock):
					return sent  # stalled past the TTL and the chat was taken over: its new deliverer goes on
				if head.next_attempt_at and head.next_attempt_at > now_datetime():
					# Order per chat: nothing overtakes a message that is waiting for its retry.
					return sent
				outcome = await deliver_row(head.name, transport, limiter)
				if outcome == "later":
					return sent
				sent += outcome == "sent"
				progressed = True
			if not progressed:
				break
	finally:
		renewing.cancel()
		locks.release(lock)  # an expired lock is left alone: the rows' states are the truth
	return sent


async def deliver_row(name: str, transport, limiter: RateLimiter) -> str:
	"""One row until Sent, Failed, or a retry time beyond MAX_INLINE_WAIT ("later")."""
	from tg_tickets.telegram import topics

	while True:
		row = frappe.get_doc("Telegram Message", name)
		if row.status != "Queued":
			return "skipped"
		wait = limiter.reserve(row.chat)
		if wait > 0:
			await asyncio.sleep(wait)
		attempt = (row.attempts or 0) + 1
		frappe.db.set_value("Telegram Message", name, {"attempts": attempt, "next_attempt_at": None}, update_modified=False)
		frappe.db.commit()  # the attempt (and the random_id, stored at queueing) is durable before sending
		try:
			if row.message_kind == MESSAGE and json.loads(row.payload or "{}").get("into_topic"):
				await topics.ensure_topic_for_delivery(row.ticket, transport)
			request = build_request(row)
			result = await transport.execute(request, attempt)
		except gateway.RetryLater as retry:
			if attempt >= MAX_ATTEMPTS:
				mark_failed(name, f"gave up after {attempt} attempts: {retry.reason}")
				return "failed"
			frappe.db.set_value("Telegram Message", name, {
				"next_attempt_at": add_to_date(now_datetime(), seconds=retry.seconds), "failure_reason": retry.reason,
			}, update_modified=False)
			frappe.db.commit()
			if retry.seconds > MAX_INLINE_WAIT:
				return "later"
			await asyncio.sleep(retry.seconds)
			continue
		except gateway.TopicGone:
			topics.forget_topic(row.ticket)
			frappe.db.commit()
			if attempt >= MAX_ATTEMPTS:
				mark_failed(name, "the ticket's topic keeps disappearing")
				return "failed"
			continue
		except gateway.AlreadyDone:
			mark_sent(row, {})
			return "sent"
		except gateway.PermanentFailure as failure:
			mark_failed(name, str(failure))
			return "failed"
		except Exception as error:  # noqa: BLE001 - unknown errors are retried with backoff, then failed
			frappe.db.rollback()
			frappe.log_error(title="Telegram delivery error", message=f"{name}: {type(error).__name__}: {error}")
			frappe.db.set_value("Telegram Message", name, {
				"next_attempt_at": add_to_date(now_datetime(), seconds=gateway.network_backoff(attempt)),
				"failure_reason": f"{type(error).__name__}: {error}"[:500],
			}, update_modified=False)
			if attempt >= MAX_ATTEMPTS:
				mark_failed(name, f"{type(error).__name__}: {error}")
				return "failed"
			frappe.db.commit()
			return "later"
		mark_sent(row, result)
		return "sent"


def mark_sent(row, result: dict) -> None:
	from tg_tickets.telegram import topics

	sent_at = now_datetime()
	values = {"status": "Sent", "sent_at": sent_at, "failure_reason": None, "next_attempt_at": None}
	if result.get("message_id"):
		values["message_id"] = result["message_id"]
	if result.get("topic_id"):
		values["topic_id"] = result["topic_id"]
	frappe.db.set_value("Telegram Message", row.name, values)
	topics.after_sent(row, result)
	frappe.db.commit()
	if row.is_agent_reply and row.ticket:
		record_first_response(row.ticket, sent_at)
	notify_message_changed(row)


def mark_failed(name: str, reason: str) -> None:
	frappe.db.set_value("Telegram Message", name, {"status": "Failed", "failure_reason": reason[:1000], "next_attempt_at": None})
	frappe.db.commit()
	notify_message_changed(frappe.get_doc("Telegram Message", name))


def record_first_response(ticket: str, sent_at) -> None:
	# The SLA module is built separately and may not exist on this branch yet: call it only when present.
	try:
		from tg_tickets.sla import tracking
	except ImportError:
		return
	try:
		tracking.record_first_response(ticket, sent_at)
		frappe.db.commit()
	except Exception:  # noqa: BLE001 - an SLA failure must not undo a delivered message
		frappe.db.rollback()
		frappe.log_error(title="SLA first response")


def notify_message_changed(row) -> None:
	if row.ticket:
		frappe.publish_realtime(
			"tg_telegram_message",
			{"ticket": row.ticket, "name": row.name, "status": frappe.db.get_value("Telegram Message", row.name, "status")},
			doctype="Ticket", docname=row.ticket, after_commit=False,
		)
